#pragma once
// Test-only helpers for the prototype strategies: random data and independent
// brute-force clustering references (no code shared with the library).
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

namespace proto_test {

using Points = std::vector<std::vector<double>>;

inline Points to_points(const torch::Tensor& t) {
  const auto c = t.to(torch::kFloat64).contiguous();
  Points p(static_cast<std::size_t>(c.size(0)), std::vector<double>(static_cast<std::size_t>(c.size(1))));
  auto a = c.accessor<double, 2>();
  for (std::size_t i = 0; i < p.size(); ++i)
    for (std::size_t j = 0; j < p[i].size(); ++j) p[i][j] = a[static_cast<long>(i)][static_cast<long>(j)];
  return p;
}

inline double sq_dist(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
  return s;
}

// Sum of squared distances of the members of `g` to their mean.
inline double sse(const Points& x, const std::vector<std::size_t>& g) {
  std::vector<double> m(x[0].size(), 0.0);
  for (auto i : g)
    for (std::size_t j = 0; j < m.size(); ++j) m[j] += x[i][j];
  for (auto& v : m) v /= double(g.size());
  double s = 0;
  for (auto i : g) s += sq_dist(x[i], m);
  return s;
}

enum class Link { single, complete, average, ward };

// Linkage distance between two clusters, recomputed from the original points.
inline double linkage_distance(const Points& x, const std::vector<std::size_t>& a,
                               const std::vector<std::size_t>& b, Link link) {
  if (link == Link::ward) {
    std::vector<std::size_t> u = a;
    u.insert(u.end(), b.begin(), b.end());
    return sse(x, u) - sse(x, a) - sse(x, b);
  }
  double lo = std::numeric_limits<double>::infinity(), hi = 0, sum = 0;
  for (auto i : a)
    for (auto j : b) {
      const double d = std::sqrt(sq_dist(x[i], x[j]));
      lo = std::min(lo, d);
      hi = std::max(hi, d);
      sum += d;
    }
  if (link == Link::single) return lo;
  if (link == Link::complete) return hi;
  return sum / double(a.size() * b.size());
}

struct BruteResult {
  std::vector<std::int64_t> labels;   // numbered by first appearance
  double min_gap = std::numeric_limits<double>::infinity();   // smallest relative gap best vs runner-up
};

// Naive O(n^3)-per-merge agglomeration: at every step, recompute every pair's
// linkage distance from the original points and merge the closest pair (ties:
// smallest (min index, min index) pair).
inline BruteResult brute_agglomerate(const Points& x, std::int64_t k, Link link) {
  std::vector<std::vector<std::size_t>> clusters;
  for (std::size_t i = 0; i < x.size(); ++i) clusters.push_back({i});
  BruteResult r;
  while (static_cast<std::int64_t>(clusters.size()) > k) {
    // clusters stay sorted by their smallest member, members ascending
    double best = std::numeric_limits<double>::infinity(), second = best;
    std::size_t bi = 0, bj = 0;
    for (std::size_t i = 0; i < clusters.size(); ++i)
      for (std::size_t j = i + 1; j < clusters.size(); ++j) {
        const double d = linkage_distance(x, clusters[i], clusters[j], link);
        if (d < best) {
          second = best;
          best = d;
          bi = i;
          bj = j;
        } else if (d < second) {
          second = d;
        }
      }
    if (std::isfinite(second))
      r.min_gap = std::min(r.min_gap, (second - best) / std::max(1e-300, std::abs(second)));
    clusters[bi].insert(clusters[bi].end(), clusters[bj].begin(), clusters[bj].end());
    std::sort(clusters[bi].begin(), clusters[bi].end());
    clusters.erase(clusters.begin() + static_cast<long>(bj));
  }
  std::vector<std::int64_t> lab(x.size());
  for (std::size_t c = 0; c < clusters.size(); ++c)
    for (auto i : clusters[c]) lab[i] = static_cast<std::int64_t>(c);
  r.labels = lab;   // clusters are ordered by smallest member = first appearance
  return r;
}

// Smallest inertia over every partition of the points into exactly k non-empty
// groups (n <= 8), with the labels of an optimal partition.
struct BrutePartition {
  double inertia = std::numeric_limits<double>::infinity();
  std::vector<std::int64_t> labels;
};
inline BrutePartition brute_kmeans(const Points& x, std::int64_t k) {
  const std::size_t n = x.size();
  BrutePartition best;
  std::vector<std::int64_t> lab(n, 0);
  // restricted growth strings: lab[0] = 0, lab[i] <= max(lab[0..i-1]) + 1
  std::function<void(std::size_t, std::int64_t)> rec = [&](std::size_t i, std::int64_t used) {
    if (i == n) {
      if (used != k) return;
      double s = 0;
      for (std::int64_t g = 0; g < k; ++g) {
        std::vector<std::size_t> members;
        for (std::size_t t = 0; t < n; ++t)
          if (lab[t] == g) members.push_back(t);
        s += sse(x, members);
      }
      if (s < best.inertia) {
        best.inertia = s;
        best.labels = lab;
      }
      return;
    }
    for (std::int64_t g = 0; g <= std::min<std::int64_t>(used, k - 1); ++g) {
      if (std::int64_t(n - i) - 1 < k - std::max(used, g + 1)) continue;   // too few points left
      lab[i] = g;
      rec(i + 1, std::max(used, g + 1));
    }
  };
  rec(0, 0);
  return best;
}

// Rows of each class's [P, D] block sorted lexicographically, for comparing
// prototype sets up to the order of the groups.
inline torch::Tensor sort_rows_per_class(const torch::Tensor& protos) {
  auto out = protos.to(torch::kFloat64).clone();
  for (std::int64_t c = 0; c < out.size(0); ++c) {
    auto rows = to_points(out[c]);
    std::sort(rows.begin(), rows.end());
    for (std::size_t r = 0; r < rows.size(); ++r)
      for (std::size_t j = 0; j < rows[r].size(); ++j)
        out[c][static_cast<long>(r)][static_cast<long>(j)] = rows[r][j];
  }
  return out;
}

}  // namespace proto_test
