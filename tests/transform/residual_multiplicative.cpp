#include <catch2/catch.hpp>

#include "distdiff/transform.hpp"

using namespace distdiff;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

TEST_CASE("ResidualMultiplicative: parameter shapes per granularity", "[transform]") {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
  const auto z = torch::randn({3, 4, 8, 8});
  auto shared = ResidualMultiplicative<SharedAcrossBatch>{}.init(z, gen);
  auto per = ResidualMultiplicative<PerSample>{}.init(z, gen);
  REQUIRE(shared.size() == 2);
  CHECK(shared[0].sizes() == torch::IntArrayRef({1, 4, 1, 1}));
  CHECK(per[1].sizes() == torch::IntArrayRef({3, 4, 1, 1}));
  CHECK(shared[0].requires_grad());
  CHECK(shared[1].requires_grad());
}

TEST_CASE("ResidualMultiplicative: e ~ U[0,1), b ~ N(0,1), seeded", "[transform]") {
  const auto z = torch::zeros({4000, 4, 1, 1});
  auto g1 = at::make_generator<at::CPUGeneratorImpl>(7);
  auto g2 = at::make_generator<at::CPUGeneratorImpl>(7);
  ResidualMultiplicative<PerSample> t;
  auto p = t.init(z, g1);
  auto q = t.init(z, g2);
  CHECK(torch::equal(p[0], q[0]));
  CHECK(torch::equal(p[1], q[1]));
  CHECK(p[0].min().item<double>() >= 0.0);
  CHECK(p[0].max().item<double>() < 1.0);
  CHECK(p[0].mean().item<double>() == Approx(0.5).margin(0.02));
  CHECK(p[0].var().item<double>() == Approx(1.0 / 12).margin(0.005));
  CHECK(p[1].mean().item<double>() == Approx(0.0).margin(0.03));
  CHECK(p[1].std().item<double>() == Approx(1.0).margin(0.03));
}

TEST_CASE("ResidualMultiplicative: apply is (1+e) z + b broadcast per channel", "[transform]") {
  ResidualMultiplicative<> t;
  const auto z = torch::randn({2, 3, 4, 4}, torch::kFloat64);
  const auto e = torch::tensor({0.5, 0.0, 1.0}, torch::kFloat64).view({1, 3, 1, 1});
  const auto b = torch::tensor({1.0, -2.0, 0.0}, torch::kFloat64).view({1, 3, 1, 1});
  const auto out = t.apply(z, {e, b});
  for (int c = 0; c < 3; ++c) {
    const double ec = e.view(-1)[c].item<double>(), bc = b.view(-1)[c].item<double>();
    CHECK(torch::allclose(out.select(1, c), (1 + ec) * z.select(1, c) + bc));
  }
}

TEST_CASE("ResidualMultiplicative: projection onto the L-inf ball", "[transform]") {
  ResidualMultiplicative<> t;
  torch::manual_seed(0);
  const auto z = torch::randn({2, 4, 6, 6}, torch::kFloat64);
  const auto zt = z + 3 * torch::randn({2, 4, 6, 6}, torch::kFloat64);
  const double eps = t.epsilon;
  REQUIRE(eps == 0.8);  // the paper's ε is the default
  const auto p = t.project(zt, z);
  // inside the ball
  CHECK((p - z).abs().max().item<double>() <= eps + 1e-12);
  // idempotent, and points already inside are untouched
  CHECK(torch::equal(t.project(p, z), p));
  const auto inside = z + 0.5 * eps * (2 * torch::rand_like(z) - 1);
  CHECK(torch::equal(t.project(inside, z), inside));
  // nearest point of the ball: no random point of the ball is closer (elementwise)
  for (int k = 0; k < 20; ++k) {
    const auto q = z + eps * (2 * torch::rand_like(z) - 1);
    CHECK(((zt - p).abs() <= (zt - q).abs() + 1e-12).all().item<bool>());
  }
  t.epsilon = 0.0;
  CHECK(torch::equal(t.project(zt, z), z));
  t.epsilon = -1.0;
  CHECK_THROWS(t.project(zt, z));
  CHECK(t.params()["epsilon"] == -1.0);
}

}  // namespace DISTDIFF_UNITY_ID
