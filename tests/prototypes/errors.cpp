// Every error path of the prototype strategies: one clear message each.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <limits>

#include "distdiff/prototypes/agglomerative.hpp"
#include "distdiff/prototypes/class_mean.hpp"
#include "distdiff/prototypes/kmeans.hpp"

using namespace distdiff;
using Catch::Contains;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

TEMPLATE_TEST_CASE("prototype strategies reject bad inputs", "[prototypes][errors]", ClassMean,
                   AgglomerativeGroups<>, AgglomerativeGroups<WardLinkage>, KMeansGroups) {
  TestType s;
  const auto f = torch::randn({12, 4});
  const auto y = torch::arange(12, torch::kLong).remainder(2);

  CHECK_THROWS_AS(s.build(f.flatten(), y, 2), std::invalid_argument);
  CHECK_THROWS_WITH(s.build(f.flatten(), y, 2), Contains("2-D") && Contains("[48]"));
  CHECK_THROWS_WITH(s.build(f.unsqueeze(0), y, 2), Contains("2-D") && Contains("[1, 12, 4]"));
  CHECK_THROWS_WITH(s.build(torch::Tensor(), y, 2), Contains("undefined"));
  CHECK_THROWS_WITH(s.build(f, y.slice(0, 0, 10), 2), Contains("12 feature rows but 10 labels"));
  CHECK_THROWS_WITH(s.build(f, y.unsqueeze(1), 2), Contains("labels must be 1-D"));
  CHECK_THROWS_WITH(s.build(f, y.to(torch::kFloat32), 2), Contains("integer"));
  CHECK_THROWS_WITH(s.build(f.to(torch::kLong), y, 2), Contains("floating"));
  CHECK_THROWS_WITH(s.build(f, y, 0), Contains("num_classes must be >= 1"));

  auto bad = y.clone();
  bad[5] = 2;
  CHECK_THROWS_WITH(s.build(f, bad, 2), Contains("labels[5] = 2") && Contains("[0, num_classes = 2)"));
  bad[5] = -1;
  CHECK_THROWS_WITH(s.build(f, bad, 2), Contains("labels[5] = -1"));

  // class 2 of 3 has no samples
  CHECK_THROWS_WITH(s.build(f, y, 3), Contains("class 2 has no samples"));

  auto nan = f.clone();
  nan[3][1] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_WITH(s.build(nan, y, 2), Contains("NaN or infinite"));
}

TEMPLATE_TEST_CASE("group strategies: a class with fewer than k samples names class, count and k",
                   "[prototypes][errors]", AgglomerativeGroups<>, AgglomerativeGroups<SingleLinkage>,
                   KMeansGroups) {
  TestType s;   // k = 3
  const auto f = torch::randn({8, 4});
  const auto y = torch::tensor({0, 0, 0, 1, 1, 2, 2, 2}, torch::kLong);
  CHECK_THROWS_AS(s.build(f, y, 3), std::invalid_argument);
  CHECK_THROWS_WITH(s.build(f, y, 3),
                    Contains("class 1 has 2 samples") && Contains("fewer than k = 3"));
  s.k = 2;
  CHECK_NOTHROW(s.build(f, y, 3));
  s.k = 0;
  CHECK_THROWS_WITH(s.build(f, y, 3), Contains("k must be >= 1"));
  s.k = 5;
  CHECK_THROWS_WITH(s.cluster(f.slice(0, 0, 4)), Contains("4 points cannot form k = 5 groups"));
  CHECK_THROWS_WITH(s.cluster(f.flatten()), Contains("2-D"));
}

TEST_CASE("KMeansGroups rejects bad settings", "[prototypes][errors]") {
  const auto f = torch::randn({8, 2});
  const auto y = torch::zeros({8}, torch::kLong);
  KMeansGroups s;
  s.n_init = 0;
  CHECK_THROWS_WITH(s.build(f, y, 1), Contains("n_init must be >= 1"));
  s = KMeansGroups{};
  s.max_iter = -1;
  CHECK_THROWS_WITH(s.build(f, y, 1), Contains("max_iter must be >= 0"));
  s = KMeansGroups{};
  s.tol = -1.0;
  CHECK_THROWS_WITH(s.build(f, y, 1), Contains("tol must be >= 0"));
}

}  // namespace DISTDIFF_UNITY_ID
