// pil_resize: invariants of PIL's resampling (tests/preprocess/golden.cpp
// compares it with PIL itself), the 8-bit and floating arithmetic, gradients.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "distdiff/preprocess/pil_resize.hpp"

using namespace distdiff;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

TEST_CASE("pil_resize: weights sum to one, antialiasing widens the kernel when shrinking", "[preprocess][pil]") {
  for (auto [in, out] : {std::pair{320, 224}, {22, 379}, {307, 343}, {9, 4}, {5, 5}}) {
    CAPTURE(in, out);
    const auto w = pil_bicubic_weights(in, out, false);
    REQUIRE(w.sizes() == torch::IntArrayRef({out, in}));
    CHECK(torch::allclose(w.sum(1), torch::ones({out}, torch::kDouble), 0, 1e-12));
    // Fixed point: within 2^-23 of the exact weights.
    CHECK((pil_bicubic_weights(in, out, true) - w).abs().max().item<double>() <= std::ldexp(1.0, -23) + 1e-15);
    const auto taps = (w != 0).sum(1).max().item<std::int64_t>();
    if (in > out) CHECK(taps > 4);   // support 2·scale
    else CHECK(taps <= 4);           // the plain bicubic's 4 taps
  }
  CHECK(torch::allclose(pil_bicubic_weights(6, 6, false), torch::eye(6, torch::kDouble)));
  CHECK_THROWS_WITH(pil_bicubic_weights(0, 3), Catch::Contains("positive"));
}

TEST_CASE("pil_resize: constant images stay constant, sizes, level grid", "[preprocess][pil]") {
  const auto c = torch::full({2, 3, 17, 30}, 0.4, torch::kFloat);
  for (auto a : {PilArithmetic::eight_bit, PilArithmetic::floating}) {
    const auto y = pil_resize(c, 40, 11, a);
    REQUIRE(y.sizes() == torch::IntArrayRef({2, 3, 40, 11}));
    CHECK(y.scalar_type() == torch::kFloat);
    CHECK((y - 0.4).abs().max().item<double>() < (a == PilArithmetic::eight_bit ? 0.5 / 255 + 1e-6 : 1e-6));
  }
  const auto x = torch::rand({1, 3, 21, 34}, torch::kDouble);
  CHECK(torch::equal(pil_resize(x, 21, 34), x));  // no pass when the size is unchanged
  // 8-bit arithmetic (automatic for images without gradient) lands on the 1/255 grid and in [0, 1].
  const auto q = pil_resize(x, 13, 50);
  CHECK(((q * 255) - (q * 255).round()).abs().max().item<double>() < 1e-9);
  CHECK(q.min().item<double>() >= 0);
  CHECK(q.max().item<double>() <= 1);
  // Floating arithmetic (automatic for images with gradient) does not, but stays within a level of it.
  const auto f = pil_resize(x.clone().requires_grad_(true), 13, 50).detach();
  CHECK(((f * 255) - (f * 255).round()).abs().max().item<double>() > 0.1);
  CHECK((f - q).abs().max().item<double>() < 2.0 / 255);
}

TEST_CASE("pil_resize: floating-point gradient matches finite differences; 8-bit passes it straight through",
          "[preprocess][pil]") {
  torch::manual_seed(4);
  const auto x0 = 0.2 + 0.6 * torch::rand({1, 3, 9, 12}, torch::kDouble);  // no clipping near 0.2..0.8
  const auto w = torch::randn({1, 3, 5, 7}, torch::kDouble);
  auto energy = [&](const torch::Tensor& x, PilArithmetic a) { return (pil_resize(x, 5, 7, a) * w).sum(); };
  auto x = x0.clone().requires_grad_(true);
  energy(x, PilArithmetic::floating).backward();
  const auto grad = x.grad().clone();
  const double h = 1e-6;
  for (std::int64_t k : {0L, 17L, 100L, 200L, 323L}) {
    auto plus = x0.clone(), minus = x0.clone();
    plus.view(-1)[k] += h;
    minus.view(-1)[k] -= h;
    const double fd = (energy(plus, PilArithmetic::floating).item<double>() -
                       energy(minus, PilArithmetic::floating).item<double>()) / (2 * h);
    CHECK(grad.view(-1)[k].item<double>() == Approx(fd).epsilon(1e-6).margin(1e-9));
  }
  x.grad().zero_();
  energy(x, PilArithmetic::eight_bit).backward();
  CHECK((x.grad() - grad).abs().max().item<double>() < 1e-4 * grad.abs().max().item<double>());
}

TEST_CASE("pil_resize: bad input", "[preprocess][pil]") {
  CHECK_THROWS_WITH(pil_resize(torch::rand({3, 8, 8}), 4, 4), Catch::Contains("[B, C, H, W]"));
  CHECK_THROWS_WITH(pil_resize(torch::zeros({1, 3, 8, 8}, torch::kByte), 4, 4), Catch::Contains("floating point"));
  CHECK_THROWS_WITH(pil_resize(torch::rand({1, 3, 8, 8}), 0, 4), Catch::Contains("positive"));
}

}  // namespace DISTDIFF_UNITY_ID
