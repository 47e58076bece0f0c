// Paired differences and Student-t intervals (eval/paired.hpp) against hand
// computations and closed forms.
#include <catch2/catch.hpp>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "distdiff/eval/paired.hpp"

using Catch::Contains;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

using namespace distdiff::eval;   // here, not globally: the other files of the unity build keep their names

TEST_CASE("t_critical_95 matches the tables", "[paired]") {
  CHECK(t_critical_95(1) == Approx(12.7062).epsilon(1e-5));
  CHECK(t_critical_95(3) == Approx(3.18245).epsilon(1e-5));
  CHECK(t_critical_95(9) == Approx(2.26216).epsilon(1e-5));
  CHECK(t_critical_95(29) == Approx(2.04523).epsilon(1e-5));
  CHECK(t_critical_95(1e7) == Approx(1.95996).epsilon(1e-5));   // → the normal quantile
  CHECK_THROWS_AS(t_critical_95(0), std::invalid_argument);
}

TEST_CASE("paired_difference: a hand-computed example", "[paired]") {
  const std::vector<double> a = {1, 2, 3, 4}, b = {1.5, 2.1, 3.9, 4.2};
  // d = {0.5, 0.1, 0.9, 0.2}: mean 0.425, Σ(d − mean)² = 0.3875, sd = sqrt(0.3875 / 3)
  const auto s = paired_difference(a, b);
  const double sd = std::sqrt(0.3875 / 3);
  const double half = 3.182446305284263 * sd / 2;   // t_{0.975, 3} · sd / sqrt(4)
  CHECK(s.n == 4);
  CHECK(s.mean_a == Approx(2.5));
  CHECK(s.mean_b == Approx(2.925));
  CHECK(s.mean_diff == Approx(0.425));
  CHECK(s.sd_diff == Approx(sd));
  CHECK(s.ci95_low == Approx(0.425 - half));
  CHECK(s.ci95_high == Approx(0.425 + half));
  CHECK(s.share_b_lower == 0);
  CHECK(s.share_b_higher == 1);
  CHECK_FALSE(s.significant());   // the CI [-0.147, 0.997] contains 0
  // Swapping the samples negates the difference and mirrors the interval.
  const auto r = paired_difference(b, a);
  CHECK(r.mean_diff == Approx(-0.425));
  CHECK(r.ci95_low == Approx(-s.ci95_high));
  CHECK(r.share_b_lower == 1);
}

TEST_CASE("paired_difference: df 9 uses t = 2.262", "[paired]") {
  std::vector<double> a(10), b(10);
  for (int i = 0; i < 10; ++i) {
    a[i] = 10.0 * i;
    b[i] = a[i] + (i % 2 == 0 ? 1.0 : 3.0);   // d alternates 1, 3: mean 2, sd sqrt(10/9)
  }
  const auto s = paired_difference(a, b);
  const double sd = std::sqrt(10.0 / 9.0);
  CHECK(s.mean_diff == Approx(2));
  CHECK(s.sd_diff == Approx(sd));
  CHECK(s.ci95_half_width() == Approx(2.262157 * sd / std::sqrt(10.0)).epsilon(1e-6));
  CHECK(s.significant());
}

TEST_CASE("paired_difference: a constant difference has a collapsed CI", "[paired]") {
  const std::vector<double> a = {0.3, 0.9, 1.7, 2.2, 5.0}, b = {0.05, 0.65, 1.45, 1.95, 4.75};
  const auto s = paired_difference(a, b);
  CHECK(s.mean_diff == Approx(-0.25));
  CHECK(s.sd_diff == Approx(0).margin(1e-12));
  CHECK(s.ci95_low == Approx(-0.25).margin(1e-12));
  CHECK(s.ci95_high == Approx(-0.25).margin(1e-12));
  CHECK(s.share_b_lower == 1);
  // Identical samples: zero difference, no pair improved.
  const auto same = paired_difference(a, a);
  CHECK(same.mean_diff == 0);
  CHECK(same.ci95_low == 0);
  CHECK(same.ci95_high == 0);
  CHECK(same.share_b_lower == 0);
  CHECK(same.share_b_higher == 0);
}

TEST_CASE("paired_difference: ties count in neither share", "[paired]") {
  const auto s = paired_difference(std::vector<double>{1, 2, 3, 4}, std::vector<double>{0, 2, 3, 5});
  CHECK(s.share_b_lower == Approx(0.25));
  CHECK(s.share_b_higher == Approx(0.25));
}

TEST_CASE("paired_difference: one pair has a difference but no CI", "[paired]") {
  const auto s = paired_difference(std::vector<double>{1.0}, std::vector<double>{0.5});
  CHECK(s.n == 1);
  CHECK(s.mean_diff == Approx(-0.5));
  CHECK(std::isnan(s.sd_diff));
  CHECK(std::isnan(s.ci95_low));
  CHECK(std::isnan(s.ci95_high));
  CHECK_FALSE(s.has_ci());
  CHECK_FALSE(s.significant());
  CHECK(s.share_b_lower == 1);
}

TEST_CASE("paired_difference: bad input is a clear error", "[paired]") {
  CHECK_THROWS_WITH(paired_difference(std::vector<double>{1, 2, 3}, std::vector<double>{1, 2}),
                    Contains("3 and 2 values"));
  CHECK_THROWS_AS(paired_difference(std::vector<double>{1, 2, 3}, std::vector<double>{1, 2}), std::invalid_argument);
  CHECK_THROWS_WITH(paired_difference(std::vector<double>{}, std::vector<double>{}), Contains("no pairs"));
  CHECK_THROWS_WITH(paired_difference(std::vector<double>{1, NAN}, std::vector<double>{1, 2}), Contains("a[1]"));
  CHECK_THROWS_WITH(paired_difference(std::vector<double>{1, 2}, std::vector<double>{INFINITY, 2}),
                    Contains("b[0]"));
}

TEST_CASE("mean_ci: one-sample mean and interval", "[paired]") {
  const auto s = mean_ci(std::vector<double>{2, 4, 6});   // mean 4, sd 2, half = 4.302653 · 2 / sqrt(3)
  CHECK(s.n == 3);
  CHECK(s.mean == Approx(4));
  CHECK(s.sd == Approx(2));
  CHECK(s.ci95_half_width() == Approx(4.302653 * 2 / std::sqrt(3.0)).epsilon(1e-6));
  const auto one = mean_ci(std::vector<double>{7});
  CHECK(one.mean == 7);
  CHECK(std::isnan(one.ci95_low));
  CHECK_THROWS_AS(mean_ci(std::vector<double>{}), std::invalid_argument);
}

}  // namespace DISTDIFF_UNITY_ID
