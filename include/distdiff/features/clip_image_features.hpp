#pragma once
// ClipImageFeatures — θ(·) of the paper: the CLIP image encoder (vision tower +
// visual_projection, ViT-B/32 in the paper) as a FeatureExtractor.
//
//   auto theta = distdiff::ClipImageFeatures::load("clip-vit-base-patch32",
//                                                  distdiff::RuntimeOptions::best_available());
//   at::Tensor f = theta.extract(images);   // images [B, 3, H, W] in [0, 1] -> [B, 512]
//
// extract() resizes the shorter side to the tower's image size (bicubic), centre
// crops, normalises according to `normalization` and returns image_embeds, NOT
// L2-normalised, in float32 (float64 when the runtime dtype is float64) on the
// runtime's device. It is differentiable with respect to the images; the network
// itself is frozen (requires_grad false) and in eval mode.
//
// `normalization` defaults to None: the reference DistDiff guidance feeds CLIP the
// un-normalised [0, 1] image. Clip uses CLIP's statistics; Custom uses custom_mean /
// custom_std, which default to the CIFAR statistics of the reference prototypes.
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "distdiff/concepts/features.hpp"
#include "distdiff/core/types.hpp"
#include "distdiff/models/clip/config.hpp"
#include "distdiff/models/clip/init.hpp"
#include "distdiff/models/clip/io.hpp"
#include "distdiff/models/clip/preprocess.hpp"
#include "distdiff/models/clip/vision_model.hpp"

namespace distdiff {

using models::ClipNormalization;

struct ClipImageFeatures {
  using component_tag = distdiff::feature_extractor_tag;

  ClipNormalization normalization = ClipNormalization::None;
  std::array<double, 3> custom_mean = models::kCifarMean;   // used by ClipNormalization::Custom
  std::array<double, 3> custom_std = models::kCifarStd;     // used by ClipNormalization::Custom
  models::ClipVisionModelWithProjection model{nullptr};
  RuntimeOptions runtime{};
  std::string source = "unloaded";   // where the weights came from (for name())

  // images: float [B, 3, H, W] in [0, 1] (any size, device, floating dtype).
  at::Tensor extract(const at::Tensor& images) const {
    check_model("extract");
    const auto& cfg = model->config;
    if (!images.defined() || images.dim() != 4 || images.size(1) != cfg.num_channels)
      throw std::invalid_argument("ClipImageFeatures::extract: images must be [B, " +
                                  std::to_string(cfg.num_channels) + ", H, W] in [0, 1], got " +
                                  (images.defined() ? c10::str(images.sizes()) : std::string("undefined")));
    if (!images.is_floating_point())
      throw std::invalid_argument("ClipImageFeatures::extract: images must be floating point in [0, 1]");
    auto pixels = preprocessor()(images.to(runtime.device)).to(runtime.dtype);
    auto embeds = model.ptr()->image_embeds(pixels);
    return embeds.to(runtime.dtype == torch::kDouble ? torch::kDouble : torch::kFloat);
  }

  std::int64_t feature_dim() const {
    check_model("feature_dim");
    return model->config.projection_dim;
  }
  std::int64_t image_size() const {
    check_model("image_size");
    return model->config.image_size;
  }

  // The preprocessing extract() applies.
  models::ClipPreprocessor preprocessor() const {
    const auto size = model.is_empty() ? std::int64_t{224} : model->config.image_size;
    switch (normalization) {
      case ClipNormalization::Clip: return models::ClipPreprocessor::clip(size);
      case ClipNormalization::None: return models::ClipPreprocessor::none(size);
      case ClipNormalization::Custom: return models::ClipPreprocessor::custom(custom_mean, custom_std, size);
    }
    throw std::invalid_argument("ClipImageFeatures: unknown normalization");
  }

  // "clip-image(<weights>)"; the normalization is a number of params().
  std::string name() const { return source == "unloaded" ? "clip-image" : "clip-image(" + source + ")"; }
  nlohmann::json params() const {
    nlohmann::json j{{"normalization", models::to_string(normalization)}};
    if (normalization == ClipNormalization::Custom) {
      j["mean"] = custom_mean;
      j["std"] = custom_std;
    }
    return j;
  }

  // The features slot of a composition holds the settings (normalization);
  // the entry points bind it to the loaded CLIP of the model set. An
  // extractor that already holds a network is kept as it is.
  template <class Models>
  ClipImageFeatures bind(const Models& models) const {
    if (!model.is_empty()) return *this;
    if constexpr (std::is_same_v<std::remove_cvref_t<decltype(models.features)>, ClipImageFeatures>) {
      ClipImageFeatures f = models.features;
      f.normalization = normalization;
      f.custom_mean = custom_mean;
      f.custom_std = custom_std;
      return f;
    } else {
      throw std::invalid_argument("ClipImageFeatures: the model set has no CLIP image tower to bind to (" +
                                  models.features.name() + ")");
    }
  }

  // A transformers CLIPModel folder (openai/clip-vit-base-patch32) or a
  // CLIPVisionModelWithProjection folder: config.json + model.safetensors.
  static ClipImageFeatures load(const std::filesystem::path& clip_dir, const RuntimeOptions& opts) {
    ClipImageFeatures f;
    f.model = models::load_clip_vision_model(clip_dir, opts);
    f.source = clip_dir.filename().empty() ? clip_dir.parent_path().filename().string()
                                           : clip_dir.filename().string();
    f.finish(opts);
    return f;
  }

  // Random weights (init_clip_weights with `seed`) for tests and ablations.
  static ClipImageFeatures random(const models::ClipVisionConfig& config, const RuntimeOptions& opts,
                                  std::uint64_t seed) {
    ClipImageFeatures f;
    f.model = models::ClipVisionModelWithProjection(config);
    models::init_clip_weights(*f.model, seed);
    f.model->to(opts.device, models::clip_compute_dtype(opts));
    f.source = "random(seed=" + std::to_string(seed) + ")";
    f.finish(opts);
    return f;
  }

 private:
  void check_model(const char* what) const {
    if (model.is_empty())
      throw std::logic_error(std::string("ClipImageFeatures::") + what +
                             ": no model; create it with load() or random()");
  }
  void finish(const RuntimeOptions& opts) {
    runtime = opts;
    runtime.dtype = models::clip_compute_dtype(opts);
    model->eval();
    for (auto& p : model->parameters()) p.requires_grad_(false);
  }
};

}  // namespace distdiff

static_assert(distdiff::FeatureExtractor<distdiff::ClipImageFeatures>);
