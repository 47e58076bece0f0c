#pragma once
// RandomCrop — torchvision transforms.RandomCrop: optional constant padding
// of every border, then a height x width window at a uniformly random
// position (top in [0, H - h], left in [0, W - w]).
#include <torch/torch.h>

#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>

#include "distdiff/concepts/augment.hpp"
#include "distdiff/data/transforms/functional.hpp"

namespace distdiff::augment {

struct RandomCrop {
  using component_tag = image_transform_tag;
  std::int64_t height = 224;
  std::int64_t width = 224;
  std::int64_t padding = 0;     // pixels added on every border first
  bool pad_if_needed = false;   // pad an image smaller than the crop instead of throwing
  double fill = 0.0;            // value of the padding

  struct Window {
    std::int64_t top = 0, left = 0;
  };

  // The crop's top-left corner for a (padded) image of in_h x in_w.
  Window sample(std::int64_t in_h, std::int64_t in_w, Rng& rng) const {
    if (in_h < height || in_w < width)
      throw std::invalid_argument("RandomCrop: the crop " + std::to_string(height) + "x" + std::to_string(width) +
                                  " is larger than the (padded) image " + std::to_string(in_h) + "x" +
                                  std::to_string(in_w) + " (set pad_if_needed)");
    if (in_h == height && in_w == width) return {};
    const auto top = std::uniform_int_distribution<std::int64_t>(0, in_h - height)(rng);
    const auto left = std::uniform_int_distribution<std::int64_t>(0, in_w - width)(rng);
    return {top, left};
  }

  at::Tensor apply(const at::Tensor& img, Rng& rng) const {
    detail::check_image(img, "RandomCrop");
    detail::check_positive(height, "RandomCrop", "height");
    detail::check_positive(width, "RandomCrop", "width");
    if (padding < 0) throw std::invalid_argument("RandomCrop: padding must be non-negative");
    at::Tensor x = padding > 0 ? functional::pad(img, padding, padding, padding, padding, fill) : img;
    if (pad_if_needed) {  // torchvision pads both sides by the missing amount
      const std::int64_t dw = std::max<std::int64_t>(width - x.size(2), 0);
      const std::int64_t dh = std::max<std::int64_t>(height - x.size(1), 0);
      if (dw > 0 || dh > 0) x = functional::pad(x, dw, dh, dw, dh, fill);
    }
    const auto w = sample(x.size(1), x.size(2), rng);
    return functional::crop(x, w.top, w.left, height, width);
  }

  std::string name() const {
    return "random-crop(" + std::to_string(height) + "x" + std::to_string(width) +
           (padding > 0 ? ",pad=" + std::to_string(padding) : std::string()) + ")";
  }
};

static_assert(ImageTransform<RandomCrop>);

}  // namespace distdiff::augment
