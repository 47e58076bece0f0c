#pragma once
// GridMask (Chen et al. 2020), as in the official implementation — with
// probability prob * ramp, multiply the image by a grid mask:
//
//   unit size d ~ U{d_min, ..., d_max - 1}   (numpy randint; d_min == d_max fixes d)
//   l = ceil(d * ratio)
//   offsets δy, δx ~ U{0, ..., d - 1}
//   on a square of side ceil(sqrt(H² + W²)), rows with (y - δy) mod d < l and
//   columns with (x - δx) mod d < l form stripes; the official `mode`
//     0: stripes are dropped, the (d - l)² squares are kept
//     1: the mask inverted — the (d - l)² squares are dropped (the paper's
//        definition: keep ratio 1 - (1 - r)² with r = l / d)
//   the square is rotated counter-clockwise by an integer angle drawn from
//   {0, ..., rotate - 1} (nearest) and its central H x W window used.
//
// Defaults are the reference baseline: GridMask(96, 224, rotate 360, ratio 0.6,
// mode 1, prob 0.8) for 224 px, with the probability ramped linearly over the
// first 80 epochs (set_epoch_ramp). `GridMask::for_image_size(s)` scales the
// unit range with the image side (d in [round(96 s / 224), s)).
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>

#include "distdiff/concepts/augment.hpp"
#include "distdiff/data/transforms/functional.hpp"

namespace distdiff::augment {

struct GridMask {
  using component_tag = image_transform_tag;
  std::int64_t d_min = 96;    // unit size range [d_min, d_max)
  std::int64_t d_max = 224;
  double ratio = 0.6;         // l = ceil(d * ratio)
  int rotate = 360;           // angle drawn from {0, ..., rotate - 1} degrees; 1 = no rotation
  int mode = 1;               // 0: keep the squares, 1: drop the squares (official mode 1)
  double prob = 0.8;          // probability at full ramp
  double ramp = 1.0;          // factor on prob, set by set_epoch_ramp

  static GridMask for_image_size(std::int64_t image_size) {
    if (image_size < 2)
      throw std::invalid_argument("GridMask::for_image_size: image size must be at least 2, got " +
                                  std::to_string(image_size));
    const auto lo = std::max<std::int64_t>(
        1, static_cast<std::int64_t>(std::nearbyint(96.0 * static_cast<double>(image_size) / 224.0)));
    return GridMask{.d_min = lo, .d_max = image_size};
  }

  // The reference schedule: prob grows linearly to its full value at max_epoch.
  void set_epoch_ramp(int epoch, int max_epoch = 80) {
    if (max_epoch <= 0 || epoch < 0)
      throw std::invalid_argument("GridMask::set_epoch_ramp: need epoch >= 0 and max_epoch > 0, got " +
                                  std::to_string(epoch) + ", " + std::to_string(max_epoch));
    ramp = std::min(1.0, static_cast<double>(epoch) / static_cast<double>(max_epoch));
  }

  double effective_prob() const { return prob * ramp; }

  struct Params {
    bool applied = false;
    std::int64_t d = 0, l = 0, offset_y = 0, offset_x = 0;
    int angle = 0;
  };

  // The draws of one call, in the official order.
  Params sample(Rng& rng) const {
    check();
    Params p;
    if (std::uniform_real_distribution<double>(0.0, 1.0)(rng) > effective_prob()) return p;
    p.applied = true;
    p.d = d_min == d_max ? d_min : std::uniform_int_distribution<std::int64_t>(d_min, d_max - 1)(rng);
    p.l = static_cast<std::int64_t>(std::ceil(static_cast<double>(p.d) * ratio));
    p.offset_y = std::uniform_int_distribution<std::int64_t>(0, p.d - 1)(rng);
    p.offset_x = std::uniform_int_distribution<std::int64_t>(0, p.d - 1)(rng);
    p.angle = rotate > 1 ? std::uniform_int_distribution<int>(0, rotate - 1)(rng) : 0;
    return p;
  }

  // The [H, W] mask (1 = keep, 0 = drop) for given draws; all ones when not applied.
  at::Tensor mask(std::int64_t h, std::int64_t w, const Params& p,
                  const at::TensorOptions& options = at::TensorOptions().dtype(at::kFloat)) const {
    if (!p.applied) return torch::ones({h, w}, options);
    if (p.d <= 0) throw std::invalid_argument("GridMask::mask: unit size d must be positive");
    const auto hh = static_cast<std::int64_t>(std::ceil(std::sqrt(static_cast<double>(h * h + w * w))));
    const auto idx = torch::arange(hh, options.dtype(at::kLong));
    const auto keep_row = ((idx - p.offset_y).remainder(p.d) >= p.l).to(options.dtype());  // [hh]
    const auto keep_col = ((idx - p.offset_x).remainder(p.d) >= p.l).to(options.dtype());
    auto m = keep_row.view({hh, 1}) * keep_col.view({1, hh});  // 1 on the squares
    if (p.angle != 0)
      m = functional::rotate(m.unsqueeze(0), static_cast<double>(p.angle), Interpolation::nearest, 0.0).squeeze(0);
    m = m.narrow(0, (hh - h) / 2, h).narrow(1, (hh - w) / 2, w);
    if (mode == 1) m = 1.0 - m;
    return m.contiguous();
  }

  at::Tensor apply(const at::Tensor& img, Rng& rng) const {
    detail::check_image(img, "GridMask");
    const auto p = sample(rng);
    if (!p.applied) return img;
    return img * mask(img.size(1), img.size(2), p, img.options()).unsqueeze(0);
  }

  std::string name() const {
    return "gridmask(d=" + std::to_string(d_min) + ":" + std::to_string(d_max) + ",ratio=" + detail::num(ratio) +
           ",rotate=" + std::to_string(rotate) + ",mode=" + std::to_string(mode) + ",p=" + detail::num(prob) + ")";
  }

 private:
  void check() const {
    if (d_min <= 0 || d_max < d_min)
      throw std::invalid_argument("GridMask: need 0 < d_min <= d_max, got " + std::to_string(d_min) + ", " +
                                  std::to_string(d_max));
    if (!(ratio >= 0.0 && ratio <= 1.0))
      throw std::invalid_argument("GridMask: ratio must lie in [0, 1], got " + detail::num(ratio));
    if (rotate < 1) throw std::invalid_argument("GridMask: rotate must be at least 1, got " + std::to_string(rotate));
    if (mode != 0 && mode != 1) throw std::invalid_argument("GridMask: mode must be 0 or 1, got " + std::to_string(mode));
    if (!(prob >= 0.0 && prob <= 1.0) || !(ramp >= 0.0 && ramp <= 1.0))
      throw std::invalid_argument("GridMask: prob and ramp must lie in [0, 1], got " + detail::num(prob) + ", " +
                                  detail::num(ramp));
  }
};

static_assert(ImageTransform<GridMask>);

}  // namespace distdiff::augment
