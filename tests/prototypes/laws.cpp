// The laws every PrototypeStrategy obeys, run over every shipped strategy.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "distdiff/prototypes/agglomerative.hpp"
#include "distdiff/prototypes/class_mean.hpp"
#include "distdiff/prototypes/kmeans.hpp"
#include "prototypes/helpers.hpp"

using namespace distdiff;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {

template <class S>
std::int64_t prototypes_per_class(const S& s) {
  if constexpr (requires { s.k; })
    return s.k;
  else
    return 1;
}

struct LawData {
  torch::Tensor features, labels;
  std::int64_t classes = 4, dim = 6;
};

// Four classes of unequal sizes, interleaved, each with a few sub-clusters.
LawData law_data(std::uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  LawData d;
  std::vector<std::int64_t> labels;
  std::vector<torch::Tensor> rows;
  const std::int64_t sizes[] = {7, 12, 5, 20};
  for (std::int64_t c = 0; c < d.classes; ++c) {
    const auto centres = torch::randn({3, d.dim}, gen, torch::kFloat64) * 2.0 + 3.0 * c;
    for (std::int64_t i = 0; i < sizes[c]; ++i) {
      rows.push_back(centres[i % 3] + 0.3 * torch::randn({d.dim}, gen, torch::kFloat64));
      labels.push_back(c);
    }
  }
  const auto perm = torch::randperm(static_cast<std::int64_t>(labels.size()), gen, torch::kLong);
  d.features = torch::stack(rows).index_select(0, perm);
  d.labels = torch::tensor(labels, torch::kLong).index_select(0, perm);
  return d;
}

}  // namespace

TEMPLATE_TEST_CASE("PrototypeStrategy laws", "[prototypes][laws]", ClassMean, AgglomerativeGroups<>,
                   AgglomerativeGroups<CompleteLinkage>, AgglomerativeGroups<SingleLinkage>,
                   AgglomerativeGroups<WardLinkage>, KMeansGroups) {
  STATIC_REQUIRE(PrototypeStrategy<TestType>);
  const auto data = law_data(42);
  TestType s;
  const auto P = prototypes_per_class(s);

  SECTION("shape [C, P, D], the features' dtype, unit norm when renormalised") {
    for (auto dtype : {torch::kFloat32, torch::kFloat64}) {
      const torch::Tensor p = s.build(data.features.to(dtype), data.labels, data.classes);
      REQUIRE(p.sizes() == torch::IntArrayRef({data.classes, P, data.dim}));
      CHECK(p.scalar_type() == dtype);
      CHECK(p.device() == data.features.device());
      CHECK(torch::allclose(p.norm(2, {2}).to(torch::kFloat64), torch::ones({data.classes, P}, torch::kFloat64),
                            1e-6, 1e-6));
    }
  }

  SECTION("prototypes lie in the convex hull of their class's (normalised) features") {
    s.renormalize = false;
    for (bool normalize : {true, false}) {
      s.normalize = normalize;
      const torch::Tensor p = s.build(data.features, data.labels, data.classes);
      auto pts = data.features;
      if (normalize) pts = pts / pts.norm(2, {1}, true);
      // separation test: for every direction u, min u·x <= u·p <= max u·x
      auto gen = at::detail::createCPUGenerator(7);
      const auto dirs = torch::cat({torch::eye(data.dim, torch::kFloat64), -torch::eye(data.dim, torch::kFloat64),
                                    torch::randn({400, data.dim}, gen, torch::kFloat64)});
      for (std::int64_t c = 0; c < data.classes; ++c) {
        const auto proj_x = torch::matmul(pts.index_select(0, (data.labels == c).nonzero().squeeze(1)), dirs.t());
        const auto proj_p = torch::matmul(p[c], dirs.t());   // [P, dirs]
        const auto hi = std::get<0>(proj_x.max(0)), lo = std::get<0>(proj_x.min(0));
        CHECK((proj_p <= hi + 1e-12).all().item<bool>());
        CHECK((proj_p >= lo - 1e-12).all().item<bool>());
      }
    }
  }

  SECTION("invariant to the order of the samples") {
    const torch::Tensor reference = proto_test::sort_rows_per_class(s.build(data.features, data.labels, data.classes));
    for (std::uint64_t seed : {1u, 2u, 3u}) {
      auto gen = at::detail::createCPUGenerator(seed);
      const auto perm = torch::randperm(data.features.size(0), gen, torch::kLong);
      const torch::Tensor p = s.build(data.features.index_select(0, perm), data.labels.index_select(0, perm),
                             data.classes);
      CHECK(torch::allclose(proto_test::sort_rows_per_class(p), reference, 1e-12, 1e-12));
    }
  }

  SECTION("deterministic") {
    const torch::Tensor a = s.build(data.features, data.labels, data.classes);
    const torch::Tensor b = s.build(data.features, data.labels, data.classes);
    CHECK(torch::equal(a, b));
  }

  SECTION("named") { CHECK_FALSE(std::string(s.name()).empty()); }
}

}  // namespace DISTDIFF_UNITY_ID
