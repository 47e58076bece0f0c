#pragma once
// The photometric operations of RandAugment on float images in [0, 1], with
// torchvision's definitions (transforms.functional on tensors):
//
//   blend(a, b, f)           = clamp(f a + (1 - f) b, 0, 1)
//   adjust_brightness(x, f)  = blend(x, 0, f)
//   adjust_saturation(x, f)  = blend(x, grey(x), f)         grey = .2989 R + .587 G + .114 B
//   adjust_contrast(x, f)    = blend(x, mean(grey(x)), f)
//   adjust_sharpness(x, f)   = blend(x, smooth(x), f)       smooth = [1 1 1; 1 5 1; 1 1 1] / 13
//                                                          inside, border pixels unchanged
//   solarize(x, t)           = x >= t ? 1 - x : x
//   autocontrast(x)          = per channel (x - min) / (max - min), unchanged when max = min
//   posterize(x, bits)       on 8-bit levels q = floor(255.999 x): q & ~(2^(8-bits) - 1), / 255
//   equalize(x)              on 8-bit levels: PIL's per-channel histogram equalisation, / 255
//
// The 8-bit quantisation is torchvision's float -> uint8 conversion
// (convert_image_dtype); the result is returned as level / 255.
#include <torch/torch.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "distdiff/data/transforms/functional.hpp"

namespace distdiff::augment::functional {

inline at::Tensor blend(const at::Tensor& a, const at::Tensor& b, double factor) {
  return (factor * a + (1.0 - factor) * b).clamp(0.0, 1.0);
}

inline at::Tensor rgb_to_grayscale(const at::Tensor& img) {
  augment::detail::check_image(img, "rgb_to_grayscale");
  if (img.size(0) != 3)
    throw std::invalid_argument("rgb_to_grayscale: expected 3 channels, got " + std::to_string(img.size(0)));
  return (0.2989 * img[0] + 0.587 * img[1] + 0.114 * img[2]).unsqueeze(0);
}

inline at::Tensor adjust_brightness(const at::Tensor& img, double factor) {
  augment::detail::check_image(img, "adjust_brightness");
  return blend(img, torch::zeros_like(img), factor);
}

inline at::Tensor adjust_saturation(const at::Tensor& img, double factor) {
  return blend(img, rgb_to_grayscale(img).expand_as(img), factor);
}

inline at::Tensor adjust_contrast(const at::Tensor& img, double factor) {
  const auto mean = rgb_to_grayscale(img).mean();
  return blend(img, mean.expand_as(img), factor);
}

inline at::Tensor adjust_sharpness(const at::Tensor& img, double factor) {
  augment::detail::check_image(img, "adjust_sharpness");
  if (img.size(1) <= 2 || img.size(2) <= 2) return img;
  auto kernel = torch::ones({3, 3}, img.options());
  kernel[1][1] = 5.0;
  kernel = (kernel / kernel.sum()).expand({img.size(0), 1, 3, 3}).contiguous();
  namespace F = torch::nn::functional;
  const auto smooth = F::conv2d(img.unsqueeze(0), kernel, F::Conv2dFuncOptions().groups(img.size(0))).squeeze(0);
  auto degenerate = img.clone();
  degenerate.slice(1, 1, img.size(1) - 1).slice(2, 1, img.size(2) - 1).copy_(smooth);
  return blend(img, degenerate, factor);
}

inline at::Tensor solarize(const at::Tensor& img, double threshold) {
  augment::detail::check_image(img, "solarize");
  return torch::where(img >= threshold, 1.0 - img, img);
}

inline at::Tensor autocontrast(const at::Tensor& img) {
  augment::detail::check_image(img, "autocontrast");
  auto lo = std::get<0>(img.flatten(1).min(1)).view({-1, 1, 1});
  auto hi = std::get<0>(img.flatten(1).max(1)).view({-1, 1, 1});
  const auto flat = hi <= lo;
  const auto scale = torch::where(flat, torch::ones_like(hi), 1.0 / (hi - lo).clamp_min(1e-12));
  lo = torch::where(flat, torch::zeros_like(lo), lo);
  return ((img - lo) * scale).clamp(0.0, 1.0);
}

// 8-bit levels (int64) of a [0, 1] image, torchvision's float -> uint8 rule.
inline at::Tensor to_levels(const at::Tensor& img) {
  return (img.clamp(0.0, 1.0) * 255.999).floor().to(at::kLong);
}
inline at::Tensor from_levels(const at::Tensor& levels, const at::TensorOptions& options) {
  return levels.to(options.dtype()) / 255.0;
}

inline at::Tensor posterize(const at::Tensor& img, int bits) {
  augment::detail::check_image(img, "posterize");
  if (bits < 0 || bits > 8) throw std::invalid_argument("posterize: bits must lie in [0, 8], got " + std::to_string(bits));
  const std::int64_t keep = ~((std::int64_t{1} << (8 - bits)) - 1) & 0xFF;
  return from_levels(torch::bitwise_and(to_levels(img), keep), img.options());
}

inline at::Tensor equalize(const at::Tensor& img) {
  augment::detail::check_image(img, "equalize");
  const auto levels = to_levels(img);
  std::vector<at::Tensor> channels;
  for (std::int64_t c = 0; c < img.size(0); ++c) {
    const auto chan = levels[c].reshape({-1});
    const auto hist = torch::bincount(chan, {}, 256);
    const auto nonzero = hist.masked_select(hist != 0);
    const std::int64_t step = (nonzero.sum().item<std::int64_t>() - nonzero[-1].item<std::int64_t>()) / 255;
    if (step == 0) {
      channels.push_back(levels[c]);
      continue;
    }
    auto lut = torch::div(hist.cumsum(0) + step / 2, step, "floor");
    lut = torch::cat({torch::zeros({1}, lut.options()), lut.slice(0, 0, 255)}).clamp(0, 255);
    channels.push_back(lut.index_select(0, chan).view({img.size(1), img.size(2)}));
  }
  return from_levels(torch::stack(channels), img.options());
}

}  // namespace distdiff::augment::functional
