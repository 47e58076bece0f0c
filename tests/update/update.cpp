#include <catch2/catch.hpp>

#include "distdiff/update.hpp"

using namespace distdiff;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

TEST_CASE("SignedStep moves each coordinate by exactly rho against the gradient sign", "[update]") {
  const auto p = torch::tensor({0.2, -1.0, 3.0, 0.0}, torch::kFloat64);
  const auto g = torch::tensor({5.0, -0.001, 0.0, -2.0}, torch::kFloat64);
  const auto out = SignedStep{}.update(p, g, 0.1);
  const auto expected = torch::tensor({0.1, -0.9, 3.0, 0.1}, torch::kFloat64);
  CHECK(torch::allclose(out, expected, 0, 1e-15));
}

TEST_CASE("GradientStep is p - rho * g", "[update]") {
  const auto p = torch::tensor({0.2, -1.0, 3.0}, torch::kFloat64);
  const auto g = torch::tensor({5.0, -0.5, 0.0}, torch::kFloat64);
  const auto out = GradientStep{}.update(p, g, 10.0);
  CHECK(torch::allclose(out, torch::tensor({-49.8, 4.0, 3.0}, torch::kFloat64), 0, 1e-12));
}

TEST_CASE("Both rules decrease a convex quadratic for a small step", "[update]") {
  auto f = [](const torch::Tensor& x) { return (x * x).sum().item<double>(); };
  const auto x = torch::tensor({1.0, -2.0, 0.5}, torch::kFloat64);
  const auto g = 2 * x;
  CHECK(f(SignedStep{}.update(x, g, 0.1)) < f(x));
  CHECK(f(GradientStep{}.update(x, g, 0.1)) < f(x));
}

}  // namespace DISTDIFF_UNITY_ID
