// ClassMean against hand computation; build_prototypes composition.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <cmath>

#include "distdiff/prototypes/agglomerative.hpp"
#include "distdiff/prototypes/build.hpp"
#include "distdiff/prototypes/class_mean.hpp"
#include "distdiff/prototypes/kmeans.hpp"

using namespace distdiff;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {
torch::Tensor features5() {
  return torch::tensor({{3.0, 4.0}, {1.0, 0.0}, {0.0, 2.0}, {0.0, -5.0}, {2.0, 0.0}}, torch::kFloat64);
}
torch::Tensor labels5() { return torch::tensor({0, 1, 0, 1, 1}, torch::kLong); }
}  // namespace

TEST_CASE("ClassMean: hand-computed prototypes", "[prototypes][class_mean]") {
  const auto kFeatures = features5();
  const auto kLabels = labels5();
  ClassMean s;
  SECTION("normalise, average, renormalise (the reference)") {
    // class 0: (0.6, 0.8), (0, 1) -> mean (0.3, 0.9) -> / sqrt(0.9)
    // class 1: (1, 0), (0, -1), (1, 0) -> mean (2/3, -1/3) -> / sqrt(5/9)
    const auto p = s.build(kFeatures, kLabels, 2);
    REQUIRE(p.sizes() == torch::IntArrayRef({2, 1, 2}));
    CHECK(p[0][0][0].item<double>() == Approx(0.3 / std::sqrt(0.9)).epsilon(1e-14));
    CHECK(p[0][0][1].item<double>() == Approx(0.9 / std::sqrt(0.9)).epsilon(1e-14));
    CHECK(p[1][0][0].item<double>() == Approx(2.0 / std::sqrt(5.0)).epsilon(1e-14));
    CHECK(p[1][0][1].item<double>() == Approx(-1.0 / std::sqrt(5.0)).epsilon(1e-14));
  }
  SECTION("normalise, no renormalisation") {
    s.renormalize = false;
    const auto p = s.build(kFeatures, kLabels, 2);
    CHECK(p[0][0][0].item<double>() == Approx(0.3).epsilon(1e-14));
    CHECK(p[0][0][1].item<double>() == Approx(0.9).epsilon(1e-14));
    CHECK(p[1][0][0].item<double>() == Approx(2.0 / 3).epsilon(1e-14));
    CHECK(p[1][0][1].item<double>() == Approx(-1.0 / 3).epsilon(1e-14));
  }
  SECTION("raw features, plain mean") {
    s.normalize = false;
    s.renormalize = false;
    const auto p = s.build(kFeatures, kLabels, 2);
    CHECK(p[0][0][0].item<double>() == Approx(1.5).epsilon(1e-14));
    CHECK(p[0][0][1].item<double>() == Approx(3.0).epsilon(1e-14));
    CHECK(p[1][0][0].item<double>() == Approx(1.0).epsilon(1e-14));
    CHECK(p[1][0][1].item<double>() == Approx(-5.0 / 3).epsilon(1e-14));
  }
  SECTION("raw mean, renormalised") {
    s.normalize = false;
    const auto p = s.build(kFeatures, kLabels, 2);
    CHECK(p[0][0][0].item<double>() == Approx(1.5 / std::sqrt(1.5 * 1.5 + 9.0)).epsilon(1e-14));
  }
}

TEST_CASE("ClassMean keeps the features' dtype", "[prototypes][class_mean]") {
  const auto kFeatures = features5();
  const auto kLabels = labels5();
  const auto p = ClassMean{}.build(kFeatures.to(torch::kFloat32), kLabels, 2);
  CHECK(p.scalar_type() == torch::kFloat32);
  CHECK(torch::allclose(p.to(torch::kFloat64), ClassMean{}.build(kFeatures, kLabels, 2), 1e-6, 1e-6));
  // int32 labels are accepted too
  CHECK(torch::equal(ClassMean{}.build(kFeatures, kLabels.to(torch::kInt), 2),
                     ClassMean{}.build(kFeatures, kLabels, 2)));
}

TEST_CASE("build_prototypes composes a class and a group strategy", "[prototypes][build]") {
  auto gen = at::detail::createCPUGenerator(3);
  const auto features = torch::randn({30, 8}, gen, torch::kFloat32);
  const auto labels = torch::arange(30, torch::kLong).remainder(3);
  const auto p = build_prototypes(ClassMean{}, AgglomerativeGroups<>{}, features, labels, 3);
  REQUIRE(p.class_level.sizes() == torch::IntArrayRef({3, 8}));
  REQUIRE(p.group_level.sizes() == torch::IntArrayRef({3, 3, 8}));
  CHECK(p.num_classes() == 3);
  CHECK(p.groups() == 3);
  CHECK(torch::equal(p.class_level, ClassMean{}.build(features, labels, 3).squeeze(1)));
  CHECK(torch::equal(p.group_level, AgglomerativeGroups<>{}.build(features, labels, 3)));

  const auto only = build_prototypes(ClassMean{}, features, labels, 3);
  CHECK(torch::equal(only.class_level, p.class_level));
  CHECK_FALSE(only.group_level.defined());
  CHECK(only.groups() == 0);

  KMeansGroups km;
  km.k = 4;
  CHECK(build_prototypes(ClassMean{}, km, features, labels, 3).groups() == 4);
  // a group strategy in the class slot is refused with a message naming it
  CHECK_THROWS_WITH(build_prototypes(km, features, labels, 3),
                    Catch::Contains("kmeans") && Catch::Contains("P = 4") && Catch::Contains("expected 1"));
}

}  // namespace DISTDIFF_UNITY_ID
