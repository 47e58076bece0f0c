#pragma once
// CenterCrop — torchvision transforms.CenterCrop: the central height x width
// window (offset round((H - h) / 2), round-half-even); an image smaller than
// the crop is zero-padded first.
#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "distdiff/concepts/augment.hpp"
#include "distdiff/data/transforms/functional.hpp"

namespace distdiff::augment {

struct CenterCrop {
  using component_tag = image_transform_tag;
  std::int64_t height = 224;
  std::int64_t width = 224;

  at::Tensor apply(const at::Tensor& img, Rng&) const {
    detail::check_image(img, "CenterCrop");
    return functional::center_crop(img, height, width);
  }
  std::string name() const { return "center-crop(" + std::to_string(height) + "x" + std::to_string(width) + ")"; }
};

static_assert(ImageTransform<CenterCrop>);

}  // namespace distdiff::augment
