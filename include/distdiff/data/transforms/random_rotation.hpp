#pragma once
// RandomRotation — torchvision transforms.RandomRotation: an angle drawn
// uniformly from [min_degrees, max_degrees], counter-clockwise about the
// image centre, same output size, outside filled with `fill`. Nearest
// resampling by default (torchvision's default, used by the reference).
#include <torch/torch.h>

#include <random>
#include <stdexcept>
#include <string>

#include "distdiff/concepts/augment.hpp"
#include "distdiff/data/transforms/functional.hpp"

namespace distdiff::augment {

struct RandomRotation {
  using component_tag = image_transform_tag;
  double min_degrees = -15.0;
  double max_degrees = 15.0;
  Interpolation interpolation = Interpolation::nearest;   // nearest or bilinear
  double fill = 0.0;

  // RandomRotation(d) of torchvision: angles in [-d, d].
  static RandomRotation symmetric(double degrees, Interpolation i = Interpolation::nearest) {
    if (degrees < 0.0)
      throw std::invalid_argument("RandomRotation: degrees must be non-negative, got " + detail::num(degrees));
    return RandomRotation{.min_degrees = -degrees, .max_degrees = degrees, .interpolation = i};
  }

  double sample(Rng& rng) const {
    if (min_degrees > max_degrees)
      throw std::invalid_argument("RandomRotation: min_degrees " + detail::num(min_degrees) +
                                  " exceeds max_degrees " + detail::num(max_degrees));
    if (min_degrees == max_degrees) return min_degrees;
    return std::uniform_real_distribution<double>(min_degrees, max_degrees)(rng);
  }

  at::Tensor apply(const at::Tensor& img, Rng& rng) const {
    detail::check_image(img, "RandomRotation");
    if (interpolation == Interpolation::bicubic)
      throw std::invalid_argument("RandomRotation: interpolation must be nearest or bilinear");
    return functional::rotate(img, sample(rng), interpolation, fill);
  }

  std::string name() const {
    return "random-rotation(" + detail::num(min_degrees) + ":" + detail::num(max_degrees) + "," +
           to_string(interpolation) + ")";
  }
};

static_assert(ImageTransform<RandomRotation>);

}  // namespace distdiff::augment
