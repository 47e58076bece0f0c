#pragma once
// Cutout (DeVries & Taylor 2017) — with probability p, `holes` square holes of
// side `length`, each centred on a pixel drawn uniformly from the image,
// clipped at the borders and filled with `fill` (0).
//
// Each hole covers rows [cy - length/2, cy - length/2 + length) and the same
// columns around cx, intersected with the image: exactly length x length
// pixels when it lies inside (the official code's window is length - 1 wide
// for odd lengths; for the even lengths used in practice the two agree).
//
// Size rule: the paper's best setting for 32 x 32 CIFAR-10 is length 16, half
// the image side; `Cutout::for_image_size(s)` keeps that ratio (length = s/2,
// 112 at 224 px). Placed before Normalize (as paper_train_transform_with
// does) the hole is black; placed after Normalize, as in the official code,
// the zero fill is the dataset mean colour.
#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "distdiff/concepts/augment.hpp"
#include "distdiff/data/transforms/functional.hpp"

namespace distdiff::augment {

struct Cutout {
  using component_tag = image_transform_tag;
  std::int64_t length = 16;   // side of each square hole in pixels
  int holes = 1;
  double p = 1.0;             // probability of cutting at all
  double fill = 0.0;

  // length = image_size / 2 (16 at 32 px, 112 at 224 px).
  static Cutout for_image_size(std::int64_t image_size) {
    if (image_size < 2)
      throw std::invalid_argument("Cutout::for_image_size: image size must be at least 2, got " +
                                  std::to_string(image_size));
    return Cutout{.length = image_size / 2};
  }

  struct Hole {
    std::int64_t top = 0, left = 0, bottom = 0, right = 0;  // clipped, [top, bottom) x [left, right)
    std::int64_t area() const { return (bottom - top) * (right - left); }
  };

  // The clipped hole centred on pixel (cy, cx) of an h x w image.
  Hole hole_at(std::int64_t h, std::int64_t w, std::int64_t cy, std::int64_t cx) const {
    const std::int64_t y0 = cy - length / 2, x0 = cx - length / 2;
    return {std::clamp<std::int64_t>(y0, 0, h), std::clamp<std::int64_t>(x0, 0, w),
            std::clamp<std::int64_t>(y0 + length, 0, h), std::clamp<std::int64_t>(x0 + length, 0, w)};
  }

  // The draws of one call: no holes (probability 1 - p) or `holes` holes.
  std::vector<Hole> sample(std::int64_t h, std::int64_t w, Rng& rng) const {
    check();
    std::vector<Hole> out;
    if (p < 1.0 && !(std::uniform_real_distribution<double>(0.0, 1.0)(rng) < p)) return out;
    std::uniform_int_distribution<std::int64_t> ry(0, h - 1), rx(0, w - 1);
    for (int k = 0; k < holes; ++k) {
      const auto cy = ry(rng);
      const auto cx = rx(rng);
      out.push_back(hole_at(h, w, cy, cx));
    }
    return out;
  }

  // Fill the given holes (all channels).
  at::Tensor apply_holes(const at::Tensor& img, const std::vector<Hole>& hs) const {
    detail::check_image(img, "Cutout");
    if (hs.empty()) return img;
    auto out = img.clone();
    for (const auto& hole : hs)
      if (hole.area() > 0)
        out.narrow(1, hole.top, hole.bottom - hole.top).narrow(2, hole.left, hole.right - hole.left).fill_(fill);
    return out;
  }

  at::Tensor apply(const at::Tensor& img, Rng& rng) const {
    detail::check_image(img, "Cutout");
    return apply_holes(img, sample(img.size(1), img.size(2), rng));
  }

  std::string name() const {
    return "cutout(length=" + std::to_string(length) + (holes != 1 ? ",holes=" + std::to_string(holes) : "") +
           ",p=" + detail::num(p) + ")";
  }

 private:
  void check() const {
    if (length <= 0) throw std::invalid_argument("Cutout: length must be positive, got " + std::to_string(length));
    if (holes < 0) throw std::invalid_argument("Cutout: holes must be non-negative, got " + std::to_string(holes));
    if (!(p >= 0.0 && p <= 1.0)) throw std::invalid_argument("Cutout: p must lie in [0, 1], got " + detail::num(p));
  }
};

static_assert(ImageTransform<Cutout>);

}  // namespace distdiff::augment
