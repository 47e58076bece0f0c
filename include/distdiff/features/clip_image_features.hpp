#pragma once
// ClipImageFeatures — θ(·) of the paper: the CLIP image encoder (vision tower +
// visual_projection, ViT-B/32 in the paper) as a FeatureExtractor, with the two
// preprocessings in front of it as parts of the slot:
//
//   BasicClipImageFeatures<PrototypeInput, GuidanceInput>
//     PrototypeInput  real images -> tower input, for the prototypes (extract_real)
//     GuidanceInput   decoded x̂0 -> tower input, for the energy (extract)
//   ClipImageFeatures = BasicClipImageFeatures<ClipImageProcessor, ClipImageProcessor>
//
//   auto theta = distdiff::ClipImageFeatures::load("clip-vit-base-patch32",
//                                                  distdiff::RuntimeOptions::best_available());
//   at::Tensor f = theta.extract(images);   // images [B, 3, H, W] in [0, 1] -> [B, 512]
//
// load() reads the folder's preprocessor_config.json into every ClipImageProcessor
// input (transformers' CLIPImageProcessor settings; without the file, the published
// CLIP's: shorter side 224 PIL-bicubic, centre crop 224, CLIP mean / std). Other
// preprocessors keep their own settings (preprocess/reference_v1.hpp: v1's two).
//
// extract() and extract_real() return image_embeds, NOT L2-normalised, in float32
// (float64 when the runtime dtype is float64) on the runtime's device. extract()
// is differentiable with respect to the images; the network itself is frozen
// (requires_grad false) and in eval mode.
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "distdiff/composition/params.hpp"
#include "distdiff/concepts/features.hpp"
#include "distdiff/concepts/preprocess.hpp"
#include "distdiff/core/types.hpp"
#include "distdiff/models/clip/config.hpp"
#include "distdiff/models/clip/init.hpp"
#include "distdiff/models/clip/io.hpp"
#include "distdiff/models/clip/vision_model.hpp"
#include "distdiff/preprocess/clip_image_processor.hpp"

namespace distdiff {

template <ImagePreprocessor PrototypeInput = ClipImageProcessor, ImagePreprocessor GuidanceInput = PrototypeInput>
struct BasicClipImageFeatures;

namespace detail {
template <class T>
inline constexpr bool is_clip_image_features = false;
template <class P, class G>
inline constexpr bool is_clip_image_features<BasicClipImageFeatures<P, G>> = true;
}  // namespace detail

template <ImagePreprocessor PrototypeInput, ImagePreprocessor GuidanceInput>
struct BasicClipImageFeatures {
  using component_tag = distdiff::feature_extractor_tag;
  using prototype_input_type = PrototypeInput;
  using guidance_input_type = GuidanceInput;

  PrototypeInput prototype_input{};
  GuidanceInput guidance_input{};
  models::ClipVisionModelWithProjection model{nullptr};
  RuntimeOptions runtime{};
  std::string source = "unloaded";   // where the weights came from (for name())

  // The guidance side: images float [B, 3, H, W] in [0, 1] (any size, device, floating dtype).
  at::Tensor extract(const at::Tensor& images) const {
    check_images(images, "extract");
    return encode(guidance_input(images.to(runtime.device), image_size()), "guidance_input");
  }

  // The prototype side: real images, float [B, 3, H, W] in [0, 1] at their own size.
  at::Tensor extract_real(const at::Tensor& images) const {
    check_images(images, "extract_real");
    torch::NoGradGuard no_grad;
    return encode(prototype_input(images.to(runtime.device), image_size()), "prototype_input");
  }

  // The tower on prepared input [B, 3, S, S] (S = image_size()).
  at::Tensor encode(const at::Tensor& pixels, const char* from = "encode") const {
    check_model("encode");
    const auto S = model->config.image_size;
    if (!pixels.defined() || pixels.dim() != 4 || pixels.size(2) != S || pixels.size(3) != S)
      throw std::invalid_argument("ClipImageFeatures: " + std::string(from) + " gives " +
                                  (pixels.defined() ? c10::str(pixels.sizes()) : std::string("undefined")) +
                                  ", the tower takes [B, 3, " + std::to_string(S) + ", " + std::to_string(S) +
                                  "] (set the preprocessor's size to 0 to follow the tower)");
    auto embeds = model.ptr()->image_embeds(pixels.to(runtime.dtype));
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

  // "clip-image(<weights>)"; the preprocessings are params().
  std::string name() const { return source == "unloaded" ? "clip-image" : "clip-image(" + source + ")"; }
  nlohmann::json params() const {
    return {{"prototype_input", detail::serialise_component(prototype_input)},
            {"guidance_input", detail::serialise_component(guidance_input)}};
  }

  // The features slot of a composition holds the preprocessings; the entry
  // points bind it to the loaded CLIP tower of the model set. An extractor
  // that already holds a network is kept as it is.
  template <class Models>
  BasicClipImageFeatures bind(const Models& models) const {
    if (!model.is_empty()) return *this;
    using Own = std::remove_cvref_t<decltype(models.features)>;
    if constexpr (detail::is_clip_image_features<Own>) {
      BasicClipImageFeatures f = *this;
      f.model = models.features.model;
      f.runtime = models.features.runtime;
      f.source = models.features.source;
      return f;
    } else {
      throw std::invalid_argument("ClipImageFeatures: the model set has no CLIP image tower to bind to (" +
                                  models.features.name() + ")");
    }
  }

  // A transformers CLIPModel folder (openai/clip-vit-base-patch32) or a
  // CLIPVisionModelWithProjection folder: config.json + model.safetensors, and
  // preprocessor_config.json when the folder has one.
  static BasicClipImageFeatures load(const std::filesystem::path& clip_dir, const RuntimeOptions& opts) {
    BasicClipImageFeatures f;
    f.model = models::load_clip_vision_model(clip_dir, opts);
    f.source = clip_dir.filename().empty() ? clip_dir.parent_path().filename().string()
                                           : clip_dir.filename().string();
    if constexpr (std::is_same_v<PrototypeInput, ClipImageProcessor>) f.prototype_input = ClipImageProcessor::load(clip_dir);
    if constexpr (std::is_same_v<GuidanceInput, ClipImageProcessor>) f.guidance_input = ClipImageProcessor::load(clip_dir);
    f.finish(opts);
    return f;
  }

  // Random weights (init_clip_weights with `seed`) for tests and ablations.
  static BasicClipImageFeatures random(const models::ClipVisionConfig& config, const RuntimeOptions& opts,
                                       std::uint64_t seed) {
    BasicClipImageFeatures f;
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
  void check_images(const at::Tensor& images, const char* what) const {
    check_model(what);
    const auto& cfg = model->config;
    if (!images.defined() || images.dim() != 4 || images.size(1) != cfg.num_channels)
      throw std::invalid_argument("ClipImageFeatures::" + std::string(what) + ": images must be [B, " +
                                  std::to_string(cfg.num_channels) + ", H, W] in [0, 1], got " +
                                  (images.defined() ? c10::str(images.sizes()) : std::string("undefined")));
    if (!images.is_floating_point())
      throw std::invalid_argument("ClipImageFeatures::" + std::string(what) + ": images must be floating point in [0, 1]");
  }
  void finish(const RuntimeOptions& opts) {
    runtime = opts;
    runtime.dtype = models::clip_compute_dtype(opts);
    model->eval();
    for (auto& p : model->parameters()) p.requires_grad_(false);
  }
};

using ClipImageFeatures = BasicClipImageFeatures<>;

}  // namespace distdiff

static_assert(distdiff::FeatureExtractor<distdiff::ClipImageFeatures>);
