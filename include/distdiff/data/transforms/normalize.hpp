#pragma once
// Normalize — torchvision transforms.Normalize: (x - mean[c]) / std[c] per
// channel, ImageNet statistics by default. Deterministic.
#include <torch/torch.h>

#include <array>
#include <string>

#include "distdiff/concepts/augment.hpp"
#include "distdiff/data/transforms/functional.hpp"

namespace distdiff::augment {

inline constexpr std::array<double, 3> imagenet_mean{0.485, 0.456, 0.406};
inline constexpr std::array<double, 3> imagenet_std{0.229, 0.224, 0.225};

struct Normalize {
  using component_tag = image_transform_tag;
  std::array<double, 3> mean = imagenet_mean;
  std::array<double, 3> std = imagenet_std;

  at::Tensor apply(const at::Tensor& img, Rng&) const {
    detail::check_image(img, "Normalize");
    return functional::normalize(img, mean, std);
  }
  std::string name() const { return mean == imagenet_mean && std == imagenet_std ? "normalize(imagenet)" : "normalize"; }
};

static_assert(ImageTransform<Normalize>);

}  // namespace distdiff::augment
