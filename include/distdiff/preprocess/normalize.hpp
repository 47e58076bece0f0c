#pragma once
// normalize_rgb — torchvision's Normalize and CLIPImageProcessor's normalisation:
// (x - mean) / std per channel of [B, 3, H, W]. The constants that the
// preprocessors use live here, each with its source.
#include <torch/torch.h>

#include <array>
#include <stdexcept>

namespace distdiff {

// CLIP's (openai/clip-vit-base-patch32 preprocessor_config.json).
inline constexpr std::array<double, 3> kClipImageMean{0.48145466, 0.4578275, 0.40821073};
inline constexpr std::array<double, 3> kClipImageStd{0.26862954, 0.26130258, 0.27577711};
// DistDiff v1's prototype extraction (src/data_expand.py, commit 54524da): CIFAR's
// mean with std (0.2023, 0.1994, 0.2010), as that code has them.
inline constexpr std::array<double, 3> kReferenceV1Mean{0.4914, 0.4822, 0.4465};
inline constexpr std::array<double, 3> kReferenceV1Std{0.2023, 0.1994, 0.2010};

inline torch::Tensor normalize_rgb(const torch::Tensor& x, const std::array<double, 3>& mean,
                                   const std::array<double, 3>& std_dev) {
  if (!x.defined() || x.dim() != 4 || x.size(1) != 3)
    throw std::invalid_argument("normalize_rgb: images must be [B, 3, H, W]");
  for (double s : std_dev)
    if (!(s > 0)) throw std::invalid_argument("normalize_rgb: std must be positive");
  const auto opts = torch::TensorOptions().dtype(x.scalar_type()).device(x.device());
  const auto m = torch::tensor({mean[0], mean[1], mean[2]}, torch::kDouble).to(opts).view({1, 3, 1, 1});
  const auto s = torch::tensor({std_dev[0], std_dev[1], std_dev[2]}, torch::kDouble).to(opts).view({1, 3, 1, 1});
  return (x - m) / s;
}

}  // namespace distdiff
