#pragma once
// The two preprocessings of DistDiff's reference code v1 (commit 54524da),
// which differ from each other:
//
// ReferenceV1PrototypeInput — the real images that make the prototypes
// (src/data_expand.py): torchvision Resize((224, 224), BICUBIC) of the PIL
// image (= pil_resize to a square, aspect ratio not kept), ToTensor, then
// Normalize(mean (0.4914, 0.4822, 0.4465), std (0.2023, 0.1994, 0.2010)).
//
// ReferenceV1GuidanceInput — the decoded x̂0 that the guidance scores
// (ldm/models/diffusion/ddim.py): torch.nn.functional.interpolate(x, (224, 224),
// mode="bicubic") (PyTorch's bicubic, a = -0.75, align_corners false, no
// antialiasing) and no normalisation at all.
//
// `size` 0 is the tower's image size: 224 for ViT-B/32, v1's value.
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "distdiff/concepts/preprocess.hpp"
#include "distdiff/preprocess/normalize.hpp"
#include "distdiff/preprocess/pil_resize.hpp"

namespace distdiff {

struct ReferenceV1PrototypeInput {
  using component_tag = image_preprocessor_tag;
  std::int64_t size = 0;
  std::array<double, 3> mean = kReferenceV1Mean;
  std::array<double, 3> std_dev = kReferenceV1Std;

  torch::Tensor operator()(const torch::Tensor& images, std::int64_t input_size) const {
    const auto s = size > 0 ? size : input_size;
    return normalize_rgb(pil_resize(images, s, s), mean, std_dev);
  }
  std::string name() const { return "reference-v1-prototype-input"; }
  nlohmann::json params() const {
    return {{"resample", "pil-bicubic"}, {"size", size}, {"mean", mean}, {"std", std_dev}};
  }
};

struct ReferenceV1GuidanceInput {
  using component_tag = image_preprocessor_tag;
  std::int64_t size = 0;

  torch::Tensor operator()(const torch::Tensor& images, std::int64_t input_size) const {
    const auto s = size > 0 ? size : input_size;
    if (images.size(2) == s && images.size(3) == s) return images;
    namespace F = torch::nn::functional;
    return F::interpolate(images, F::InterpolateFuncOptions()
                                      .size(std::vector<std::int64_t>{s, s})
                                      .mode(torch::kBicubic)
                                      .align_corners(false));
  }
  std::string name() const { return "reference-v1-guidance-input"; }
  nlohmann::json params() const { return {{"resample", "torch-bicubic"}, {"size", size}, {"normalize", false}}; }
};

static_assert(ImagePreprocessor<ReferenceV1PrototypeInput>);
static_assert(ImagePreprocessor<ReferenceV1GuidanceInput>);

}  // namespace distdiff
