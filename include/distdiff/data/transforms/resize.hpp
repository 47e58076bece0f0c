#pragma once
// Resize — torchvision transforms.Resize on tensors, without antialiasing:
// the shorter side becomes `size` (aspect ratio kept, longer side truncated
// as int(size * long / short)), or, when both `height` and `width` are
// positive, the image is resized to exactly height x width.
#include <torch/torch.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

#include "distdiff/concepts/augment.hpp"
#include "distdiff/data/transforms/functional.hpp"

namespace distdiff::augment {

struct Resize {
  using component_tag = image_transform_tag;
  std::int64_t size = 256;    // target of the shorter side
  std::int64_t height = 0;    // > 0 together with width: exact output size (size ignored)
  std::int64_t width = 0;
  Interpolation interpolation = Interpolation::bilinear;

  // Exact output size height x width.
  static Resize to(std::int64_t h, std::int64_t w, Interpolation i = Interpolation::bilinear) {
    return Resize{.size = 0, .height = h, .width = w, .interpolation = i};
  }

  // The output (height, width) for an input of in_h x in_w.
  std::pair<std::int64_t, std::int64_t> output_size(std::int64_t in_h, std::int64_t in_w) const {
    if (height > 0 && width > 0) return {height, width};
    if (height != 0 || width != 0)
      throw std::invalid_argument("Resize: height and width must both be positive (exact size) or both 0, got " +
                                  std::to_string(height) + "x" + std::to_string(width));
    if (size <= 0) throw std::invalid_argument("Resize: size must be positive, got " + std::to_string(size));
    return functional::shorter_side_size(in_h, in_w, size);
  }

  at::Tensor apply(const at::Tensor& img, Rng&) const {
    detail::check_image(img, "Resize");
    const auto [h, w] = output_size(img.size(1), img.size(2));
    return functional::resize(img, h, w, interpolation);
  }

  std::string name() const {
    const std::string what = (height > 0 && width > 0)
                                 ? std::to_string(height) + "x" + std::to_string(width)
                                 : std::to_string(size);
    return "resize(" + what + "," + to_string(interpolation) + ")";
  }
};

static_assert(ImageTransform<Resize>);

}  // namespace distdiff::augment
