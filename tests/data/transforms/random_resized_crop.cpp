#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <cmath>

#include "distdiff/data/transforms/random_resized_crop.hpp"
#include "support/augment_images.hpp"

using namespace distdiff::augment;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

TEST_CASE("RandomResizedCrop outputs the requested size", "[augment]") {
  const RandomResizedCrop t{.height = 32, .width = 24};
  distdiff::Rng rng(5);
  auto img = distdiff::test::augment_pattern(3, 40, 50);
  for (int k = 0; k < 20; ++k) {
    auto out = t.apply(img, rng);
    REQUIRE(out.sizes() == torch::IntArrayRef({3, 32, 24}));
    REQUIRE(out.min().item<double>() >= 0.0);
    REQUIRE(out.max().item<double>() <= 1.0);
  }
}

TEST_CASE("RandomResizedCrop boxes stay inside the image and inside the scale/ratio bounds", "[augment]") {
  const RandomResizedCrop t{};  // scale (0.08, 1), ratio (3/4, 4/3)
  distdiff::Rng rng(11);
  const std::int64_t H = 256, W = 320;
  double min_frac = 1.0, max_frac = 0.0, sum_frac = 0.0;
  for (int k = 0; k < 200; ++k) {
    const auto b = t.sample(H, W, rng);
    REQUIRE(b.top >= 0);
    REQUIRE(b.left >= 0);
    REQUIRE(b.top + b.height <= H);
    REQUIRE(b.left + b.width <= W);
    const double frac = double(b.height * b.width) / double(H * W);
    const double r = double(b.width) / double(b.height);
    // rounding of w and h moves the area and ratio by at most ~1 pixel per side
    REQUIRE(frac >= 0.08 * (1 - 2.0 / 72));
    REQUIRE(frac <= 1.0);
    REQUIRE(r >= 0.75 * (1 - 2.0 / 72));
    REQUIRE(r <= 4.0 / 3.0 * (1 + 2.0 / 72));
    min_frac = std::min(min_frac, frac);
    max_frac = std::max(max_frac, frac);
    sum_frac += frac;
  }
  // The draws spread over the range (not a constant fallback): mean near
  // the mean of the accepted uniform draws, well above the lower bound.
  CHECK(min_frac < 0.2);
  CHECK(max_frac > 0.7);
  CHECK(sum_frac / 200 > 0.35);
  CHECK(sum_frac / 200 < 0.65);
}

TEST_CASE("RandomResizedCrop falls back to the central crop", "[augment]") {
  // A scale that can never fit: every attempt fails, the fallback clamps the ratio.
  const RandomResizedCrop t{.scale = {2.0, 3.0}};
  distdiff::Rng rng(1);
  const auto wide = t.sample(10, 40, rng);  // in_ratio 4 > 4/3: h = 10, w = round(10 * 4/3) = 13
  CHECK(wide.height == 10);
  CHECK(wide.width == 13);
  CHECK(wide.top == 0);
  CHECK(wide.left == (40 - 13) / 2);
  const auto tall = t.sample(40, 10, rng);  // in_ratio 1/4 < 3/4: w = 10, h = round(10 / 0.75) = 13
  CHECK(tall.width == 10);
  CHECK(tall.height == 13);
  const auto square = t.sample(20, 20, rng);
  CHECK(square.height == 20);
  CHECK(square.width == 20);
  CHECK_THROWS_AS((RandomResizedCrop{.scale = {0.5, 0.1}}.sample(10, 10, rng)), std::invalid_argument);
}

}  // namespace DISTDIFF_UNITY_ID
