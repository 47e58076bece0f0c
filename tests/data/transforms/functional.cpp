#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <cmath>

#include "distdiff/data/transforms/functional.hpp"
#include "support/augment_images.hpp"

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace F = distdiff::augment::functional;
using distdiff::augment::Interpolation;

TEST_CASE("shorter_side_size follows torchvision's truncation", "[augment]") {
  CHECK(F::shorter_side_size(300, 400, 256) == std::pair<std::int64_t, std::int64_t>{256, 341});  // 341.33
  CHECK(F::shorter_side_size(500, 375, 256) == std::pair<std::int64_t, std::int64_t>{341, 256});
  CHECK(F::shorter_side_size(32, 32, 36) == std::pair<std::int64_t, std::int64_t>{36, 36});
  CHECK_THROWS_AS(F::shorter_side_size(32, 32, 0), std::invalid_argument);
}

TEST_CASE("resize: bilinear upsampling by 2 matches the half-pixel closed form", "[augment]") {
  // 1-D ramp 0,1,2,3 (rows constant). align_corners=false: output pixel j
  // samples x = (j + 0.5) / 2 - 0.5, clamped to [0, 3].
  auto img = torch::arange(4, torch::kFloat).view({1, 1, 4}).expand({1, 2, 4}).contiguous();
  auto out = F::resize(img, 2, 8, Interpolation::bilinear);
  REQUIRE(out.sizes() == torch::IntArrayRef({1, 2, 8}));
  for (int j = 0; j < 8; ++j) {
    const double x = std::clamp((j + 0.5) / 2.0 - 0.5, 0.0, 3.0);
    CHECK(out[0][1][j].item<double>() == Approx(x).margin(1e-6));
  }
  // Nearest: floor(j * in / out).
  auto nn = F::resize(img, 2, 8, Interpolation::nearest);
  for (int j = 0; j < 8; ++j) CHECK(nn[0][0][j].item<double>() == std::floor(j / 2.0));
  // Bicubic stays inside the input range.
  auto step = torch::cat({torch::zeros({3, 8, 4}), torch::ones({3, 8, 4})}, 2);
  auto bc = F::resize(step, 13, 13, Interpolation::bicubic);
  CHECK(bc.min().item<double>() >= 0.0);
  CHECK(bc.max().item<double>() <= 1.0);
  CHECK_THROWS_AS(F::resize(torch::zeros({4, 4}), 2, 2), std::invalid_argument);
  CHECK_THROWS_AS(F::resize(torch::zeros({3, 4, 4}, torch::kByte), 2, 2), std::invalid_argument);
}

TEST_CASE("crop and pad are exact index windows, zero outside", "[augment]") {
  auto img = distdiff::test::augment_pattern(3, 6, 7);
  auto c = F::crop(img, 1, 2, 3, 4);
  CHECK(torch::equal(c, img.slice(1, 1, 4).slice(2, 2, 6)));
  auto o = F::crop(img, -1, 5, 3, 4);  // one row above, two columns past the right edge
  CHECK(torch::equal(o.slice(1, 0, 1), torch::zeros({3, 1, 4})));
  CHECK(torch::equal(o.slice(2, 2, 4), torch::zeros({3, 3, 2})));
  CHECK(torch::equal(o.slice(1, 1, 3).slice(2, 0, 2), img.slice(1, 0, 2).slice(2, 5, 7)));
  auto p = F::pad(img, 1, 2, 3, 4, 0.25);
  REQUIRE(p.sizes() == torch::IntArrayRef({3, 12, 11}));
  CHECK(torch::equal(p.slice(1, 2, 8).slice(2, 1, 8), img));
  CHECK(p.sum().item<double>() == Approx(img.sum().item<double>() + 0.25 * 3 * (12 * 11 - 6 * 7)));
}

TEST_CASE("center_crop rounds half to even like torchvision and pads small images", "[augment]") {
  auto img = distdiff::test::augment_pattern(1, 7, 7);
  // (7 - 4) / 2 = 1.5 -> 2
  CHECK(torch::equal(F::center_crop(img, 4, 4), img.slice(1, 2, 6).slice(2, 2, 6)));
  // (7 - 2) / 2 = 2.5 -> 2
  CHECK(torch::equal(F::center_crop(img, 2, 2), img.slice(1, 2, 4).slice(2, 2, 4)));
  auto big = F::center_crop(img, 10, 9);  // pad top 1, bottom 2, left 1, right 1
  REQUIRE(big.sizes() == torch::IntArrayRef({1, 10, 9}));
  CHECK(torch::equal(big.slice(1, 1, 8).slice(2, 1, 8), img));
}

TEST_CASE("inverse_affine_matrix: pure rotation and shear have closed forms", "[augment]") {
  const double pi = 3.14159265358979323846;
  auto m = F::inverse_affine_matrix({0, 0}, 30.0, {0, 0}, 1.0, {0, 0});
  // inverse of a clockwise (y-down) rotation R(a) = [[c,-s],[s,c]] is R(-a)
  CHECK(m[0] == Approx(std::cos(pi / 6)));
  CHECK(m[1] == Approx(std::sin(pi / 6)));
  CHECK(m[3] == Approx(-std::sin(pi / 6)));
  CHECK(m[4] == Approx(std::cos(pi / 6)));
  // shear_x by atan(0.3) about (cx, cy): x_in = x + 0.3 (y - cy)
  auto s = F::inverse_affine_matrix({-5.0, -4.0}, 0.0, {0, 0}, 1.0, {std::atan(0.3) * 180 / pi, 0.0});
  CHECK(s[0] == Approx(1.0));
  CHECK(s[1] == Approx(0.3));
  CHECK(s[2] == Approx(0.3 * 4.0));
  CHECK(s[3] == Approx(0.0).margin(1e-12));
  CHECK(s[4] == Approx(1.0));
  CHECK(s[5] == Approx(0.0).margin(1e-12));
}

TEST_CASE("rotate by 90 degrees (nearest) equals transpose + vertical flip", "[augment]") {
  for (std::int64_t n : {4, 5}) {
    auto img = distdiff::test::augment_pattern(3, n, n);
    auto expected = img.transpose(1, 2).flip({1});  // counter-clockwise quarter turn
    CHECK(torch::equal(F::rotate(img, 90.0, Interpolation::nearest), expected));
    CHECK(torch::equal(F::rotate(img, -90.0, Interpolation::nearest), img.transpose(1, 2).flip({2})));
    CHECK(torch::allclose(F::rotate(img, 90.0, Interpolation::bilinear), expected, 1e-5, 1e-5));
    CHECK(torch::equal(F::rotate(img, 0.0), img));
  }
}

TEST_CASE("rotate fills the uncovered corners with fill", "[augment]") {
  auto ones = torch::ones({3, 9, 9});
  auto r = F::rotate(ones, 45.0, Interpolation::nearest, 0.0);
  CHECK(r[0][0][0].item<double>() == 0.0);
  CHECK(r[0][4][4].item<double>() == 1.0);
  auto f = F::rotate(torch::zeros({3, 9, 9}), 45.0, Interpolation::nearest, 0.5);
  CHECK(f[1][0][0].item<double>() == 0.5);
  CHECK(f[1][4][4].item<double>() == 0.0);
}

TEST_CASE("affine translation moves content by whole pixels", "[augment]") {
  auto img = distdiff::test::augment_pattern(3, 6, 6);
  auto t = F::affine(img, 0.0, {2.0, -1.0}, 1.0, {0.0, 0.0});
  // out(y, x) = in(y + 1, x - 2)
  CHECK(torch::equal(t.slice(1, 0, 5).slice(2, 2, 6), img.slice(1, 1, 6).slice(2, 0, 4)));
  CHECK(torch::equal(t.slice(2, 0, 2), torch::zeros({3, 6, 2})));
  CHECK(torch::equal(t.slice(1, 5, 6), torch::zeros({3, 1, 6})));
}

TEST_CASE("normalize matches (x - mean) / std and rejects bad input", "[augment]") {
  auto img = distdiff::test::augment_pattern(3, 4, 5);
  auto out = F::normalize(img, {0.485, 0.456, 0.406}, {0.229, 0.224, 0.225});
  const double mean[3] = {0.485, 0.456, 0.406}, sd[3] = {0.229, 0.224, 0.225};
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 4; ++y)
      for (int x = 0; x < 5; ++x)
        CHECK(out[c][y][x].item<double>() == Approx((img[c][y][x].item<double>() - mean[c]) / sd[c]).epsilon(1e-5));
  CHECK_THROWS_AS(F::normalize(torch::zeros({1, 4, 4}), {0, 0, 0}, {1, 1, 1}), std::invalid_argument);
  CHECK_THROWS_AS(F::normalize(img, {0, 0, 0}, {1, 0, 1}), std::invalid_argument);
}

}  // namespace DISTDIFF_UNITY_ID
