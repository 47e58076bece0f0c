#include <catch2/catch.hpp>

#include "distdiff/update.hpp"

using namespace distdiff;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

TEST_CASE("SignedStep moves each coordinate by exactly rho against the gradient sign", "[update]") {
  const auto p = torch::tensor({0.2, -1.0, 3.0, 0.0}, torch::kFloat64);
  const auto g = torch::tensor({5.0, -0.001, 0.0, -2.0}, torch::kFloat64);
  const auto out = SignedStep{}.update(p, g);
  const auto expected = torch::tensor({0.1, -0.9, 3.0, 0.1}, torch::kFloat64);
  CHECK(torch::allclose(out, expected, 0, 1e-15));
}

TEST_CASE("GradientStep is p - rho * g", "[update]") {
  const auto p = torch::tensor({0.2, -1.0, 3.0}, torch::kFloat64);
  const auto g = torch::tensor({5.0, -0.5, 0.0}, torch::kFloat64);
  const auto out = GradientStep{}.update(p, g);
  CHECK(torch::allclose(out, torch::tensor({-49.8, 4.0, 3.0}, torch::kFloat64), 0, 1e-12));
}

TEST_CASE("Both rules decrease a convex quadratic for a small step", "[update]") {
  auto f = [](const torch::Tensor& x) { return (x * x).sum().item<double>(); };
  const auto x = torch::tensor({1.0, -2.0, 0.5}, torch::kFloat64);
  const auto g = 2 * x;
  CHECK(f(SignedStep{}.update(x, g)) < f(x));
  CHECK(f(GradientStep{.rho = 0.1}.update(x, g)) < f(x));
}

TEST_CASE("Each rule holds its own rho: the defaults are the reference code's, and params() reports it", "[update]") {
  CHECK(SignedStep{}.rho == 0.1);     // reference v1
  CHECK(GradientStep{}.rho == 10.0);  // reference HEAD
  const auto p = torch::zeros({2}, torch::kFloat64), g = torch::ones({2}, torch::kFloat64);
  CHECK(SignedStep{.rho = 0.5}.update(p, g)[0].item<double>() == -0.5);
  CHECK(GradientStep{.rho = 0.25}.update(p, g)[0].item<double>() == -0.25);
  CHECK(SignedStep{.rho = 0.5}.params()["rho"] == 0.5);
  CHECK(GradientStep{}.params()["rho"] == 10.0);
}

}  // namespace DISTDIFF_UNITY_ID
