#include <catch2/catch.hpp>

#include "distdiff/energy.hpp"

using namespace distdiff;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {
torch::Tensor unit(torch::Tensor x) { return x / x.norm(2, {-1}, true); }

Prototypes make_protos() {
  torch::manual_seed(11);
  Prototypes p;
  p.class_level = unit(torch::randn({3, 5}, torch::kFloat64));
  p.group_level = unit(torch::randn({3, 4, 5}, torch::kFloat64));
  return p;
}
}  // namespace

TEST_CASE("ClassDistance is the unsquared L2 distance of the normalised feature to its class prototype", "[energy]") {
  const auto protos = make_protos();
  const auto f = torch::randn({6, 5}, torch::kFloat64);
  const auto y = torch::tensor({0, 1, 2, 2, 1, 0}, torch::kLong);
  EnergyInputs in{f, y, &protos};
  const auto e = ClassDistance{}.energy(in);
  REQUIRE(e.sizes() == torch::IntArrayRef({6}));
  for (int i = 0; i < 6; ++i) {
    const auto fi = f[i] / f[i].norm();
    const auto pi = protos.class_level[y[i].item<std::int64_t>()];
    double d2 = 0;
    for (int k = 0; k < 5; ++k) d2 += std::pow(fi[k].item<double>() - pi[k].item<double>(), 2);
    CHECK(e[i].item<double>() == Approx(std::sqrt(d2)).epsilon(1e-12));
  }
  ClassDistance raw;
  raw.normalize = false;
  CHECK(raw.energy(in)[0].item<double>() == Approx((f[0] - protos.class_level[0]).norm().item<double>()));
}

TEST_CASE("GroupDistance uses the most cosine-similar group prototype of the class (brute force)", "[energy]") {
  const auto protos = make_protos();
  const auto f = torch::randn({8, 5}, torch::kFloat64);
  const auto y = torch::tensor({0, 1, 2, 0, 1, 2, 0, 1}, torch::kLong);
  EnergyInputs in{f, y, &protos};
  const auto e = GroupDistance{}.energy(in);
  for (int i = 0; i < 8; ++i) {
    const auto fi = f[i] / f[i].norm();
    const auto c = y[i].item<std::int64_t>();
    int best = 0;
    double best_cos = -2;
    for (int j = 0; j < 4; ++j) {
      const auto g = protos.group_level[c][j];
      const double cos = (fi * g).sum().item<double>() / g.norm().item<double>();
      if (cos > best_cos) best_cos = cos, best = j;
    }
    CHECK(e[i].item<double>() == Approx((fi - protos.group_level[c][best]).norm().item<double>()).epsilon(1e-12));
  }
}

TEST_CASE("Energy terms are differentiable: autograd matches finite differences", "[energy]") {
  const auto protos = make_protos();
  const auto y = torch::tensor({2, 0}, torch::kLong);
  auto f = torch::randn({2, 5}, torch::kFloat64).requires_grad_(true);
  energy_list<ClassDistance, GroupDistance> terms;
  std::get<1>(terms.terms).weight = 0.5;
  auto total = [&](const torch::Tensor& x) { return terms.total(EnergyInputs{x, y, &protos}).sum(); };
  const auto g = torch::autograd::grad({total(f)}, {f})[0];
  const double h = 1e-6;
  torch::NoGradGuard ng;
  for (int i = 0; i < 2; ++i)
    for (int k = 0; k < 5; ++k) {
      auto fp = f.detach().clone(), fm = f.detach().clone();
      fp[i][k] += h;
      fm[i][k] -= h;
      const double fd = (total(fp).item<double>() - total(fm).item<double>()) / (2 * h);
      CHECK(g[i][k].item<double>() == Approx(fd).epsilon(1e-5).margin(1e-8));
    }
}

TEST_CASE("energy_list sums weighted terms and names them", "[energy]") {
  const auto protos = make_protos();
  const auto f = torch::randn({4, 5}, torch::kFloat64);
  const auto y = torch::tensor({0, 1, 2, 0}, torch::kLong);
  EnergyInputs in{f, y, &protos};
  energy_list<ClassDistance, GroupDistance> both;
  both.get<ClassDistance>().weight = 2.0;
  const auto parts = both.parts(in);
  REQUIRE(parts.size() == 2);
  CHECK(torch::allclose(both.total(in), parts[0] + parts[1]));
  CHECK(torch::allclose(parts[0], 2.0 * ClassDistance{}.energy(in)));
  CHECK(both.name() == "class-distance+group-distance");
  CHECK_FALSE(energy_list<>{}.total(in).defined());
  CHECK(energy_list<>{}.name() == "none");
}

TEST_CASE("Energy terms reject missing or mismatched prototypes", "[energy]") {
  Prototypes only_class;
  only_class.class_level = torch::randn({2, 5});
  const auto f = torch::randn({1, 5});
  const auto y = torch::tensor({0}, torch::kLong);
  CHECK_THROWS_WITH(GroupDistance{}.energy(EnergyInputs{f, y, &only_class}), Catch::Contains("no group-level prototypes"));
  CHECK_THROWS_WITH(ClassDistance{}.energy(EnergyInputs{torch::randn({1, 4}), y, &only_class}), Catch::Contains("do not match"));
  CHECK_THROWS_WITH(ClassDistance{}.energy(EnergyInputs{f, y, nullptr}), Catch::Contains("needs prototypes"));
}

}  // namespace DISTDIFF_UNITY_ID
