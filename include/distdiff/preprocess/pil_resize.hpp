#pragma once
// pil_resize — PIL's Image.resize(..., BICUBIC) of an 8-bit RGB image, as a
// differentiable tensor operation. It is what torchvision's Resize does to a PIL
// image and what transformers' CLIPImageProcessor does to every image, so the
// published CLIP weights and the reference prototypes saw exactly this.
//
//   torch::Tensor y = distdiff::pil_resize(images, 224, 343);   // [B, C, H, W] in [0, 1] -> [B, C, 224, 343]
//
// PIL's algorithm (libImaging/Resample.c), reproduced step by step:
//   - the bicubic kernel with a = -0.5 (PyTorch's bicubic uses -0.75);
//   - antialiasing: when shrinking by a factor s > 1 the kernel is widened by s
//     (support 2s instead of 2) and its taps are renormalised to sum to 1,
//     also at the borders (no border replication);
//   - the coefficients are rounded to 22 fractional bits;
//   - the input taken as 8-bit levels (rounded to the nearest);
//   - a horizontal pass, then a vertical one, each rounding to the nearest
//     8-bit level and clipping to [0, 255] (the intermediate image is 8-bit);
//     a pass whose size does not change is skipped.
// For images that came from 8-bit files the result equals PIL's output exactly
// (tests/preprocess/golden.cpp checks it against PIL and transformers).
//
// PilArithmetic::automatic (the default) does that 8-bit arithmetic for images
// that carry no gradient (real images, PNGs) and, for images that do (the
// guidance's decoded x̂0, which never were 8-bit), the same antialiased kernel
// in floating point: unrounded weights, no level rounding, clipping kept, so the
// energy stays smooth. eight_bit and floating force one of the two. In 8-bit
// arithmetic the rounding passes gradients straight through; clipping stops them.
// The arithmetic runs in float64; the result has the input's dtype.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace distdiff {

namespace detail {

inline double pil_bicubic_kernel(double x) {
  constexpr double a = -0.5;
  x = std::abs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
  return 0.0;
}

}  // namespace detail

// PIL's resampling weights from `in` to `out` samples: [out, in] float64. With
// `fixed_point` the weights are rounded to 22 fractional bits as PIL does for
// 8-bit images; without, each row sums to 1.
inline torch::Tensor pil_bicubic_weights(std::int64_t in, std::int64_t out, bool fixed_point = true) {
  if (in < 1 || out < 1)
    throw std::invalid_argument("pil_bicubic_weights: sizes must be positive, got " + std::to_string(in) +
                                " -> " + std::to_string(out));
  const double scale = double(in) / double(out);
  const double filterscale = std::max(scale, 1.0);
  const double support = 2.0 * filterscale;
  constexpr double precision = double(1 << 22);
  std::vector<double> w(std::size_t(out * in), 0.0);
  for (std::int64_t o = 0; o < out; ++o) {
    const double center = (double(o) + 0.5) * scale;
    // PIL rounds with a cast to int (toward zero) and clips to the image.
    const auto lo = std::max<std::int64_t>(static_cast<std::int64_t>(center - support + 0.5), 0);
    const auto hi = std::min<std::int64_t>(static_cast<std::int64_t>(center + support + 0.5), in);
    double total = 0.0;
    for (auto i = lo; i < hi; ++i) total += detail::pil_bicubic_kernel((double(i) - center + 0.5) / filterscale);
    for (auto i = lo; i < hi; ++i) {
      double k = detail::pil_bicubic_kernel((double(i) - center + 0.5) / filterscale);
      if (total != 0.0) k /= total;
      if (fixed_point) k = (k < 0 ? std::trunc(k * precision - 0.5) : std::trunc(k * precision + 0.5)) / precision;
      w[std::size_t(o * in + i)] = k;
    }
  }
  return torch::tensor(w, torch::kDouble).view({out, in});
}

enum class PilArithmetic { automatic, eight_bit, floating };

namespace detail {

// One 8-bit resampling pass in units of 8-bit levels: round to the nearest level
// (gradient passed straight through), clip to [0, 255].
inline torch::Tensor pil_level_round(const torch::Tensor& levels) {
  const auto rounded = torch::floor(levels.detach() + 0.5);
  return (levels + (rounded - levels.detach())).clamp(0.0, 255.0);
}

}  // namespace detail

// images: floating [B, C, H, W] with values in [0, 1]; returns [B, C, height, width].
inline torch::Tensor pil_resize(const torch::Tensor& images, std::int64_t height, std::int64_t width,
                                PilArithmetic arithmetic = PilArithmetic::automatic) {
  if (!images.defined() || images.dim() != 4)
    throw std::invalid_argument("pil_resize: images must be [B, C, H, W], got " +
                                (images.defined() ? c10::str(images.sizes()) : std::string("undefined")));
  if (!images.is_floating_point()) throw std::invalid_argument("pil_resize: images must be floating point in [0, 1]");
  if (height < 1 || width < 1)
    throw std::invalid_argument("pil_resize: output size must be positive, got " + std::to_string(height) + "x" +
                                std::to_string(width));
  if (images.size(2) == height && images.size(3) == width) return images;
  const auto opts = torch::TensorOptions().dtype(torch::kDouble).device(images.device());
  const bool eight_bit = arithmetic == PilArithmetic::eight_bit ||
                         (arithmetic == PilArithmetic::automatic && !images.requires_grad());
  auto pass = [&](const torch::Tensor& levels) {
    return eight_bit ? detail::pil_level_round(levels) : levels.clamp(0.0, 255.0);
  };
  // PIL takes 8-bit images: in 8-bit arithmetic the input is on the level grid
  // too (this also recovers exact levels from float32 values k / 255).
  auto x = images.to(torch::kDouble) * 255.0;
  if (eight_bit) x = detail::pil_level_round(x);
  if (images.size(3) != width)
    x = pass(torch::matmul(x, pil_bicubic_weights(images.size(3), width, eight_bit).to(opts).t()));
  if (images.size(2) != height)
    x = pass(torch::matmul(pil_bicubic_weights(images.size(2), height, eight_bit).to(opts), x));
  return (x / 255.0).to(images.scalar_type());
}

}  // namespace distdiff
