// KMeansGroups against exhaustive enumeration of partitions, k-means++
// sampling probabilities, determinism and monotone Lloyd iterations.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <map>
#include <set>

#include "distdiff/prototypes/kmeans.hpp"
#include "prototypes/helpers.hpp"

using namespace distdiff;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {

// Same partition, up to renaming of the groups (both are numbered by first appearance).
bool same_partition(const std::vector<std::int64_t>& a, const std::vector<std::int64_t>& b) {
  return a == b;
}

}  // namespace

TEST_CASE("KMeansGroups never beats the global optimum and finds it on separated blobs",
          "[prototypes][kmeans]") {
  auto gen = at::detail::createCPUGenerator(2024);
  KMeansGroups s;
  s.normalize = false;
  for (int trial = 0; trial < 40; ++trial) {
    const std::int64_t n = 3 + trial % 6;   // 3..8 points
    const std::int64_t d = 1 + trial % 3;
    s.k = 1 + trial % std::min<std::int64_t>(n, 4);
    const auto x = torch::randn({n, d}, gen, torch::kFloat64);
    const auto brute = proto_test::brute_kmeans(proto_test::to_points(x), s.k);
    const auto ours = s.cluster(x);
    INFO("trial " << trial << " n=" << n << " k=" << s.k);
    CHECK(ours.inertia >= brute.inertia - 1e-12);
  }
  for (int trial = 0; trial < 20; ++trial) {
    const std::int64_t n = 6 + trial % 3;   // 6..8 points
    s.k = 2 + trial % 2;                    // 2 or 3 blobs, far apart, tight
    const auto centres = 100.0 * torch::randn({s.k, 2}, gen, torch::kFloat64);
    auto which = torch::arange(n, torch::kLong).remainder(s.k);
    const auto x = centres.index_select(0, which) + 0.01 * torch::randn({n, 2}, gen, torch::kFloat64);
    const auto brute = proto_test::brute_kmeans(proto_test::to_points(x), s.k);
    const auto ours = s.cluster(x);
    INFO("blob trial " << trial);
    CHECK(ours.inertia == Approx(brute.inertia).epsilon(1e-9));
    CHECK(same_partition(ours.labels, brute.labels));
  }
}

TEST_CASE("KMeansGroups: seeds follow the k-means++ distribution", "[prototypes][kmeans]") {
  // Points 0, 1, 3 on a line, k = 2, seeds kept (max_iter = 0). The first seed is
  // uniform; the second is drawn with probability proportional to squared distance:
  //   P{0,1} = (1/10 + 1/5)/3, P{0,3} = (9/10 + 9/13)/3, P{1,3} = (4/5 + 4/13)/3.
  auto x = torch::tensor({3.0, 0.0, 1.0}, torch::kFloat64).unsqueeze(1);
  KMeansGroups s;
  s.k = 2;
  s.normalize = false;
  s.max_iter = 0;
  s.n_init = 1;
  std::map<std::pair<double, double>, int> freq;
  const int trials = 6000;
  for (int t = 0; t < trials; ++t) {
    s.seed = static_cast<std::uint64_t>(t);
    const auto c = s.cluster(x).centers;
    double a = c[0][0].item<double>(), b = c[1][0].item<double>();
    if (a > b) std::swap(a, b);
    ++freq[{a, b}];
  }
  const std::map<std::pair<double, double>, double> expected = {
      {{0.0, 1.0}, (0.1 + 0.2) / 3}, {{0.0, 3.0}, (0.9 + 9.0 / 13) / 3}, {{1.0, 3.0}, (0.8 + 4.0 / 13) / 3}};
  int total = 0;
  for (const auto& [pair, p] : expected) {
    const double observed = double(freq[pair]) / trials;
    const double sigma = std::sqrt(p * (1 - p) / trials);
    INFO("pair " << pair.first << "," << pair.second << " observed " << observed << " expected " << p);
    CHECK(std::abs(observed - p) < 5 * sigma);
    total += freq[pair];
  }
  CHECK(total == trials);   // seeds are always data points and distinct
}

TEST_CASE("KMeansGroups is deterministic per seed", "[prototypes][kmeans]") {
  auto gen = at::detail::createCPUGenerator(7);
  const auto x = torch::randn({40, 4}, gen, torch::kFloat64);
  KMeansGroups s;
  s.k = 4;
  s.max_iter = 0;   // k-means++ seeds only
  s.n_init = 1;
  std::set<std::vector<double>> distinct;
  for (std::uint64_t seed = 0; seed < 8; ++seed) {
    s.seed = seed;
    const auto a = s.cluster(x), b = s.cluster(x);
    CHECK(torch::equal(a.centers, b.centers));
    CHECK(a.labels == b.labels);
    const auto flat = a.centers.flatten();
    distinct.insert(std::vector<double>(flat.data_ptr<double>(), flat.data_ptr<double>() + flat.numel()));
  }
  CHECK(distinct.size() >= 6);   // different seeds give different seedings
  s.max_iter = 300;
  s.n_init = 4;
  s.seed = 3;
  const auto a = s.cluster(x), b = s.cluster(x);
  CHECK(a.labels == b.labels);
  CHECK(a.inertia_history == b.inertia_history);
  CHECK(torch::equal(a.centers, b.centers));
}

TEST_CASE("KMeansGroups: Lloyd iterations never increase the inertia", "[prototypes][kmeans]") {
  auto gen = at::detail::createCPUGenerator(11);
  for (int trial = 0; trial < 10; ++trial) {
    const auto x = torch::randn({200, 5}, gen, torch::kFloat64);
    KMeansGroups s;
    s.k = 6;
    s.n_init = 1;
    s.seed = static_cast<std::uint64_t>(trial);
    s.normalize = trial % 2 == 0;
    s.tol = 0.0;
    const auto r = s.cluster(x);
    REQUIRE(r.inertia_history.size() >= 2);
    for (std::size_t i = 1; i < r.inertia_history.size(); ++i)
      CHECK(r.inertia_history[i] <= r.inertia_history[i - 1] * (1 + 1e-12));
    CHECK(r.inertia == Approx(r.inertia_history.back()).epsilon(1e-12));
    // the returned centres are the group means and the inertia is theirs
    const auto pts = s.normalize ? x / x.norm(2, {1}, true) : x;
    const auto lab = torch::tensor(r.labels, torch::kLong);
    double inertia = 0;
    for (std::int64_t g = 0; g < s.k; ++g) {
      const auto members = pts.index_select(0, (lab == g).nonzero().squeeze(1));
      REQUIRE(members.size(0) > 0);
      CHECK(torch::allclose(r.centers[g], members.mean(0), 1e-12, 1e-12));
      inertia += (members - members.mean(0)).pow(2).sum().item<double>();
    }
    CHECK(r.inertia == Approx(inertia).epsilon(1e-10));
  }
}

TEST_CASE("KMeansGroups: more restarts never give a worse inertia", "[prototypes][kmeans]") {
  auto gen = at::detail::createCPUGenerator(12);
  const auto x = torch::randn({60, 3}, gen, torch::kFloat64);
  KMeansGroups s;
  s.k = 5;
  s.n_init = 1;
  const double one = s.cluster(x).inertia;
  s.n_init = 8;   // the first run is the same (same seed, same stream), so the best can only improve
  CHECK(s.cluster(x).inertia <= one);
}

TEST_CASE("KMeansGroups copes with duplicate points", "[prototypes][kmeans]") {
  auto x = torch::tensor({{1.0, 0.0}, {1.0, 0.0}, {1.0, 0.0}, {0.0, 1.0}}, torch::kFloat64);
  KMeansGroups s;
  s.k = 3;
  const auto r = s.cluster(x);
  std::set<std::int64_t> groups(r.labels.begin(), r.labels.end());
  CHECK(groups.size() == 3);   // every group non-empty
  CHECK(r.inertia == Approx(0.0).margin(1e-15));
  const auto p = s.build(x, torch::zeros({4}, torch::kLong), 1);
  CHECK(p.sizes() == torch::IntArrayRef({1, 3, 2}));
  CHECK(torch::isfinite(p).all().item<bool>());
}

}  // namespace DISTDIFF_UNITY_ID
