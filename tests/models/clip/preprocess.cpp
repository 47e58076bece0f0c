// CLIP preprocessing: resize of the shorter side, centre crop (ties to even),
// bicubic against an independent implementation, normalisation modes, gradients.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <cmath>

#include "distdiff/models/clip/preprocess.hpp"

using namespace distdiff::models;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {
// PyTorch's bicubic (Keys, A = -0.75, align_corners = false, borders replicated),
// written out pixel by pixel.
double cubic_weight(double x) {
  const double A = -0.75;
  x = std::abs(x);
  if (x <= 1) return ((A + 2) * x - (A + 3)) * x * x + 1;
  if (x < 2) return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  return 0;
}
torch::Tensor naive_bicubic(const torch::Tensor& img, std::int64_t oh, std::int64_t ow) {
  const auto C = img.size(0), H = img.size(1), W = img.size(2);
  auto src = img.to(torch::kDouble).contiguous();
  auto out = torch::zeros({C, oh, ow}, torch::kDouble);
  auto s = src.accessor<double, 3>();
  auto o = out.accessor<double, 3>();
  for (std::int64_t c = 0; c < C; ++c)
    for (std::int64_t y = 0; y < oh; ++y)
      for (std::int64_t x = 0; x < ow; ++x) {
        const double sy = (y + 0.5) * double(H) / double(oh) - 0.5, sx = (x + 0.5) * double(W) / double(ow) - 0.5;
        const auto fy = static_cast<std::int64_t>(std::floor(sy)), fx = static_cast<std::int64_t>(std::floor(sx));
        double acc = 0;
        for (int m = -1; m <= 2; ++m)
          for (int n = -1; n <= 2; ++n) {
            const auto yy = std::clamp<std::int64_t>(fy + m, 0, H - 1), xx = std::clamp<std::int64_t>(fx + n, 0, W - 1);
            acc += cubic_weight(sy - double(fy + m)) * cubic_weight(sx - double(fx + n)) * s[c][yy][xx];
          }
        o[c][y][x] = acc;
      }
  return out;
}
}  // namespace

TEST_CASE("clip preprocess: centre crop offsets round half to even", "[clip][preprocess]") {
  auto img = torch::rand({1, 3, 16, 21});
  // Shorter side already 16: no resize; (21 - 16) / 2 = 2.5 rounds to 2.
  CHECK(torch::equal(clip_resize_center_crop(img, 16), img.narrow(3, 2, 16)));
  auto img2 = torch::rand({1, 3, 23, 16});
  // (23 - 16) / 2 = 3.5 rounds to 4.
  CHECK(torch::equal(clip_resize_center_crop(img2, 16), img2.narrow(2, 4, 16)));
  auto sq = torch::rand({2, 3, 16, 16});
  CHECK(torch::equal(clip_resize_center_crop(sq, 16), sq));
}

TEST_CASE("clip preprocess: bicubic resize of the shorter side", "[clip][preprocess]") {
  auto img = torch::rand({1, 3, 10, 15}, torch::kDouble);
  // Shorter side 10 -> 12, longer side floor(12 * 15 / 10) = 18, then crop columns 3..14.
  auto out = clip_resize_center_crop(img, 12);
  REQUIRE(out.sizes() == torch::IntArrayRef({1, 3, 12, 12}));
  auto ref = naive_bicubic(img[0], 12, 18).narrow(2, 3, 12);
  CHECK(torch::allclose(out[0], ref, 1e-9, 1e-9));

  auto big = torch::rand({1, 3, 40, 30}, torch::kDouble);  // downscale: 30 -> 12, 40 -> 16
  auto out2 = clip_resize_center_crop(big, 12);
  CHECK(torch::allclose(out2[0], naive_bicubic(big[0], 16, 12).narrow(1, 2, 12), 1e-9, 1e-9));
  // float inputs compute in float32.
  CHECK(clip_resize_center_crop(torch::rand({1, 3, 8, 8}, torch::kHalf), 4).scalar_type() == torch::kFloat);
}

TEST_CASE("clip preprocess: normalisation modes", "[clip][preprocess]") {
  auto img = torch::rand({2, 3, 8, 8});
  auto none = ClipPreprocessor::none(8)(img);
  CHECK(torch::equal(none, img));

  auto clip = ClipPreprocessor::clip(8)(img);
  for (int c = 0; c < 3; ++c)
    CHECK(torch::allclose(clip.select(1, c), (img.select(1, c) - kClipMean[c]) / kClipStd[c], 1e-6, 1e-6));
  CHECK(kClipMean[0] == 0.48145466);
  CHECK(kClipStd[2] == 0.27577711);

  auto cifar = ClipPreprocessor::cifar(8)(img);
  const double m[3] = {0.4914, 0.4822, 0.4465}, s[3] = {0.2470, 0.2435, 0.2616};
  for (int c = 0; c < 3; ++c)
    CHECK(torch::allclose(cifar.select(1, c), (img.select(1, c) - m[c]) / s[c], 1e-6, 1e-6));

  auto custom = ClipPreprocessor::custom({0.5, 0.5, 0.5}, {0.5, 0.5, 0.5}, 8)(img);
  CHECK(torch::allclose(custom, img * 2 - 1, 1e-6, 1e-6));
  CHECK_THROWS_WITH(ClipPreprocessor::custom({0, 0, 0}, {1, 0, 1}, 8)(img), Catch::Contains("std must be positive"));
  CHECK_THROWS_WITH(ClipPreprocessor::none(8)(torch::rand({1, 4, 8, 8})), Catch::Contains("3 channels"));
  CHECK_THROWS_WITH(ClipPreprocessor::none(8)(torch::rand({3, 8, 8})), Catch::Contains("[B, C, H, W]"));
  CHECK(to_string(ClipNormalization::None) == "none");
}

TEST_CASE("clip preprocess: gradient matches finite differences", "[clip][preprocess]") {
  auto img = torch::rand({1, 3, 7, 9}, torch::kDouble).requires_grad_(true);
  auto weights = torch::randn({1, 3, 5, 5}, torch::kDouble);
  auto f = [&](const torch::Tensor& x) { return (ClipPreprocessor::clip(5)(x) * weights).sum(); };
  f(img).backward();
  auto grad = img.grad();
  torch::NoGradGuard no_grad;
  const double h = 1e-6;
  for (std::int64_t k : {0L, 17L, 40L, 100L, 188L}) {
    auto plus = img.detach().clone(), minus = img.detach().clone();
    plus.view(-1)[k] += h;
    minus.view(-1)[k] -= h;
    const double fd = (f(plus).item<double>() - f(minus).item<double>()) / (2 * h);
    CHECK(grad.view(-1)[k].item<double>() == Approx(fd).margin(1e-7));
  }
}

}  // namespace DISTDIFF_UNITY_ID
