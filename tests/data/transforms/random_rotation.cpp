#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "distdiff/data/transforms/random_rotation.hpp"
#include "support/augment_images.hpp"

using namespace distdiff::augment;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

TEST_CASE("RandomRotation by exactly 90 degrees (nearest) is transpose + flip", "[augment]") {
  distdiff::Rng rng(1);
  auto img = distdiff::test::augment_pattern(3, 5, 5);
  const RandomRotation quarter{.min_degrees = 90.0, .max_degrees = 90.0};
  CHECK(torch::equal(quarter.apply(img, rng), img.transpose(1, 2).flip({1})));
}

TEST_CASE("RandomRotation draws angles in its range and keeps the size", "[augment]") {
  const RandomRotation t{};
  CHECK(t.min_degrees == -15.0);
  CHECK(t.max_degrees == 15.0);
  CHECK(t.interpolation == Interpolation::nearest);
  distdiff::Rng rng(9);
  double lo = 1e9, hi = -1e9;
  for (int k = 0; k < 500; ++k) {
    const double a = t.sample(rng);
    lo = std::min(lo, a);
    hi = std::max(hi, a);
  }
  CHECK(lo >= -15.0);
  CHECK(hi <= 15.0);
  CHECK(lo < -13.5);
  CHECK(hi > 13.5);
  auto img = distdiff::test::augment_pattern(3, 12, 16);
  auto out = t.apply(img, rng);
  CHECK(out.sizes() == img.sizes());
  distdiff::Rng a(4), b(4);
  CHECK(torch::equal(t.apply(img, a), t.apply(img, b)));
  CHECK(RandomRotation::symmetric(30).min_degrees == -30.0);
  CHECK_THROWS_AS(RandomRotation::symmetric(-1), std::invalid_argument);
  CHECK_THROWS_AS((RandomRotation{.min_degrees = 5, .max_degrees = 1}.sample(rng)), std::invalid_argument);
}

}  // namespace DISTDIFF_UNITY_ID
