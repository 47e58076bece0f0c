#pragma once
// KMeansGroups — group-level prototypes by k-means instead of agglomerative
// clustering (an ablation of paper §4.1). Per class: k-means++ seeding
// (std::mt19937_64 seeded with `seed`), Lloyd iterations, best of `n_init`
// restarts by inertia; the group prototypes are the group means. Result [C, k, D].
//
// Determinism: the points of a class are first put in a canonical order
// (lexicographic by coordinates), so the result depends only on the set of
// feature vectors and the seed — not on the order of the samples — and every
// class uses the same seed. Random numbers are drawn with portable arithmetic
// (no std::*_distribution), so results agree across standard libraries.
//
// Lloyd iteration t: assign every point to its nearest centre (ties -> lower
// centre index); a group left empty takes the point farthest from its centre
// among groups with more than one point; centres <- group means; record the
// inertia Σ‖x − c(x)‖². Stops when the assignment no longer changes, when the
// squared centre shift Σ‖c_t − c_{t−1}‖² is <= tol · (mean per-dimension
// variance of the points) (scikit-learn's rule), or after max_iter iterations.
// The recorded inertia never increases from one iteration to the next.
//
// Groups are ordered by the smallest sample index they contain. A class with
// fewer than k samples is an error naming the class, its count and k.
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <xtensor/xtensor.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "distdiff/concepts/prototypes.hpp"
#include "distdiff/prototypes/detail/common.hpp"

namespace distdiff {

// Result of clustering one point set.
struct KMeansResult {
  std::vector<std::int64_t> labels;     // [n] group of each point, numbered by first appearance
  at::Tensor centers;                   // [k, D] float64: the group means (k-means++ seeds if max_iter = 0)
  double inertia = 0.0;                 // Σ‖x − c(x)‖² of the returned run
  std::vector<double> inertia_history;  // inertia after each Lloyd iteration of the returned run
  std::int64_t iterations = 0;          // Lloyd iterations of the returned run
};

namespace detail {

// Uniform double in [0, 1) from the top 53 bits (portable, unlike std distributions).
inline double unit_uniform(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

inline double squared_distance(const Matrix& a, std::size_t i, const Matrix& b, std::size_t j) {
  double s = 0.0;
  for (std::size_t t = 0; t < a.shape(1); ++t) {
    const double d = a(i, t) - b(j, t);
    s += d * d;
  }
  return s;
}

// k-means++ (Arthur & Vassilvitskii 2007): the first centre uniformly at random,
// every next one with probability proportional to the squared distance to the
// nearest centre chosen so far. When all remaining mass is zero (duplicate
// points), the first point not yet chosen is taken.
inline std::vector<std::size_t> kmeans_plus_plus(const Matrix& x, std::int64_t k,
                                                 std::mt19937_64& rng) {
  const std::size_t n = x.shape(0);
  std::vector<std::size_t> chosen;
  chosen.push_back(std::min(n - 1, static_cast<std::size_t>(unit_uniform(rng) * double(n))));
  std::vector<double> d2(n);
  for (std::size_t i = 0; i < n; ++i) d2[i] = squared_distance(x, i, x, chosen[0]);
  while (static_cast<std::int64_t>(chosen.size()) < k) {
    const double total = std::accumulate(d2.begin(), d2.end(), 0.0);
    std::size_t pick = n;
    if (total > 0.0) {
      const double r = unit_uniform(rng) * total;
      double cum = 0.0;
      for (std::size_t i = 0; i < n; ++i) {
        cum += d2[i];
        if (d2[i] > 0.0 && cum > r) {
          pick = i;
          break;
        }
      }
      if (pick == n)   // r landed in the rounding slack at the end
        for (std::size_t i = n; i-- > 0;)
          if (d2[i] > 0.0) {
            pick = i;
            break;
          }
    } else {
      for (std::size_t i = 0; i < n && pick == n; ++i)
        if (std::find(chosen.begin(), chosen.end(), i) == chosen.end()) pick = i;
    }
    chosen.push_back(pick);
    for (std::size_t i = 0; i < n; ++i) d2[i] = std::min(d2[i], squared_distance(x, i, x, pick));
  }
  return chosen;
}

struct LloydRun {
  std::vector<std::int64_t> labels;
  Matrix centers;
  double inertia = 0.0;
  std::vector<double> history;
  std::int64_t iterations = 0;
};

// Nearest-centre assignment (ties -> lower centre) with empty-group repair.
inline std::vector<std::int64_t> assign_points(const Matrix& x, const Matrix& centers) {
  const std::size_t n = x.shape(0), k = centers.shape(0);
  std::vector<std::int64_t> labels(n);
  std::vector<double> dist(n);
  std::vector<std::int64_t> count(k, 0);
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t best = 0;
    double bd = squared_distance(x, i, centers, 0);
    for (std::size_t c = 1; c < k; ++c) {
      const double d = squared_distance(x, i, centers, c);
      if (d < bd) {
        bd = d;
        best = c;
      }
    }
    labels[i] = static_cast<std::int64_t>(best);
    dist[i] = bd;
    ++count[best];
  }
  for (std::size_t c = 0; c < k; ++c) {
    if (count[c] > 0) continue;
    std::size_t far = n;
    for (std::size_t i = 0; i < n; ++i)
      if (count[static_cast<std::size_t>(labels[i])] > 1 && (far == n || dist[i] > dist[far])) far = i;
    --count[static_cast<std::size_t>(labels[far])];
    labels[far] = static_cast<std::int64_t>(c);
    dist[far] = 0.0;
    count[c] = 1;
  }
  return labels;
}

inline double inertia_of(const Matrix& x, const std::vector<std::int64_t>& labels,
                         const Matrix& centers) {
  double s = 0.0;
  for (std::size_t i = 0; i < x.shape(0); ++i)
    s += squared_distance(x, i, centers, static_cast<std::size_t>(labels[i]));
  return s;
}

inline LloydRun lloyd(const Matrix& x, Matrix centers, std::int64_t max_iter, double tol_abs) {
  const auto k = static_cast<std::int64_t>(centers.shape(0));
  LloydRun run;
  run.labels = assign_points(x, centers);
  for (std::int64_t it = 0; it < max_iter; ++it) {
    if (it > 0) {
      auto labels = assign_points(x, centers);
      const bool unchanged = labels == run.labels;
      run.labels = std::move(labels);
      if (unchanged) break;
    }
    Matrix next = group_means(x, run.labels, k);
    double shift = 0.0;
    for (std::size_t c = 0; c < static_cast<std::size_t>(k); ++c)
      shift += squared_distance(next, c, centers, c);
    centers = std::move(next);
    run.history.push_back(inertia_of(x, run.labels, centers));
    run.iterations = it + 1;
    if (shift <= tol_abs) break;
  }
  run.inertia = inertia_of(x, run.labels, centers);
  run.centers = std::move(centers);
  return run;
}

// k-means of the rows of x (n >= k): best of n_init runs, points taken in
// canonical order; labels returned in the original order, numbered by first
// appearance; centres reordered to match.
inline KMeansResult kmeans(const Matrix& x, std::int64_t k, std::uint64_t seed,
                           std::int64_t max_iter, double tol, std::int64_t n_init) {
  const std::size_t n = x.shape(0), dim = x.shape(1);
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    for (std::size_t t = 0; t < dim; ++t)
      if (x(a, t) != x(b, t)) return x(a, t) < x(b, t);
    return false;
  });
  Matrix xs = xt::zeros<double>(std::array<std::size_t, 2>{n, dim});
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t t = 0; t < dim; ++t) xs(r, t) = x(order[r], t);

  double mean_var = 0.0;
  for (std::size_t t = 0; t < dim; ++t) {
    double m = 0.0, v = 0.0;
    for (std::size_t r = 0; r < n; ++r) m += xs(r, t);
    m /= double(n);
    for (std::size_t r = 0; r < n; ++r) v += (xs(r, t) - m) * (xs(r, t) - m);
    mean_var += v / double(n);
  }
  mean_var /= double(dim);

  std::mt19937_64 rng(seed);
  LloydRun best;
  bool have = false;
  for (std::int64_t r = 0; r < n_init; ++r) {
    const auto seeds = kmeans_plus_plus(xs, k, rng);
    Matrix init = xt::zeros<double>(std::array<std::size_t, 2>{static_cast<std::size_t>(k), dim});
    for (std::size_t c = 0; c < seeds.size(); ++c)
      for (std::size_t t = 0; t < dim; ++t) init(c, t) = xs(seeds[c], t);
    auto run = lloyd(xs, std::move(init), max_iter, tol * mean_var);
    if (!have || run.inertia < best.inertia) {
      best = std::move(run);
      have = true;
    }
  }

  std::vector<std::int64_t> raw(n);
  for (std::size_t r = 0; r < n; ++r) raw[order[r]] = best.labels[r];
  KMeansResult out;
  out.labels = relabel_by_first_appearance(raw, k);
  std::vector<std::int64_t> perm(static_cast<std::size_t>(k));   // new label -> old label
  for (std::size_t i = 0; i < n; ++i) perm[static_cast<std::size_t>(out.labels[i])] = raw[i];
  out.centers = torch::empty({k, static_cast<std::int64_t>(dim)}, torch::kFloat64);
  auto acc = out.centers.accessor<double, 2>();
  for (std::int64_t c = 0; c < k; ++c)
    for (std::size_t t = 0; t < dim; ++t)
      acc[c][static_cast<std::int64_t>(t)] = best.centers(static_cast<std::size_t>(perm[static_cast<std::size_t>(c)]), t);
  out.inertia = best.inertia;
  out.inertia_history = std::move(best.history);
  out.iterations = best.iterations;
  return out;
}

}  // namespace detail

struct KMeansGroups {
  using component_tag = prototype_strategy_tag;

  std::int64_t k = 3;           // groups per class
  std::uint64_t seed = 0;       // seeds std::mt19937_64 for k-means++ (same seed for every class)
  std::int64_t max_iter = 300;  // Lloyd iterations per run (0: keep the k-means++ seeds)
  double tol = 1e-6;            // relative tolerance on the squared centre shift
  std::int64_t n_init = 4;      // restarts; the run with the lowest inertia wins
  bool normalize = true;        // L2-normalise features before clustering and averaging
  bool renormalize = true;      // L2-normalise each group prototype

  at::Tensor build(const at::Tensor& features, const at::Tensor& labels,
                   std::int64_t num_classes) const {
    check();
    return detail::build_group_prototypes(
        features, labels, num_classes, k, normalize, renormalize, who(),
        [this](const detail::Matrix& points) {
          return detail::kmeans(points, k, seed, max_iter, tol, n_init).labels;
        });
  }

  // Clusters one point set [n, D] (n >= k); the points are L2-normalised first
  // when `normalize` is set.
  KMeansResult cluster(const at::Tensor& points) const {
    check();
    const auto x = detail::cluster_points(points, k, normalize, who());
    return detail::kmeans(x, k, seed, max_iter, tol, n_init);
  }

  std::string name() const { return "kmeans"; }
  nlohmann::json params() const {
    return {{"k", k},         {"seed", seed},           {"max_iter", max_iter},        {"tol", tol},
            {"n_init", n_init}, {"normalize", normalize}, {"renormalize", renormalize}};
  }

 private:
  std::string who() const { return "KMeansGroups(k=" + std::to_string(k) + ")"; }
  void check() const {
    if (k < 1) throw std::invalid_argument(who() + ": k must be >= 1");
    if (n_init < 1) throw std::invalid_argument(who() + ": n_init must be >= 1");
    if (max_iter < 0) throw std::invalid_argument(who() + ": max_iter must be >= 0");
    if (!(tol >= 0.0)) throw std::invalid_argument(who() + ": tol must be >= 0");
  }
};

static_assert(PrototypeStrategy<KMeansGroups>);

}  // namespace distdiff
