// Forward pass of the tiny UNet: shapes (also for latent sides that are not
// multiples of 2^(blocks-1)), batch independence, dependence on t and on the
// text, and d(sum ε̂)/dz against central finite differences in float64.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "distdiff/models/unet/unet2d_condition.hpp"

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

using distdiff::models::UNet2DConditionModel;
using distdiff::models::UNetConfig;

namespace {
UNet2DConditionModel tiny_unet(std::uint64_t seed, torch::Dtype dtype = torch::kFloat32) {
  torch::manual_seed(seed);
  UNet2DConditionModel unet(UNetConfig::tiny());
  unet->to(dtype);
  unet->eval();
  return unet;
}
}  // namespace

TEST_CASE("UNet forward: shapes", "[unet][forward]") {
  auto unet = tiny_unet(10);
  torch::NoGradGuard ng;
  auto ctx = torch::randn({2, 5, 32});
  for (auto [h, w] : {std::pair{8, 8}, std::pair{7, 9}, std::pair{5, 4}}) {
    auto out = unet(torch::randn({2, 4, h, w}), torch::tensor({10, 900}), ctx);
    CHECK(out.sizes() == torch::IntArrayRef({2, 4, h, w}));
    CHECK(torch::isfinite(out).all().item<bool>());
  }
  // A scalar timestep is broadcast over the batch.
  auto z = torch::randn({2, 4, 8, 8});
  CHECK(torch::equal(unet(z, torch::tensor(77), ctx), unet(z, torch::tensor({77, 77}), ctx)));
  CHECK_THROWS_AS(unet(torch::randn({2, 3, 8, 8}), torch::tensor(1), ctx), std::invalid_argument);
  CHECK_THROWS_AS(unet(z, torch::tensor(1), torch::randn({2, 5, 31})), std::invalid_argument);
  CHECK_THROWS_AS(unet(z, torch::tensor(1), torch::randn({1, 5, 32})), std::invalid_argument);
  CHECK_THROWS_AS(unet(z, torch::tensor({1, 2, 3}), ctx), std::invalid_argument);
}

TEST_CASE("UNet forward: batch rows are independent; t and text matter", "[unet][forward]") {
  auto unet = tiny_unet(11);
  torch::NoGradGuard ng;
  auto z = torch::randn({3, 4, 8, 8});
  auto ctx = torch::randn({3, 6, 32});
  auto t = torch::tensor({5, 400, 999});
  auto all = unet(z, t, ctx);
  for (int b = 0; b < 3; ++b) {
    auto one = unet(z.slice(0, b, b + 1), t.slice(0, b, b + 1), ctx.slice(0, b, b + 1));
    CHECK(torch::allclose(one, all.slice(0, b, b + 1), 1e-4, 1e-5));
  }
  auto z1 = z.slice(0, 0, 1), c1 = ctx.slice(0, 0, 1);
  auto base = unet(z1, torch::tensor({5}), c1);
  CHECK((unet(z1, torch::tensor({600}), c1) - base).abs().max().item<double>() > 1e-4);
  CHECK((unet(z1, torch::tensor({5}), torch::randn({1, 6, 32})) - base).abs().max().item<double>() > 1e-4);
  // Same seed, same network.
  auto again = tiny_unet(11);
  CHECK(torch::equal(again(z1, torch::tensor({5}), c1), base));
}

TEST_CASE("UNet forward: gradient in z matches finite differences (float64)", "[unet][forward][gradient]") {
  auto unet = tiny_unet(12, torch::kFloat64);
  for (auto& p : unet->parameters()) p.requires_grad_(false);
  auto z = torch::randn({1, 4, 8, 8}, torch::kFloat64);
  auto ctx = torch::randn({1, 4, 32}, torch::kFloat64);
  auto t = torch::tensor({250});
  auto zg = z.clone().requires_grad_(true);
  unet(zg, t, ctx).sum().backward();
  auto grad = zg.grad();
  REQUIRE(grad.defined());
  torch::NoGradGuard ng;
  const double h = 1e-5;
  for (auto idx : {std::array<std::int64_t, 4>{0, 0, 0, 0}, {0, 1, 3, 4}, {0, 2, 7, 7}, {0, 3, 5, 1}}) {
    auto zp = z.clone(), zm = z.clone();
    zp[idx[0]][idx[1]][idx[2]][idx[3]] += h;
    zm[idx[0]][idx[1]][idx[2]][idx[3]] -= h;
    const double fd = (unet(zp, t, ctx).sum().item<double>() - unet(zm, t, ctx).sum().item<double>()) / (2 * h);
    const double an = grad[idx[0]][idx[1]][idx[2]][idx[3]].item<double>();
    INFO("coordinate " << idx[1] << "," << idx[2] << "," << idx[3] << ": analytic " << an << " fd " << fd);
    CHECK(an == Approx(fd).epsilon(1e-6).margin(1e-8));
  }
}

}  // namespace DISTDIFF_UNITY_ID
