#pragma once
// RandomResizedCrop — torchvision transforms.RandomResizedCrop: a window of
// area fraction s ~ U(scale) and aspect ratio r with log r ~ U(log ratio),
// w = round(sqrt(s A r)), h = round(sqrt(s A / r)); up to 10 attempts until the
// window fits, otherwise the central crop with the ratio clamped to `ratio`;
// the window is then resized to height x width.
#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>

#include "distdiff/concepts/augment.hpp"
#include "distdiff/data/transforms/functional.hpp"

namespace distdiff::augment {

struct RandomResizedCrop {
  using component_tag = image_transform_tag;
  std::int64_t height = 224;
  std::int64_t width = 224;
  std::array<double, 2> scale{0.08, 1.0};              // area fraction range
  std::array<double, 2> ratio{3.0 / 4.0, 4.0 / 3.0};   // aspect ratio (w / h) range
  int attempts = 10;
  Interpolation interpolation = Interpolation::bilinear;

  struct Box {
    std::int64_t top = 0, left = 0, height = 0, width = 0;
  };

  // torchvision's get_params for an in_h x in_w image.
  Box sample(std::int64_t in_h, std::int64_t in_w, Rng& rng) const {
    if (!(scale[0] > 0.0 && scale[0] <= scale[1]))
      throw std::invalid_argument("RandomResizedCrop: scale must satisfy 0 < min <= max, got (" +
                                  detail::num(scale[0]) + ", " + detail::num(scale[1]) + ")");
    if (!(ratio[0] > 0.0 && ratio[0] <= ratio[1]))
      throw std::invalid_argument("RandomResizedCrop: ratio must satisfy 0 < min <= max, got (" +
                                  detail::num(ratio[0]) + ", " + detail::num(ratio[1]) + ")");
    const double area = static_cast<double>(in_h) * static_cast<double>(in_w);
    std::uniform_real_distribution<double> u_scale(scale[0], scale[1]);
    std::uniform_real_distribution<double> u_logr(std::log(ratio[0]), std::log(ratio[1]));
    for (int k = 0; k < attempts; ++k) {
      const double target = area * u_scale(rng);
      const double r = std::exp(u_logr(rng));
      const auto w = static_cast<std::int64_t>(std::nearbyint(std::sqrt(target * r)));
      const auto h = static_cast<std::int64_t>(std::nearbyint(std::sqrt(target / r)));
      if (0 < w && w <= in_w && 0 < h && h <= in_h) {
        const auto top = std::uniform_int_distribution<std::int64_t>(0, in_h - h)(rng);
        const auto left = std::uniform_int_distribution<std::int64_t>(0, in_w - w)(rng);
        return {top, left, h, w};
      }
    }
    // Fallback: central crop.
    const double in_ratio = static_cast<double>(in_w) / static_cast<double>(in_h);
    std::int64_t w = in_w, h = in_h;
    if (in_ratio < ratio[0]) {
      h = static_cast<std::int64_t>(std::nearbyint(static_cast<double>(w) / ratio[0]));
    } else if (in_ratio > ratio[1]) {
      w = static_cast<std::int64_t>(std::nearbyint(static_cast<double>(h) * ratio[1]));
    }
    return {(in_h - h) / 2, (in_w - w) / 2, h, w};
  }

  at::Tensor apply(const at::Tensor& img, Rng& rng) const {
    detail::check_image(img, "RandomResizedCrop");
    detail::check_positive(height, "RandomResizedCrop", "height");
    detail::check_positive(width, "RandomResizedCrop", "width");
    const auto b = sample(img.size(1), img.size(2), rng);
    return functional::resize(functional::crop(img, b.top, b.left, b.height, b.width), height, width,
                              interpolation);
  }

  std::string name() const {
    return "random-resized-crop(" + std::to_string(height) + "x" + std::to_string(width) + ",scale=" +
           detail::num(scale[0]) + ":" + detail::num(scale[1]) + ")";
  }
};

static_assert(ImageTransform<RandomResizedCrop>);

}  // namespace distdiff::augment
