#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <cmath>
#include <set>

#include "distdiff/data/baselines/grid_mask.hpp"
#include "support/augment_images.hpp"

using namespace distdiff::augment;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {
std::int64_t zeros(const at::Tensor& t) { return (t == 0).sum().item<std::int64_t>(); }

// Smallest shift s >= 1 with row[x] == row[x + s] for every x (the period).
std::int64_t period(const at::Tensor& row) {
  const auto n = row.size(0);
  for (std::int64_t s = 1; s < n; ++s)
    if (torch::equal(row.slice(0, 0, n - s), row.slice(0, s, n))) return s;
  return n;
}
}  // namespace

TEST_CASE("GridMask on a ones image: masked area and period match d and ratio", "[augment][baseline]") {
  // 64 px holds 4 whole units of d = 16, so the masked area does not depend on the offsets.
  const std::int64_t S = 64, d = 16;
  auto ones = torch::ones({3, S, S});
  for (double ratio : {0.6, 0.25}) {
    const auto l = static_cast<std::int64_t>(std::ceil(d * ratio));  // 10, 4
    for (int mode : {1, 0}) {
      const GridMask g{.d_min = d, .d_max = d, .ratio = ratio, .rotate = 1, .mode = mode, .prob = 1.0};
      distdiff::Rng rng(7);
      for (int k = 0; k < 5; ++k) {
        auto out = g.apply(ones, rng);
        REQUIRE(out.sizes() == ones.sizes());
        // mode 1 drops the (d - l)^2 squares of each unit, mode 0 keeps only them
        const std::int64_t squares = (S / d) * (S / d) * (d - l) * (d - l);
        const std::int64_t dropped = mode == 1 ? squares : S * S - squares;
        CHECK(zeros(out) == 3 * dropped);
        CHECK(torch::equal(out[0], out[2]));  // one mask for every channel
        // period along a row and a column: exactly d
        // (rows and columns inside a stripe are constant; all others have period d)
        const auto m = out[0];
        int scanned = 0;
        for (std::int64_t i = 0; i < S; ++i) {
          for (const auto& line : {m[i], m.select(1, i)}) {
            if ((line == line[0]).all().item<bool>()) continue;
            ++scanned;
            CHECK(period(line) == d);
          }
        }
        CHECK(scanned == 2 * (S / d) * (d - l));
        // every dropped run along a row crossing a square has length d - l (mode 1)
        if (mode == 1) {
          const auto col_sum = (m == 0).sum(0);  // per column: #dropped rows
          CHECK(((col_sum == 0) | (col_sum == (S / d) * (d - l))).all().item<bool>());
          CHECK((col_sum == 0).sum().item<std::int64_t>() == (S / d) * l);
        }
      }
    }
  }
}

TEST_CASE("GridMask draws d in [d_min, d_max) and offsets in [0, d)", "[augment][baseline]") {
  const GridMask g{.d_min = 8, .d_max = 12, .ratio = 0.5, .rotate = 1, .prob = 1.0};
  distdiff::Rng rng(3);
  std::set<std::int64_t> ds, oys;
  auto ones = torch::ones({3, 48, 48});
  for (int k = 0; k < 200; ++k) {
    distdiff::Rng probe = rng;
    const auto p = g.sample(probe);
    REQUIRE(p.applied);
    REQUIRE(p.d >= 8);
    REQUIRE(p.d < 12);
    REQUIRE(p.l == static_cast<std::int64_t>(std::ceil(p.d * 0.5)));
    REQUIRE(p.offset_y >= 0);
    REQUIRE(p.offset_y < p.d);
    REQUIRE(p.offset_x < p.d);
    ds.insert(p.d);
    if (p.d == 8) oys.insert(p.offset_y);
    auto out = g.apply(ones, rng);
    REQUIRE(torch::equal(out[1], g.mask(48, 48, p)));
    if (k < 20) {  // a row through the squares has period d
      const auto rows = (out[0] == 0).any(1).nonzero();
      REQUIRE(rows.size(0) > 0);
      REQUIRE(period(out[0][rows[0][0].item<std::int64_t>()]) == p.d);
    }
  }
  CHECK(ds == std::set<std::int64_t>{8, 9, 10, 11});
  CHECK(oys.size() == 8);  // every offset of a d = 8 unit occurs
}

TEST_CASE("GridMask probability: 0 never, 1 always, ramp scales it", "[augment][baseline]") {
  auto img = distdiff::test::augment_pattern(3, 32, 32);
  distdiff::Rng rng(11);
  GridMask g = GridMask::for_image_size(32);
  CHECK(g.d_min == 14);
  CHECK(g.d_max == 32);
  g.prob = 0.0;
  for (int k = 0; k < 50; ++k) REQUIRE(torch::equal(g.apply(img, rng), img));
  g.prob = 1.0;
  for (int k = 0; k < 50; ++k) REQUIRE_FALSE(torch::equal(g.apply(img, rng), img));
  g.prob = 0.8;
  g.set_epoch_ramp(40, 80);
  CHECK(g.effective_prob() == Approx(0.4));
  int applied = 0;
  for (int k = 0; k < 1000; ++k) applied += g.sample(rng).applied;
  CHECK(std::abs(applied - 400) < 80);  // sd ~ 15.5
  g.set_epoch_ramp(0, 80);
  for (int k = 0; k < 50; ++k) REQUIRE_FALSE(g.sample(rng).applied);
  g.set_epoch_ramp(200, 80);
  CHECK(g.ramp == 1.0);
  CHECK_THROWS_AS(g.set_epoch_ramp(1, 0), std::invalid_argument);
}

TEST_CASE("GridMask defaults are the reference baseline; rotation keeps the masked share", "[augment][baseline]") {
  const GridMask g{};
  CHECK(g.d_min == 96);
  CHECK(g.d_max == 224);
  CHECK(g.ratio == 0.6);
  CHECK(g.rotate == 360);
  CHECK(g.mode == 1);
  CHECK(g.prob == 0.8);
  // A rotated grid still drops about (1 - r)^2 of the image (many units: d = 8 on 96 px).
  const GridMask r{.d_min = 8, .d_max = 8, .ratio = 0.5, .rotate = 360, .prob = 1.0};
  distdiff::Rng rng(21);
  auto ones = torch::ones({3, 96, 96});
  int rotated = 0;
  for (int k = 0; k < 10; ++k) {
    distdiff::Rng probe = rng;
    rotated += r.sample(probe).angle != 0;
    const double frac = double(zeros(r.apply(ones, rng)[0])) / (96.0 * 96.0);
    CHECK(frac == Approx(0.25).margin(0.04));
  }
  CHECK(rotated > 0);
  distdiff::Rng a(5), b(5);
  auto img = distdiff::test::augment_pattern(3, 40, 40);
  const GridMask s = GridMask::for_image_size(40);
  CHECK(torch::equal(s.apply(img, a), s.apply(img, b)));
  CHECK_THROWS_AS((GridMask{.d_min = 10, .d_max = 5}.apply(img, a)), std::invalid_argument);
  CHECK_THROWS_AS((GridMask{.mode = 2}.apply(img, a)), std::invalid_argument);
}

}  // namespace DISTDIFF_UNITY_ID
