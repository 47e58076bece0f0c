#pragma once
// RandomHorizontalFlip — torchvision transforms.RandomHorizontalFlip: mirror
// left-right with probability p.
#include <torch/torch.h>

#include <random>
#include <stdexcept>
#include <string>

#include "distdiff/concepts/augment.hpp"
#include "distdiff/data/transforms/functional.hpp"

namespace distdiff::augment {

struct RandomHorizontalFlip {
  using component_tag = image_transform_tag;
  double p = 0.5;

  // One draw from rng: true when this call flips.
  bool sample(Rng& rng) const {
    if (!(p >= 0.0 && p <= 1.0))
      throw std::invalid_argument("RandomHorizontalFlip: p must lie in [0, 1], got " + detail::num(p));
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng) < p;
  }

  at::Tensor apply(const at::Tensor& img, Rng& rng) const {
    detail::check_image(img, "RandomHorizontalFlip");
    return sample(rng) ? functional::hflip(img) : img;
  }
  std::string name() const { return "random-hflip(p=" + detail::num(p) + ")"; }
};

static_assert(ImageTransform<RandomHorizontalFlip>);

}  // namespace distdiff::augment
