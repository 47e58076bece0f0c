// The sinusoidal timestep embedding against its closed form, and the
// time_embedding MLP against linear_2(silu(linear_1(x))) computed by hand.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <cmath>

#include "distdiff/models/nn/timestep_embedding.hpp"
#include "distdiff/models/unet/unet2d_condition.hpp"

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace nnm = distdiff::models::nn;

namespace {
// e_j for the diffusers definition, in double precision.
double closed_form(double t, int j, int dim, bool flip, double shift) {
  const int half = dim / 2;
  if (j >= 2 * half) return 0.0;  // zero padding of odd sizes
  const bool first_half = j < half;
  const int k = first_half ? j : j - half;
  const double f = std::exp(-std::log(10000.0) * k / (half - shift));
  const bool is_cos = flip ? first_half : !first_half;
  return is_cos ? std::cos(t * f) : std::sin(t * f);
}
}  // namespace

TEST_CASE("timestep_embedding matches the closed form", "[unet][timestep]") {
  const std::vector<std::int64_t> ts = {0, 1, 10, 381, 999};
  auto t = torch::tensor(ts, torch::kInt64);
  struct Case { int dim; bool flip; double shift; };
  for (auto c : {Case{320, true, 0.0}, Case{320, false, 1.0}, Case{7, true, 0.0}, Case{32, true, 0.0}}) {
    auto e = nnm::timestep_embedding(t, c.dim, c.flip, c.shift);
    REQUIRE(e.sizes() == torch::IntArrayRef({5, c.dim}));
    REQUIRE(e.scalar_type() == torch::kFloat32);
    auto acc = e.accessor<float, 2>();
    double worst = 0.0;
    for (std::size_t b = 0; b < ts.size(); ++b)
      for (int j = 0; j < c.dim; ++j)
        worst = std::max(worst, std::abs(acc[b][j] - closed_form(static_cast<double>(ts[b]), j, c.dim, c.flip, c.shift)));
    // float32 arguments up to 999 carry ~1e-4 absolute error.
    CHECK(worst < 3e-4);
  }
  // Spot values written out: t = 1, dim 4, flip: [cos(1), cos(1e-2), sin(1), sin(1e-2)].
  auto e = nnm::timestep_embedding(torch::tensor({1}, torch::kInt64), 4, true, 0.0);
  CHECK(e[0][0].item<double>() == Approx(std::cos(1.0)).margin(1e-6));
  CHECK(e[0][1].item<double>() == Approx(std::cos(0.01)).margin(1e-6));
  CHECK(e[0][2].item<double>() == Approx(std::sin(1.0)).margin(1e-6));
  CHECK(e[0][3].item<double>() == Approx(std::sin(0.01)).margin(1e-6));
}

TEST_CASE("timestep_embedding rejects bad arguments", "[unet][timestep]") {
  CHECK_THROWS_AS(nnm::timestep_embedding(torch::zeros({2, 2}), 8, true, 0.0), std::invalid_argument);
  CHECK_THROWS_AS(nnm::timestep_embedding(torch::zeros({2}), 1, true, 0.0), std::invalid_argument);
  CHECK_THROWS_AS(nnm::timestep_embedding(torch::zeros({2}), 2, true, 1.0), std::invalid_argument);
}

TEST_CASE("UNet time_proj and time_embedding follow the diffusers definition", "[unet][timestep]") {
  torch::manual_seed(0);
  distdiff::models::UNet2DConditionModel unet(distdiff::models::UNetConfig::tiny());
  auto t = torch::tensor({3, 500}, torch::kInt64);
  auto proj = unet->time_proj(t);
  REQUIRE(proj.sizes() == torch::IntArrayRef({2, 32}));
  CHECK(proj[1][0].item<double>() == Approx(std::cos(500.0)).margin(1e-4));   // flip_sin_to_cos
  CHECK(proj[1][16].item<double>() == Approx(std::sin(500.0)).margin(1e-4));
  torch::NoGradGuard ng;
  auto& l1 = unet->time_embedding->linear_1;
  auto& l2 = unet->time_embedding->linear_2;
  REQUIRE(l1->weight.sizes() == torch::IntArrayRef({128, 32}));
  REQUIRE(l2->weight.sizes() == torch::IntArrayRef({128, 128}));
  auto h = proj.matmul(l1->weight.t()) + l1->bias;
  h = h / (1 + torch::exp(-h));   // SiLU by hand
  auto expected = h.matmul(l2->weight.t()) + l2->bias;
  CHECK(torch::allclose(unet->time_embedding(proj), expected, 1e-5, 1e-6));
}

}  // namespace DISTDIFF_UNITY_ID
