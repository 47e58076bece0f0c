#pragma once
// AgglomerativeGroups<Linkage> — group-level prototypes p_g (paper §4.1): the
// samples of each class are clustered into k groups by agglomerative
// hierarchical clustering with Euclidean distances (as scikit-learn's
// AgglomerativeClustering(n_clusters=k, linkage=..., metric="euclidean"), which
// the reference uses with linkage="average"), and each group is replaced by its
// mean feature vector. Result [C, k, D].
//
// Algorithm: the "generic" Lance–Williams scheme on a full n×n distance matrix
// (O(n²) memory) with a cached nearest neighbour per row, so a merge usually
// costs O(n). At every step the pair of clusters with the smallest linkage
// distance merges; ties go to the lexicographically smallest pair
// (smallest sample index of the first cluster, then of the second).
// Stopping after n − k merges gives the same partition as cutting scipy's /
// scikit-learn's full tree into k clusters whenever no two merge distances tie.
//
// Groups are ordered by the smallest sample index they contain (group 0 holds
// the class's first sample). A class with fewer than k samples is an error that
// names the class, its count and k (the reference needs >= k images per class).
//
// Linkage policies (structure, hence template parameters):
//   AverageLinkage   mean pairwise distance (UPGMA)       — the paper's setting
//   CompleteLinkage  largest pairwise distance
//   SingleLinkage    smallest pairwise distance
//   WardLinkage      increase of the within-group sum of squared errors
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <xtensor/xtensor.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "distdiff/concepts/prototypes.hpp"
#include "distdiff/prototypes/detail/common.hpp"

namespace distdiff {

// A linkage policy: how the distance between two singletons is stored, and the
// Lance–Williams update of the distance from cluster k to the union of i and j.
template <class L>
concept AgglomerativeLinkage = requires(double d, double n) {
  { L::name() } -> std::convertible_to<std::string>;
  { L::from_squared_euclidean(d) } -> std::same_as<double>;
  { L::update(d, d, d, n, n, n) } -> std::same_as<double>;
};

struct AverageLinkage {
  static std::string name() { return "average"; }
  static double from_squared_euclidean(double sq) { return std::sqrt(sq); }
  static double update(double d_ki, double d_kj, double /*d_ij*/, double n_i, double n_j,
                       double /*n_k*/) {
    return (n_i * d_ki + n_j * d_kj) / (n_i + n_j);
  }
};

struct CompleteLinkage {
  static std::string name() { return "complete"; }
  static double from_squared_euclidean(double sq) { return std::sqrt(sq); }
  static double update(double d_ki, double d_kj, double, double, double, double) {
    return std::max(d_ki, d_kj);
  }
};

struct SingleLinkage {
  static std::string name() { return "single"; }
  static double from_squared_euclidean(double sq) { return std::sqrt(sq); }
  static double update(double d_ki, double d_kj, double, double, double, double) {
    return std::min(d_ki, d_kj);
  }
};

// Stores the squared Ward distance d² = 2·n_i·n_j/(n_i+n_j)·‖c_i − c_j‖², i.e.
// twice the increase of the total within-cluster SSE caused by the merge
// (scipy's Ward distance, squared: same merge order).
struct WardLinkage {
  static std::string name() { return "ward"; }
  static double from_squared_euclidean(double sq) { return sq; }
  static double update(double d_ki, double d_kj, double d_ij, double n_i, double n_j,
                       double n_k) {
    return ((n_i + n_k) * d_ki + (n_j + n_k) * d_kj - n_k * d_ij) / (n_i + n_j + n_k);
  }
};

namespace detail {

// Agglomerative clustering of the rows of `x` into k groups; labels numbered
// by first appearance. Requires 1 <= k <= rows.
template <AgglomerativeLinkage Linkage>
std::vector<std::int64_t> agglomerate(const Matrix& x, std::int64_t k) {
  const std::size_t n = x.shape(0), dim = x.shape(1);
  std::vector<std::int64_t> owner(n);   // slot (cluster id) of each sample
  for (std::size_t i = 0; i < n; ++i) owner[i] = static_cast<std::int64_t>(i);
  if (static_cast<std::size_t>(k) < n) {
    Matrix dist = xt::zeros<double>(std::array<std::size_t, 2>{n, n});
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = i + 1; j < n; ++j) {
        double s = 0.0;
        for (std::size_t t = 0; t < dim; ++t) {
          const double d = x(i, t) - x(j, t);
          s += d * d;
        }
        dist(i, j) = dist(j, i) = Linkage::from_squared_euclidean(s);
      }
    std::vector<double> size(n, 1.0);
    std::vector<char> active(n, 1);
    std::vector<std::int64_t> nn(n, -1);   // nearest active j > i
    std::vector<double> nd(n, std::numeric_limits<double>::infinity());
    // Smallest distance to an active j > i; ties -> smallest j.
    auto recompute = [&](std::size_t i) {
      nn[i] = -1;
      nd[i] = std::numeric_limits<double>::infinity();
      for (std::size_t j = i + 1; j < n; ++j)
        if (active[j] && (nn[i] < 0 || dist(i, j) < nd[i])) {
          nn[i] = static_cast<std::int64_t>(j);
          nd[i] = dist(i, j);
        }
    };
    for (std::size_t i = 0; i < n; ++i) recompute(i);

    for (std::size_t merges = 0; merges < n - static_cast<std::size_t>(k); ++merges) {
      std::int64_t best = -1;
      for (std::size_t i = 0; i < n; ++i)
        if (active[i] && nn[i] >= 0 && (best < 0 || nd[i] < nd[static_cast<std::size_t>(best)]))
          best = static_cast<std::int64_t>(i);
      const auto a = static_cast<std::size_t>(best);
      const auto b = static_cast<std::size_t>(nn[a]);
      const double d_ab = dist(a, b);
      for (std::size_t q = 0; q < n; ++q)
        if (active[q] && q != a && q != b)
          dist(a, q) = dist(q, a) =
              Linkage::update(dist(a, q), dist(b, q), d_ab, size[a], size[b], size[q]);
      size[a] += size[b];
      active[b] = 0;
      for (std::size_t i = 0; i < n; ++i)
        if (owner[i] == static_cast<std::int64_t>(b)) owner[i] = static_cast<std::int64_t>(a);
      for (std::size_t i = 0; i < b; ++i) {
        if (!active[i] || i == a) continue;
        if (nn[i] == static_cast<std::int64_t>(a) || nn[i] == static_cast<std::int64_t>(b)) {
          recompute(i);
        } else if (i < a && (dist(i, a) < nd[i] ||
                             (dist(i, a) == nd[i] && static_cast<std::int64_t>(a) < nn[i]))) {
          nn[i] = static_cast<std::int64_t>(a);
          nd[i] = dist(i, a);
        }
      }
      recompute(a);
    }
  }
  // Slots are the smallest sample index of each cluster: renumber 0..k-1.
  std::vector<std::int64_t> slot_label(n, -1), labels(n);
  std::int64_t next = 0;
  for (std::size_t i = 0; i < n; ++i) {
    auto& l = slot_label[static_cast<std::size_t>(owner[i])];
    if (l < 0) l = next++;
    labels[i] = l;
  }
  return labels;
}

}  // namespace detail

template <AgglomerativeLinkage Linkage = AverageLinkage>
struct AgglomerativeGroups {
  using component_tag = prototype_strategy_tag;
  using linkage_type = Linkage;

  std::int64_t k = 3;          // groups per class (paper K = 3)
  bool normalize = true;       // L2-normalise features before clustering and averaging
  bool renormalize = true;     // L2-normalise each group prototype

  at::Tensor build(const at::Tensor& features, const at::Tensor& labels,
                   std::int64_t num_classes) const {
    check_k();
    return detail::build_group_prototypes(
        features, labels, num_classes, k, normalize, renormalize, who(),
        [this](const detail::Matrix& points) { return detail::agglomerate<Linkage>(points, k); });
  }

  // Group labels of one point set [n, D] (n >= k), numbered by first appearance;
  // the points are L2-normalised first when `normalize` is set.
  std::vector<std::int64_t> cluster(const at::Tensor& points) const {
    check_k();
    const auto x = detail::cluster_points(points, k, normalize, who());
    return detail::agglomerate<Linkage>(x, k);
  }

  std::string name() const { return "agglomerative-" + Linkage::name(); }
  nlohmann::json params() const { return {{"k", k}, {"normalize", normalize}, {"renormalize", renormalize}}; }

 private:
  std::string who() const { return "AgglomerativeGroups<" + Linkage::name() + ">(k=" + std::to_string(k) + ")"; }
  void check_k() const {
    if (k < 1) throw std::invalid_argument(who() + ": k must be >= 1");
  }
};

static_assert(PrototypeStrategy<AgglomerativeGroups<>>);
static_assert(PrototypeStrategy<AgglomerativeGroups<WardLinkage>>);

}  // namespace distdiff
