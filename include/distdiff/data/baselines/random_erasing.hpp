#pragma once
// RandomErasing (Zhong et al. 2020) — torchvision transforms.RandomErasing with
// its defaults, which the reference code ran as its "cutout" baseline: with
// probability p, a rectangle of area fraction s ~ U(scale) and aspect ratio r
// with log r ~ U(log ratio), h = round(sqrt(s A r)), w = round(sqrt(s A / r)),
// at a uniformly random position, is set to `value`; up to 10 attempts until
// h < H and w < W, otherwise the image is returned unchanged.
#include <torch/torch.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>

#include "distdiff/concepts/augment.hpp"
#include "distdiff/data/transforms/functional.hpp"

namespace distdiff::augment {

struct RandomErasing {
  using component_tag = image_transform_tag;
  double p = 0.5;
  std::array<double, 2> scale{0.02, 0.33};
  std::array<double, 2> ratio{0.3, 3.3};
  double value = 0.0;
  int attempts = 10;

  struct Box {
    std::int64_t top = 0, left = 0, height = 0, width = 0;
  };

  // The erased box of one call, or nothing (not applied, or no attempt fitted).
  std::optional<Box> sample(std::int64_t h, std::int64_t w, Rng& rng) const {
    if (!(p >= 0.0 && p <= 1.0))
      throw std::invalid_argument("RandomErasing: p must lie in [0, 1], got " + detail::num(p));
    if (!(scale[0] >= 0.0 && scale[0] <= scale[1] && scale[1] <= 1.0))
      throw std::invalid_argument("RandomErasing: scale must satisfy 0 <= min <= max <= 1");
    if (!(ratio[0] > 0.0 && ratio[0] <= ratio[1]))
      throw std::invalid_argument("RandomErasing: ratio must satisfy 0 < min <= max");
    if (!(std::uniform_real_distribution<double>(0.0, 1.0)(rng) < p)) return std::nullopt;
    const double area = static_cast<double>(h) * static_cast<double>(w);
    std::uniform_real_distribution<double> u_scale(scale[0], scale[1]);
    std::uniform_real_distribution<double> u_logr(std::log(ratio[0]), std::log(ratio[1]));
    for (int k = 0; k < attempts; ++k) {
      const double target = area * u_scale(rng);
      const double r = std::exp(u_logr(rng));
      const auto eh = static_cast<std::int64_t>(std::nearbyint(std::sqrt(target * r)));
      const auto ew = static_cast<std::int64_t>(std::nearbyint(std::sqrt(target / r)));
      if (!(eh < h && ew < w)) continue;
      const auto top = std::uniform_int_distribution<std::int64_t>(0, h - eh)(rng);
      const auto left = std::uniform_int_distribution<std::int64_t>(0, w - ew)(rng);
      return Box{top, left, eh, ew};
    }
    return std::nullopt;
  }

  at::Tensor apply(const at::Tensor& img, Rng& rng) const {
    detail::check_image(img, "RandomErasing");
    const auto box = sample(img.size(1), img.size(2), rng);
    if (!box || box->height == 0 || box->width == 0) return img;
    auto out = img.clone();
    out.narrow(1, box->top, box->height).narrow(2, box->left, box->width).fill_(value);
    return out;
  }

  std::string name() const {
    return "random-erasing(p=" + detail::num(p) + ",scale=" + detail::num(scale[0]) + ":" + detail::num(scale[1]) + ")";
  }
};

static_assert(ImageTransform<RandomErasing>);

}  // namespace distdiff::augment
