#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <cmath>
#include <map>

#include "distdiff/data/baselines/rand_augment.hpp"
#include "support/augment_images.hpp"

using namespace distdiff::augment;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace F = distdiff::augment::functional;

TEST_CASE("RandAugment magnitudes at M = 9 of 31 bins are torchvision's", "[augment][baseline]") {
  const RandAugment ra{};
  CHECK(ra.num_ops == 2);
  CHECK(ra.magnitude == 9);
  CHECK(ra.magnitude_of(RandAugmentOp::shear_x, 32, 40) == Approx(0.09));
  CHECK(ra.magnitude_of(RandAugmentOp::translate_x, 32, 40) == Approx(150.0 / 331.0 * 40 * 0.3));
  CHECK(ra.magnitude_of(RandAugmentOp::translate_y, 32, 40) == Approx(150.0 / 331.0 * 32 * 0.3));
  CHECK(ra.magnitude_of(RandAugmentOp::rotate, 32, 40) == Approx(9.0));
  CHECK(ra.magnitude_of(RandAugmentOp::brightness, 32, 40) == Approx(0.27));
  CHECK(ra.magnitude_of(RandAugmentOp::posterize, 32, 40) == 7.0);     // 8 - round(9 / 7.5)
  CHECK(ra.magnitude_of(RandAugmentOp::solarize, 32, 40) == Approx(0.7));  // 178.5 / 255
  CHECK(RandAugment{.magnitude = 30}.magnitude_of(RandAugmentOp::posterize, 8, 8) == 4.0);
  CHECK(RandAugment{.magnitude = 0}.magnitude_of(RandAugmentOp::rotate, 8, 8) == 0.0);
  CHECK_THROWS_AS((RandAugment{.magnitude = 31}.magnitude_of(RandAugmentOp::rotate, 8, 8)), std::invalid_argument);
}

TEST_CASE("RandAugment applies exactly N sampled ops, uniformly chosen", "[augment][baseline]") {
  auto img = distdiff::test::augment_natural(24, 24);
  for (int n : {0, 1, 2, 3}) {
    const RandAugment ra{.num_ops = n};
    distdiff::Rng rng(100 + n), probe(100 + n);
    for (int k = 0; k < 5; ++k) {
      const auto ops = ra.sample_ops(probe);
      REQUIRE(ops.size() == static_cast<std::size_t>(n));
      auto expected = img;
      for (const auto& c : ops) expected = ra.apply_op(expected, c);
      REQUIRE(torch::equal(ra.apply(img, rng), expected));
    }
  }
  // All 14 ops occur with frequency ~ 1/14; signs only on signed ops, both signs occur.
  const RandAugment ra{};
  distdiff::Rng rng(8);
  std::map<RandAugmentOp, int> count;
  std::map<RandAugmentOp, int> negative;
  const int draws = 7000;
  for (int k = 0; k < draws / 2; ++k)
    for (const auto& c : ra.sample_ops(rng)) {
      ++count[c.op];
      negative[c.op] += c.negative;
    }
  REQUIRE(count.size() == 14);
  for (auto op : rand_augment_ops) {
    CHECK(std::abs(count[op] - draws / 14) < 5 * 21);  // sd ~ 20.7
    if (is_signed(op)) {
      CHECK(negative[op] > count[op] / 4);
      CHECK(negative[op] < 3 * count[op] / 4);
    } else {
      CHECK(negative[op] == 0);
    }
  }
}

TEST_CASE("every RandAugment op except Identity changes a non-constant image, keeping shape and range",
          "[augment][baseline]") {
  const RandAugment ra{};
  auto img = distdiff::test::augment_natural(32, 32);
  for (auto op : rand_augment_ops) {
    for (bool neg : {false, true}) {
      if (neg && !is_signed(op)) continue;
      INFO(to_string(op) << (neg ? " (negative)" : ""));
      auto out = ra.apply_op(img, {op, neg});
      REQUIRE(out.sizes() == img.sizes());
      CHECK(out.min().item<double>() >= 0.0);
      CHECK(out.max().item<double>() <= 1.0);
      if (op == RandAugmentOp::identity)
        CHECK(torch::equal(out, img));
      else
        CHECK((out - img).abs().max().item<double>() > 1e-3);
    }
  }
  CHECK_THROWS_AS(ra.apply_op(torch::ones({1, 8, 8}), {RandAugmentOp::color, false}), std::invalid_argument);
}

TEST_CASE("RandAugment geometric ops move pixels as their matrices say", "[augment][baseline]") {
  const RandAugment ra{};
  auto img = distdiff::test::augment_pattern(3, 20, 22);
  // TranslateX: int(150/331 * 22 * 0.3) = 2 pixels to the right, zeros enter on the left.
  auto tx = ra.apply_op(img, {RandAugmentOp::translate_x, false});
  CHECK(torch::equal(tx.slice(2, 2, 22), img.slice(2, 0, 20)));
  CHECK(torch::equal(tx.slice(2, 0, 2), torch::zeros({3, 20, 2})));
  auto ty = ra.apply_op(img, {RandAugmentOp::translate_y, true});  // int(-2.71) = -2: up
  CHECK(torch::equal(ty.slice(1, 0, 18), img.slice(1, 2, 20)));
  // ShearX by m about the top-left corner: out(y, x) = in(y, round(x + m (y + 1/2))).
  auto sx = ra.apply_op(img, {RandAugmentOp::shear_x, false});
  for (std::int64_t y : {0, 7, 19})
    for (std::int64_t x : {0, 5, 12}) {
      // pixel centres sit at index + 0.5 from the corner
      const auto xs = static_cast<std::int64_t>(std::nearbyint(x + 0.09 * (y + 0.5)));
      CHECK(sx[1][y][x].item<float>() == img[1][y][xs].item<float>());
    }
  // Rotate equals functional::rotate by +9 degrees.
  CHECK(torch::equal(ra.apply_op(img, {RandAugmentOp::rotate, false}), F::rotate(img, 9.0)));
  CHECK(torch::equal(ra.apply_op(img, {RandAugmentOp::rotate, true}), F::rotate(img, -9.0)));
}

TEST_CASE("RandAugment photometric ops match their closed forms", "[augment][baseline]") {
  auto img = distdiff::test::augment_natural(16, 16);
  CHECK(torch::allclose(F::adjust_brightness(img, 1.27), (img * 1.27).clamp(0, 1)));
  auto grey = 0.2989 * img[0] + 0.587 * img[1] + 0.114 * img[2];
  CHECK(torch::allclose(F::adjust_saturation(img, 0.73), (0.73 * img + 0.27 * grey.unsqueeze(0)).clamp(0, 1)));
  CHECK(torch::allclose(F::adjust_contrast(img, 1.27), (1.27 * img - 0.27 * grey.mean()).clamp(0, 1), 1e-5, 1e-6));
  auto sol = F::solarize(img, 0.7);
  CHECK(torch::equal(sol, torch::where(img >= 0.7, 1 - img, img)));
  // Sharpness: interior pixel by the 3x3 kernel, border untouched.
  auto sh = F::adjust_sharpness(img, 1.27);
  double acc = 0;
  for (int dy = -1; dy <= 1; ++dy)
    for (int dx = -1; dx <= 1; ++dx) acc += (dy == 0 && dx == 0 ? 5.0 : 1.0) * img[0][5 + dy][6 + dx].item<double>();
  const double v = img[0][5][6].item<double>();
  CHECK(sh[0][5][6].item<double>() == Approx(std::clamp(1.27 * v - 0.27 * acc / 13.0, 0.0, 1.0)).margin(1e-6));
  CHECK(torch::allclose(sh.select(1, 0), (1.27 * img.select(1, 0) - 0.27 * img.select(1, 0)).clamp(0, 1)));
  // AutoContrast stretches every channel to [0, 1].
  auto ac = F::autocontrast(img);
  for (int c = 0; c < 3; ++c) {
    CHECK(ac[c].min().item<double>() == Approx(0.0).margin(1e-6));
    CHECK(ac[c].max().item<double>() == Approx(1.0));
  }
  CHECK(torch::equal(F::autocontrast(torch::full({3, 4, 4}, 0.3)), torch::full({3, 4, 4}, 0.3)));
  // Posterize keeps the top `bits` of each 8-bit level.
  auto levels = (img * 255.999).floor();
  auto p4 = F::posterize(img, 4) * 255.0;
  CHECK(torch::allclose(p4, (levels / 16).floor() * 16, 0, 1e-3));
}

TEST_CASE("Equalize matches a brute-force PIL histogram equalisation", "[augment][baseline]") {
  const int H = 40, W = 30, N = H * W;
  auto img = (distdiff::test::augment_natural(H, W) * 0.6).contiguous();  // a narrow range to stretch
  auto out = F::equalize(img).contiguous();
  auto in_a = img.accessor<float, 3>();
  auto out_a = out.accessor<float, 3>();
  int changed = 0;
  for (int c = 0; c < 3; ++c) {
    std::vector<std::int64_t> q(N), hist(256, 0);
    for (int i = 0; i < N; ++i) {
      q[i] = static_cast<std::int64_t>(std::floor(double(in_a[c][i / W][i % W]) * 255.999));
      ++hist[q[i]];
    }
    std::int64_t last = 0;
    for (int b = 0; b < 256; ++b)
      if (hist[b]) last = hist[b];
    const std::int64_t step = (N - last) / 255;
    REQUIRE(step > 0);
    for (int i = 0; i < N; ++i) {
      std::int64_t below = 0;
      for (int b = 0; b < q[i]; ++b) below += hist[b];
      const std::int64_t expected = std::min<std::int64_t>((below + step / 2) / step, 255);
      changed += expected != q[i];
      REQUIRE(double(out_a[c][i / W][i % W]) * 255.0 == Approx(double(expected)).margin(1e-3));
    }
  }
  CHECK(changed > N);
  // A constant channel (one histogram bin) is left as its 8-bit level.
  auto flat = F::equalize(torch::full({3, 20, 20}, 0.5));
  CHECK(flat[0][3][3].item<double>() * 255.0 == Approx(127.0).margin(1e-3));
}

TEST_CASE("RandAugment is deterministic for a seed", "[augment][baseline]") {
  const RandAugment ra{};
  auto img = distdiff::test::augment_natural(32, 32);
  distdiff::Rng a(77), b(77), c(78);
  auto x = ra.apply(img, a);
  CHECK(torch::equal(x, ra.apply(img, b)));
  CHECK(ra.name() == "randaugment(n=2,m=9/30)");
}

}  // namespace DISTDIFF_UNITY_ID
