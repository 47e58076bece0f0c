// AgglomerativeGroups against a naive agglomeration that recomputes every
// linkage distance from the original points at each merge.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "distdiff/prototypes/agglomerative.hpp"
#include "prototypes/helpers.hpp"

using namespace distdiff;
using proto_test::Link;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {

template <class L>
struct LinkOf;
template <>
struct LinkOf<AverageLinkage> { static constexpr Link value = Link::average; };
template <>
struct LinkOf<CompleteLinkage> { static constexpr Link value = Link::complete; };
template <>
struct LinkOf<SingleLinkage> { static constexpr Link value = Link::single; };
template <>
struct LinkOf<WardLinkage> { static constexpr Link value = Link::ward; };

// Random point sets of assorted shapes: isotropic Gaussians and blobs.
torch::Tensor random_points(torch::Generator& gen, std::int64_t n, std::int64_t d, bool blobs) {
  auto x = torch::randn({n, d}, gen, torch::kFloat64);
  if (blobs) {
    auto centres = 4.0 * torch::randn({3, d}, gen, torch::kFloat64);
    auto which = torch::randint(0, 3, {n}, gen, torch::kLong);
    x = 0.5 * x + centres.index_select(0, which);
  }
  return x;
}

}  // namespace

TEMPLATE_TEST_CASE("AgglomerativeGroups matches brute-force agglomeration", "[prototypes][agglomerative]",
                   AverageLinkage, CompleteLinkage, SingleLinkage, WardLinkage) {
  auto gen = at::detail::createCPUGenerator(1234);
  AgglomerativeGroups<TestType> s;
  s.normalize = false;
  int compared = 0, skipped = 0;
  for (int trial = 0; trial < 120; ++trial) {
    const std::int64_t n = 2 + trial % 13;            // 2..14 points
    const std::int64_t d = 1 + (trial / 13) % 4;      // 1..4 dimensions
    s.k = 1 + (trial * 7) % std::min<std::int64_t>(n, 5);
    const auto x = random_points(gen, n, d, trial % 2 == 1);
    const auto brute = proto_test::brute_agglomerate(proto_test::to_points(x), s.k, LinkOf<TestType>::value);
    if (brute.min_gap < 1e-9) {   // a (near-)tie: the merge order is not determined by the data
      ++skipped;
      continue;
    }
    INFO("trial " << trial << " n=" << n << " d=" << d << " k=" << s.k);
    CHECK(s.cluster(x) == brute.labels);
    ++compared;
  }
  CHECK(compared >= 110);
  CHECK(skipped <= 10);
}

TEMPLATE_TEST_CASE("AgglomerativeGroups::build returns the group means of the brute-force partition",
                   "[prototypes][agglomerative]", AverageLinkage, CompleteLinkage, SingleLinkage,
                   WardLinkage) {
  auto gen = at::detail::createCPUGenerator(99);
  const std::int64_t C = 3, per = 9, D = 4;
  auto features = torch::randn({C * per, D}, gen, torch::kFloat64);
  // interleave the classes so that class members are not contiguous
  auto labels = torch::arange(C * per, torch::kLong).remainder(C);
  AgglomerativeGroups<TestType> s;
  s.k = 3;
  s.normalize = true;
  s.renormalize = false;
  const auto protos = s.build(features, labels, C);
  REQUIRE(protos.sizes() == torch::IntArrayRef({C, 3, D}));
  const auto normed = features / features.norm(2, {1}, true);
  for (std::int64_t c = 0; c < C; ++c) {
    const auto idx = (labels == c).nonzero().squeeze(1);
    const auto pts = normed.index_select(0, idx);
    const auto brute = proto_test::brute_agglomerate(proto_test::to_points(pts), 3, LinkOf<TestType>::value);
    REQUIRE(brute.min_gap > 1e-9);
    for (std::int64_t g = 0; g < 3; ++g) {
      std::vector<std::int64_t> members;
      for (std::size_t i = 0; i < brute.labels.size(); ++i)
        if (brute.labels[i] == g) members.push_back(static_cast<std::int64_t>(i));
      const auto mean = pts.index_select(0, torch::tensor(members, torch::kLong)).mean(0);
      CHECK(torch::allclose(protos[c][g], mean, 1e-12, 1e-12));
    }
  }
}

TEST_CASE("AgglomerativeGroups breaks ties by the smallest sample indices", "[prototypes][agglomerative]") {
  // Equally spaced points on a line: every adjacent distance ties. The lexicographically
  // smallest pair merges first, so single linkage grows the cluster of sample 0.
  auto x = torch::tensor({0.0, 1.0, 2.0, 3.0, 4.0}, torch::kFloat64).unsqueeze(1);
  AgglomerativeGroups<SingleLinkage> single;
  single.normalize = false;
  single.k = 2;
  CHECK(single.cluster(x) == std::vector<std::int64_t>{0, 0, 0, 0, 1});
  CHECK(single.cluster(x) ==
        proto_test::brute_agglomerate(proto_test::to_points(x), 2, Link::single).labels);
  // Average linkage: (0,1) then (2,3) [distance 1 beats 1.5], then {0,1}+{2,3} (2) vs {2,3}+{4} (1.5).
  AgglomerativeGroups<AverageLinkage> average;
  average.normalize = false;
  average.k = 2;
  CHECK(average.cluster(x) == std::vector<std::int64_t>{0, 0, 1, 1, 1});
  CHECK(average.cluster(x) ==
        proto_test::brute_agglomerate(proto_test::to_points(x), 2, Link::average).labels);
}

TEST_CASE("AgglomerativeGroups: k = n keeps every sample, k = 1 merges all", "[prototypes][agglomerative]") {
  auto gen = at::detail::createCPUGenerator(5);
  auto x = torch::randn({6, 3}, gen, torch::kFloat64);
  AgglomerativeGroups<WardLinkage> s;
  s.k = 6;
  CHECK(s.cluster(x) == std::vector<std::int64_t>{0, 1, 2, 3, 4, 5});
  s.k = 1;
  CHECK(s.cluster(x) == std::vector<std::int64_t>(6, 0));
}

TEST_CASE("AgglomerativeGroups: normalisation on and off", "[prototypes][agglomerative]") {
  auto gen = at::detail::createCPUGenerator(17);
  auto x = torch::randn({12, 5}, gen, torch::kFloat64);
  auto scales = torch::rand({12, 1}, gen, torch::kFloat64) * 10.0 + 0.1;
  AgglomerativeGroups<> s;   // normalize = true: positive rescaling of samples changes nothing
  CHECK(s.cluster(x) == s.cluster(x * scales));
  s.normalize = false;       // on raw features, the brute force on raw points is the reference
  CHECK(s.cluster(x * scales) ==
        proto_test::brute_agglomerate(proto_test::to_points(x * scales), 3, Link::average).labels);
  // renormalize toggles unit-norm prototypes
  auto labels = torch::zeros({12}, torch::kLong);
  s.renormalize = true;
  CHECK(torch::allclose(s.build(x, labels, 1).norm(2, {2}), torch::ones({1, 3}, torch::kFloat64)));
  s.renormalize = false;
  CHECK_FALSE(torch::allclose(s.build(x, labels, 1).norm(2, {2}), torch::ones({1, 3}, torch::kFloat64)));
}

TEST_CASE("AgglomerativeGroups names its linkage", "[prototypes][agglomerative]") {
  CHECK(AgglomerativeGroups<>{}.name() == "agglomerative-average");
  CHECK(AgglomerativeGroups<WardLinkage>{}.name() == "agglomerative-ward");
  CHECK(AgglomerativeGroups<SingleLinkage>{}.name() == "agglomerative-single");
  CHECK(AgglomerativeGroups<CompleteLinkage>{}.name() == "agglomerative-complete");
  STATIC_REQUIRE(PrototypeStrategy<AgglomerativeGroups<CompleteLinkage>>);
  STATIC_REQUIRE(PrototypeStrategy<AgglomerativeGroups<SingleLinkage>>);
}

TEST_CASE("the brute-force comparisons discriminate between linkages", "[prototypes][agglomerative]") {
  // The equality checks above would be vacuous if every linkage produced the same
  // partitions on these inputs: count how often they disagree, and check that each
  // implementation differs from the brute force of the other linkages somewhere.
  auto gen = at::detail::createCPUGenerator(1234);
  const Link links[] = {Link::average, Link::complete, Link::single, Link::ward};
  int disagreements = 0;
  int mismatched[4] = {0, 0, 0, 0};   // ours(link i) != brute(link (i+1) % 4)
  for (int trial = 0; trial < 60; ++trial) {
    const auto x = random_points(gen, 12, 2, false);
    const auto pts = proto_test::to_points(x);
    std::vector<std::vector<std::int64_t>> brute;
    for (auto l : links) brute.push_back(proto_test::brute_agglomerate(pts, 3, l).labels);
    if (!(brute[0] == brute[1] && brute[1] == brute[2] && brute[2] == brute[3])) ++disagreements;
    AgglomerativeGroups<AverageLinkage> a;
    AgglomerativeGroups<CompleteLinkage> c;
    AgglomerativeGroups<SingleLinkage> s;
    AgglomerativeGroups<WardLinkage> w;
    a.normalize = c.normalize = s.normalize = w.normalize = false;
    mismatched[0] += a.cluster(x) != brute[1];
    mismatched[1] += c.cluster(x) != brute[2];
    mismatched[2] += s.cluster(x) != brute[3];
    mismatched[3] += w.cluster(x) != brute[0];
  }
  CHECK(disagreements >= 30);
  for (int m : mismatched) CHECK(m >= 10);
}

}  // namespace DISTDIFF_UNITY_ID
