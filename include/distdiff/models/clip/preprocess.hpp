#pragma once
// Differentiable CLIP preprocessing of a batch already in memory:
//
//   images [B, 3, H, W] in [0, 1]
//     -> bicubic resize (align_corners = false) so that the shorter side is `size`
//     -> centre crop size x size
//     -> per-channel normalisation: (x - mean) / std
//
//   distdiff::models::ClipPreprocessor pre = distdiff::models::ClipPreprocessor::none();
//   torch::Tensor pixels = pre(images);        // [B, 3, 224, 224], gradients flow to images
//
// Normalisation modes:
//   Clip    CLIP's mean (0.48145466, 0.4578275, 0.40821073), std (0.26862954, 0.26130258, 0.27577711)
//   None    no normalisation (what DistDiff's guidance feeds CLIP: the [0, 1] image)
//   Custom  the given mean/std; cifar() gives the CIFAR statistics that DistDiff's
//           prototype extraction used, mean (0.4914, 0.4822, 0.4465), std (0.2470, 0.2435, 0.2616)
//
// The long side becomes floor(size * long / short) and the crop offset
// round((side - size) / 2) with ties to even (torchvision's Resize and CenterCrop).
// Values are not clamped after the bicubic resize. The computation runs in float32
// and returns float32 (float64 inputs stay float64).
#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace distdiff::models {

enum class ClipNormalization { Clip, None, Custom };

inline constexpr std::array<double, 3> kClipMean{0.48145466, 0.4578275, 0.40821073};
inline constexpr std::array<double, 3> kClipStd{0.26862954, 0.26130258, 0.27577711};
inline constexpr std::array<double, 3> kCifarMean{0.4914, 0.4822, 0.4465};
inline constexpr std::array<double, 3> kCifarStd{0.2470, 0.2435, 0.2616};

inline std::string to_string(ClipNormalization n) {
  switch (n) {
    case ClipNormalization::Clip: return "clip";
    case ClipNormalization::None: return "none";
    case ClipNormalization::Custom: return "custom";
  }
  return "unknown";
}

namespace detail {

// round(x / 2) with ties to even, for a non-negative integer x (Python's round).
inline std::int64_t clip_half_round_even(std::int64_t x) {
  const std::int64_t q = x / 2;
  if (x % 2 == 0) return q;
  return (q % 2 == 0) ? q : q + 1;
}

}  // namespace detail

// Resize (shorter side to `size`, bicubic) and centre crop; float32 result (float64 kept).
inline torch::Tensor clip_resize_center_crop(const torch::Tensor& images, std::int64_t size = 224) {
  if (!images.defined() || images.dim() != 4)
    throw std::invalid_argument("clip_resize_center_crop: images must be [B, C, H, W], got " +
                                (images.defined() ? c10::str(images.sizes()) : std::string("undefined")));
  if (!images.is_floating_point())
    throw std::invalid_argument("clip_resize_center_crop: images must be floating point in [0, 1]");
  if (size <= 0) throw std::invalid_argument("clip_resize_center_crop: size must be positive");
  const auto H = images.size(2), W = images.size(3);
  if (H <= 0 || W <= 0) throw std::invalid_argument("clip_resize_center_crop: empty image");
  auto x = images.to(images.scalar_type() == torch::kDouble ? torch::kDouble : torch::kFloat);
  std::int64_t h = size, w = size;
  if (H <= W) w = size * W / H;  // integer floor, like int(size * long / short)
  else h = size * H / W;
  if (h != H || w != W) {
    namespace F = torch::nn::functional;
    x = F::interpolate(x, F::InterpolateFuncOptions()
                              .size(std::vector<std::int64_t>{h, w})
                              .mode(torch::kBicubic)
                              .align_corners(false));
  }
  const auto top = detail::clip_half_round_even(h - size), left = detail::clip_half_round_even(w - size);
  return x.narrow(2, top, size).narrow(3, left, size);
}

struct ClipPreprocessor {
  std::int64_t size = 224;
  ClipNormalization normalization = ClipNormalization::Clip;
  std::array<double, 3> mean = kClipMean;   // used by Custom
  std::array<double, 3> std_dev = kClipStd;   // used by Custom

  static ClipPreprocessor clip(std::int64_t size = 224) { return {size, ClipNormalization::Clip, kClipMean, kClipStd}; }
  static ClipPreprocessor none(std::int64_t size = 224) { return {size, ClipNormalization::None, kClipMean, kClipStd}; }
  static ClipPreprocessor custom(std::array<double, 3> mean, std::array<double, 3> std_dev,
                                 std::int64_t size = 224) {
    return {size, ClipNormalization::Custom, mean, std_dev};
  }
  static ClipPreprocessor cifar(std::int64_t size = 224) { return custom(kCifarMean, kCifarStd, size); }

  // The mean/std in effect (identity for None).
  std::array<double, 3> effective_mean() const {
    switch (normalization) {
      case ClipNormalization::Clip: return kClipMean;
      case ClipNormalization::None: return {0.0, 0.0, 0.0};
      case ClipNormalization::Custom: return mean;
    }
    return mean;
  }
  std::array<double, 3> effective_std() const {
    switch (normalization) {
      case ClipNormalization::Clip: return kClipStd;
      case ClipNormalization::None: return {1.0, 1.0, 1.0};
      case ClipNormalization::Custom: return std_dev;
    }
    return std_dev;
  }

  torch::Tensor operator()(const torch::Tensor& images) const {
    if (images.defined() && images.dim() == 4 && images.size(1) != 3)
      throw std::invalid_argument("ClipPreprocessor: images must have 3 channels, got " +
                                  std::to_string(images.size(1)));
    auto x = clip_resize_center_crop(images, size);
    if (normalization == ClipNormalization::None) return x;
    const auto m = effective_mean(), s = effective_std();
    for (double v : s)
      if (!(v > 0)) throw std::invalid_argument("ClipPreprocessor: std must be positive");
    auto opts = torch::TensorOptions().dtype(x.scalar_type()).device(x.device());
    auto mt = torch::tensor({m[0], m[1], m[2]}, torch::kDouble).to(opts).view({1, 3, 1, 1});
    auto st = torch::tensor({s[0], s[1], s[2]}, torch::kDouble).to(opts).view({1, 3, 1, 1});
    return (x - mt) / st;
  }
};

}  // namespace distdiff::models
