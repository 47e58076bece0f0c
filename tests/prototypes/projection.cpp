// Figure 5's plane (prototypes/projection.hpp): checked against what a first
// and second principal component are — no direction holds more variance of
// the normalised features — and against brute force for the group assignment.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <string>

#include "distdiff/prototypes/projection.hpp"
#include "support/temp_dir.hpp"

using namespace distdiff;

namespace DISTDIFF_UNITY_ID {

namespace {

double variance_along(const torch::Tensor& unit_features, const torch::Tensor& direction) {
  const auto p = (unit_features - unit_features.mean(0)).matmul(direction);
  return (p * p).sum().item<double>() / double(unit_features.size(0) - 1);
}

torch::Tensor normalised(const torch::Tensor& x) { return x / x.norm(2, -1, true); }

}  // namespace

TEST_CASE("the plane is the two directions of largest variance of the normalised features", "[prototypes][figure5]") {
  torch::manual_seed(3);
  const std::int64_t n = 40, d = 6, c = 2, k = 3;
  // Anisotropic features: most spread along two mixed directions.
  const auto scale = torch::tensor({5.0, 3.0, 1.0, 0.5, 0.2, 0.1}, torch::kFloat64);
  const auto f = (torch::randn({n, d}, torch::kFloat64) * scale + 2.0).to(torch::kFloat32);
  const auto labels = torch::arange(n, torch::kLong) % c;
  Prototypes protos;
  protos.class_level = torch::randn({c, d});
  protos.group_level = torch::randn({c, k, d});
  const auto map = project_prototypes_2d(f, labels, protos);

  const auto u = normalised(f.to(torch::kFloat64));
  const auto a0 = map.axes[0], a1 = map.axes[1];
  CHECK(a0.norm().item<double>() == Approx(1).epsilon(1e-9));
  CHECK(a1.norm().item<double>() == Approx(1).epsilon(1e-9));
  CHECK(std::abs(a0.dot(a1).item<double>()) < 1e-9);
  const double v0 = variance_along(u, a0), v1 = variance_along(u, a1);
  CHECK(v0 >= v1);
  // No random direction beats the first axis; none orthogonal to it beats the second.
  torch::manual_seed(4);
  for (int t = 0; t < 300; ++t) {
    auto r = normalised(torch::randn({d}, torch::kFloat64));
    CHECK(variance_along(u, r) <= v0 + 1e-12);
    auto o = r - r.dot(a0) * a0;
    o = o / o.norm();
    CHECK(variance_along(u, o) <= v1 + 1e-12);
  }
  // Each axis's largest entry is positive (the same picture on every machine).
  for (const auto& axis : {a0, a1}) CHECK(axis[axis.abs().argmax()].item<double>() > 0);
  // Samples: centred coordinates on the axes.
  const auto expect = (u - u.mean(0)).matmul(map.axes.t());
  CHECK(torch::allclose(map.samples, expect, 1e-9, 1e-9));
  CHECK(map.samples.mean(0).abs().max().item<double>() < 1e-9);
  // Prototypes go through the same map.
  const auto g = normalised(protos.group_level.to(torch::kFloat64));
  CHECK(torch::allclose(map.groups[1][2], (g[1][2] - u.mean(0)).matmul(map.axes.t()), 1e-9, 1e-9));
  // Each class's own plane: the same property among the class's features alone.
  for (std::int64_t cls = 0; cls < c; ++cls) {
    const auto idx = (labels == cls).nonzero().flatten();
    const auto uc = u.index_select(0, idx);
    const auto own = map.class_samples.index_select(0, idx);
    CHECK(own.mean(0).abs().max().item<double>() < 1e-9);
    // The variance of the first coordinate is the largest variance of any direction in the class.
    const double v_own = (own.select(1, 0) * own.select(1, 0)).sum().item<double>() / double(idx.size(0) - 1);
    torch::manual_seed(5);
    for (int t = 0; t < 100; ++t)
      CHECK(variance_along(uc, normalised(torch::randn({d}, torch::kFloat64))) <= v_own + 1e-12);
    // Distances within the class are kept up to the plane: the coordinates are an orthogonal projection.
    CHECK(own.norm().item<double>() <= (uc - uc.mean(0)).norm().item<double>() + 1e-9);
  }
  // Nearest group of each sample, by brute force over its class's groups.
  for (std::int64_t i = 0; i < n; ++i) {
    const auto cls = labels[i].item<std::int64_t>();
    std::int64_t best = 0;
    for (std::int64_t j = 1; j < k; ++j)
      if (g[cls][j].dot(u[i]).item<double>() > g[cls][best].dot(u[i]).item<double>()) best = j;
    CHECK(map.nearest_group[i].item<std::int64_t>() == best);
  }
}

TEST_CASE("the prototype map file lists every sample and prototype; bad inputs are refused", "[prototypes][figure5]") {
  distdiff::test::TempDir tmp;
  const auto f = torch::randn({5, 4});
  const auto labels = torch::tensor({0, 1, 0, 1, 1}, torch::kLong);
  Prototypes protos;
  protos.class_level = torch::randn({2, 4});
  write_prototype_map(tmp.path / "map.csv", project_prototypes_2d(f, labels, protos), {"Coat", "Bag, large"});
  std::ifstream in(tmp.path / "map.csv");
  std::string line, all;
  int samples = 0, classes = 0;
  std::getline(in, line);
  CHECK(line == "kind,label,class,group,x,y,cx,cy");
  while (std::getline(in, line)) {
    samples += line.rfind("sample,", 0) == 0;
    classes += line.rfind("class,", 0) == 0;
    all += line + "\n";
  }
  CHECK(samples == 5);
  CHECK(classes == 2);
  CHECK(all.find("\"Bag, large\",-1") != std::string::npos);  // quoted; no groups: -1
  CHECK_THROWS_WITH(project_prototypes_2d(torch::randn({1, 4}), torch::zeros({1}, torch::kLong), protos),
                    Catch::Contains("N >= 2"));
  CHECK_THROWS_WITH(project_prototypes_2d(torch::randn({3, 5}), torch::zeros({3}, torch::kLong), protos),
                    Catch::Contains("4-d") && Catch::Contains("5-d"));
}

}  // namespace DISTDIFF_UNITY_ID
