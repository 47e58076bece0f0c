#pragma once
// Paired differences with Student-t confidence intervals (torch-free): the
// statistics of a paired design, where two variants of one experiment are
// measured on the same units (the same seed image, seed augmentation and
// noise; the same classifier seed), so that their difference per unit cancels
// what the units have in common.
//
//     std::vector<double> a = {0.91, 0.85, 0.88};   // baseline, one value per unit
//     std::vector<double> b = {0.87, 0.84, 0.80};   // variant, same units, same order
//     auto d = distdiff::eval::paired_difference(a, b);
//     // d.n = 3, d.mean_diff = mean(b − a) = −0.0433, d.sd_diff, [d.ci95_low, d.ci95_high],
//     // d.share_b_lower = 1 (b < a for every unit)
//
//     auto m = distdiff::eval::mean_ci(b);            // one sample: mean, sd, 95% CI of the mean
//
// Definitions (d_i = b_i − a_i, i = 1..n):
//   mean_diff = (1/n) Σ d_i                        (= mean_b − mean_a)
//   sd_diff   = sqrt(Σ (d_i − mean_diff)² / (n − 1))
//   CI95      = mean_diff ± t_{0.975, n−1} · sd_diff / sqrt(n)     (Student t, Boost.Math)
//   share_b_lower / share_b_higher = #{d_i < 0} / n, #{d_i > 0} / n (ties count in neither)
//
// Errors and edge cases: a size mismatch, no pairs, or a non-finite value is
// std::invalid_argument (naming the sizes or the index). With n = 1 there is
// no spread to estimate: sd_diff and the CI are NaN (not an error), so a
// report over one seed still shows its difference; a caller that needs a CI
// checks `has_ci()`. A constant difference has sd_diff = 0 and a CI that
// collapses to the mean.
#include <boost/math/distributions/students_t.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace distdiff::eval {

// The two-sided 95% critical value of Student's t with `df` degrees of freedom
// (t_{0.975, df}; 12.706 for df 1, 2.262 for df 9, → 1.960). df must be > 0.
inline double t_critical_95(double df) {
  if (!(df > 0) || !std::isfinite(df))
    throw std::invalid_argument("t_critical_95: degrees of freedom must be positive and finite, got " +
                                std::to_string(df));
  return boost::math::quantile(boost::math::students_t_distribution<double>(df), 0.975);
}

// One sample: its mean, sample standard deviation and the 95% CI of the mean.
struct MeanSummary {
  std::size_t n = 0;
  double mean = std::numeric_limits<double>::quiet_NaN();
  double sd = std::numeric_limits<double>::quiet_NaN();          // n − 1 in the denominator; NaN for n = 1
  double ci95_low = std::numeric_limits<double>::quiet_NaN();    // NaN for n = 1
  double ci95_high = std::numeric_limits<double>::quiet_NaN();
  bool has_ci() const { return n >= 2; }
  double ci95_half_width() const { return (ci95_high - ci95_low) / 2; }
};

// Paired differences b − a.
struct PairedSummary {
  std::size_t n = 0;
  double mean_a = std::numeric_limits<double>::quiet_NaN();
  double mean_b = std::numeric_limits<double>::quiet_NaN();
  double mean_diff = std::numeric_limits<double>::quiet_NaN();   // mean of b − a
  double sd_diff = std::numeric_limits<double>::quiet_NaN();     // NaN for n = 1
  double ci95_low = std::numeric_limits<double>::quiet_NaN();    // of mean_diff; NaN for n = 1
  double ci95_high = std::numeric_limits<double>::quiet_NaN();
  double share_b_lower = std::numeric_limits<double>::quiet_NaN();   // share of pairs with b < a
  double share_b_higher = std::numeric_limits<double>::quiet_NaN();  // share of pairs with b > a
  bool has_ci() const { return n >= 2; }
  double ci95_half_width() const { return (ci95_high - ci95_low) / 2; }
  // True when the 95% CI excludes 0 (a difference the data resolve).
  bool significant() const { return has_ci() && (ci95_low > 0 || ci95_high < 0); }
};

namespace detail {

inline void check_finite(std::span<const double> xs, const char* who, const char* which) {
  for (std::size_t i = 0; i < xs.size(); ++i)
    if (!std::isfinite(xs[i]))
      throw std::invalid_argument(std::string(who) + ": " + which + "[" + std::to_string(i) +
                                  "] is not finite (" + std::to_string(xs[i]) + ")");
}

}  // namespace detail

inline MeanSummary mean_ci(std::span<const double> xs) {
  if (xs.empty()) throw std::invalid_argument("mean_ci: no values");
  detail::check_finite(xs, "mean_ci", "value");
  MeanSummary s;
  s.n = xs.size();
  double sum = 0;
  for (double x : xs) sum += x;
  s.mean = sum / double(s.n);
  if (s.n < 2) return s;
  double ss = 0;
  for (double x : xs) ss += (x - s.mean) * (x - s.mean);
  s.sd = std::sqrt(ss / double(s.n - 1));
  const double half = t_critical_95(double(s.n - 1)) * s.sd / std::sqrt(double(s.n));
  s.ci95_low = s.mean - half;
  s.ci95_high = s.mean + half;
  return s;
}

inline MeanSummary mean_ci(const std::vector<double>& xs) { return mean_ci(std::span<const double>(xs)); }

// Paired differences b − a of two samples of one unit each per index.
inline PairedSummary paired_difference(std::span<const double> a, std::span<const double> b) {
  if (a.size() != b.size())
    throw std::invalid_argument("paired_difference: the samples must pair one to one, got " +
                                std::to_string(a.size()) + " and " + std::to_string(b.size()) + " values");
  if (a.empty()) throw std::invalid_argument("paired_difference: no pairs");
  detail::check_finite(a, "paired_difference", "a");
  detail::check_finite(b, "paired_difference", "b");
  std::vector<double> d(a.size());
  std::size_t lower = 0, higher = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    d[i] = b[i] - a[i];
    lower += b[i] < a[i];
    higher += b[i] > a[i];
  }
  const auto sa = mean_ci(a), sb = mean_ci(b), sd = mean_ci(d);
  PairedSummary s;
  s.n = a.size();
  s.mean_a = sa.mean;
  s.mean_b = sb.mean;
  s.mean_diff = sd.mean;
  s.sd_diff = sd.sd;
  s.ci95_low = sd.ci95_low;
  s.ci95_high = sd.ci95_high;
  s.share_b_lower = double(lower) / double(s.n);
  s.share_b_higher = double(higher) / double(s.n);
  return s;
}

inline PairedSummary paired_difference(const std::vector<double>& a, const std::vector<double>& b) {
  return paired_difference(std::span<const double>(a), std::span<const double>(b));
}

}  // namespace distdiff::eval
