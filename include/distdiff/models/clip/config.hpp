#pragma once
// Configurations of the CLIP towers, read from Hugging Face transformers
// config.json files (CLIPTextModel, CLIPVisionModel[WithProjection] and the
// combined CLIPModel, whose towers live under "text_config"/"vision_config").
//
// Missing keys take transformers' defaults (CLIPTextConfig / CLIPVisionConfig),
// which are the openai/clip-vit-base-patch32 values.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "distdiff/models/weights/config.hpp"

namespace distdiff::models {

namespace detail {

// The tower's sub-object of a CLIPModel config, or the object itself.
inline const nlohmann::json& clip_tower_json(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) throw std::invalid_argument(std::string("CLIP config: expected a JSON object"));
  if (auto it = j.find(key); it != j.end() && it->is_object()) return *it;
  const std::string legacy = std::string(key) + "_dict";  // transformers < 4.22 dumps
  if (auto it = j.find(legacy); it != j.end() && it->is_object()) return *it;
  return j;
}

template <class T>
void clip_read(const nlohmann::json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;
  try {
    out = it->get<T>();
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("CLIP config: key \"") + key + "\" has the wrong type (" +
                                e.what() + ")");
  }
}

// An integer in [0, hi] (ceilings in weights/config.hpp); validate() checks the lower bounds.
inline void clip_read(const nlohmann::json& j, const char* key, std::int64_t& out, std::int64_t hi) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;
  try {
    out = json_int_in(*it, key, 0, hi);
  } catch (const std::runtime_error& e) {
    throw std::invalid_argument(std::string("CLIP config: ") + e.what());
  }
}

inline void clip_require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("CLIP config: " + what);
}

}  // namespace detail

// Text tower (transformers CLIPTextConfig).
struct ClipTextConfig {
  std::int64_t vocab_size = 49408;
  std::int64_t hidden_size = 512;
  std::int64_t intermediate_size = 2048;
  std::int64_t num_attention_heads = 8;
  std::int64_t num_hidden_layers = 12;
  std::int64_t max_position_embeddings = 77;
  std::int64_t projection_dim = 512;   // used by CLIPModel's text_projection
  std::string hidden_act = "quick_gelu";
  double layer_norm_eps = 1e-5;
  // Where the pooled output is taken: 2 (transformers' legacy value, and what
  // configs without the key get) pools at each row's largest token id, the
  // end-of-text token of CLIP's tokenizer; any other id pools at its first
  // occurrence (position 0 when a row has none), as transformers does.
  std::int64_t eos_token_id = 2;

  std::int64_t head_dim() const { return hidden_size / num_attention_heads; }

  void validate() const {
    detail::clip_require(vocab_size > 0 && hidden_size > 0 && intermediate_size > 0 &&
                             num_attention_heads > 0 && num_hidden_layers >= 0 &&
                             max_position_embeddings > 0 && projection_dim > 0,
                         "text config sizes must be positive");
    detail::clip_require(hidden_size % num_attention_heads == 0,
                         "text hidden_size " + std::to_string(hidden_size) +
                             " is not divisible by num_attention_heads " +
                             std::to_string(num_attention_heads));
    detail::clip_require(layer_norm_eps > 0, "text layer_norm_eps must be positive");
  }

  // SD v1-4's text encoder: the ViT-L/14 text tower (123,060,480 parameters).
  static ClipTextConfig sd_v1_4_text() {
    ClipTextConfig c;
    c.hidden_size = 768;
    c.intermediate_size = 3072;
    c.num_attention_heads = 12;
    c.num_hidden_layers = 12;
    c.projection_dim = 768;
    return c;
  }
  // The text tower of openai/clip-vit-base-patch32 (the defaults).
  static ClipTextConfig vit_b_32() { return ClipTextConfig{}; }
  // A small real configuration for tests (vocab sized by the caller's tokenizer).
  static ClipTextConfig tiny(std::int64_t vocab = 1000) {
    ClipTextConfig c;
    c.vocab_size = vocab;
    c.hidden_size = 32;
    c.intermediate_size = 64;
    c.num_attention_heads = 4;
    c.num_hidden_layers = 2;
    c.max_position_embeddings = 77;
    c.projection_dim = 16;
    return c;
  }

  // From a CLIPTextModel config.json or a CLIPModel one (its "text_config").
  static ClipTextConfig from_json(const nlohmann::json& root) {
    const auto& j = detail::clip_tower_json(root, "text_config");
    ClipTextConfig c;
    detail::clip_read(j, "vocab_size", c.vocab_size, kConfigMaxVocab);
    detail::clip_read(j, "hidden_size", c.hidden_size, kConfigMaxChannels);
    detail::clip_read(j, "intermediate_size", c.intermediate_size, kConfigMaxChannels);
    detail::clip_read(j, "num_attention_heads", c.num_attention_heads, kConfigMaxChannels);
    detail::clip_read(j, "num_hidden_layers", c.num_hidden_layers, kConfigMaxLayers);
    detail::clip_read(j, "max_position_embeddings", c.max_position_embeddings, kConfigMaxSampleSize);
    detail::clip_read(j, "projection_dim", c.projection_dim, kConfigMaxChannels);
    detail::clip_read(j, "hidden_act", c.hidden_act);
    detail::clip_read(j, "layer_norm_eps", c.layer_norm_eps);
    detail::clip_read(j, "eos_token_id", c.eos_token_id, kConfigMaxVocab);
    if (&j != &root) detail::clip_read(root, "projection_dim", c.projection_dim, kConfigMaxChannels);  // CLIPModel's own
    c.validate();
    return c;
  }
  nlohmann::json to_json() const {
    return {{"model_type", "clip_text_model"},
            {"architectures", {"CLIPTextModel"}},
            {"vocab_size", vocab_size},
            {"hidden_size", hidden_size},
            {"intermediate_size", intermediate_size},
            {"num_attention_heads", num_attention_heads},
            {"num_hidden_layers", num_hidden_layers},
            {"max_position_embeddings", max_position_embeddings},
            {"projection_dim", projection_dim},
            {"hidden_act", hidden_act},
            {"layer_norm_eps", layer_norm_eps},
            {"eos_token_id", eos_token_id}};
  }
  bool operator==(const ClipTextConfig&) const = default;
};

// Vision tower (transformers CLIPVisionConfig).
struct ClipVisionConfig {
  std::int64_t hidden_size = 768;
  std::int64_t intermediate_size = 3072;
  std::int64_t num_attention_heads = 12;
  std::int64_t num_hidden_layers = 12;
  std::int64_t num_channels = 3;
  std::int64_t image_size = 224;
  std::int64_t patch_size = 32;
  std::int64_t projection_dim = 512;   // visual_projection output
  std::string hidden_act = "quick_gelu";
  double layer_norm_eps = 1e-5;

  std::int64_t head_dim() const { return hidden_size / num_attention_heads; }
  std::int64_t num_patches() const { return (image_size / patch_size) * (image_size / patch_size); }
  std::int64_t num_positions() const { return num_patches() + 1; }

  void validate() const {
    detail::clip_require(hidden_size > 0 && intermediate_size > 0 && num_attention_heads > 0 &&
                             num_hidden_layers >= 0 && num_channels > 0 && patch_size > 0 &&
                             projection_dim > 0,
                         "vision config sizes must be positive");
    detail::clip_require(hidden_size % num_attention_heads == 0,
                         "vision hidden_size " + std::to_string(hidden_size) +
                             " is not divisible by num_attention_heads " +
                             std::to_string(num_attention_heads));
    detail::clip_require(image_size >= patch_size, "vision image_size " + std::to_string(image_size) +
                                                       " is smaller than patch_size " +
                                                       std::to_string(patch_size));
    detail::clip_require(layer_norm_eps > 0, "vision layer_norm_eps must be positive");
  }

  // openai/clip-vit-base-patch32 (the defaults): 224 px, 32 px patches, width 768, 512-d embeds.
  static ClipVisionConfig vit_b_32() { return ClipVisionConfig{}; }
  // A small real configuration for tests: 32 px images in 8 px patches.
  static ClipVisionConfig tiny() {
    ClipVisionConfig c;
    c.hidden_size = 32;
    c.intermediate_size = 64;
    c.num_attention_heads = 4;
    c.num_hidden_layers = 2;
    c.image_size = 32;
    c.patch_size = 8;
    c.projection_dim = 16;
    return c;
  }

  // From a CLIPVisionModel[WithProjection] config.json or a CLIPModel one.
  static ClipVisionConfig from_json(const nlohmann::json& root) {
    const auto& j = detail::clip_tower_json(root, "vision_config");
    ClipVisionConfig c;
    detail::clip_read(j, "hidden_size", c.hidden_size, kConfigMaxChannels);
    detail::clip_read(j, "intermediate_size", c.intermediate_size, kConfigMaxChannels);
    detail::clip_read(j, "num_attention_heads", c.num_attention_heads, kConfigMaxChannels);
    detail::clip_read(j, "num_hidden_layers", c.num_hidden_layers, kConfigMaxLayers);
    detail::clip_read(j, "num_channels", c.num_channels, kConfigMaxChannels);
    detail::clip_read(j, "image_size", c.image_size, kConfigMaxSampleSize);
    detail::clip_read(j, "patch_size", c.patch_size, kConfigMaxSampleSize);
    detail::clip_read(j, "projection_dim", c.projection_dim, kConfigMaxChannels);
    detail::clip_read(j, "hidden_act", c.hidden_act);
    detail::clip_read(j, "layer_norm_eps", c.layer_norm_eps);
    if (&j != &root) detail::clip_read(root, "projection_dim", c.projection_dim, kConfigMaxChannels);  // CLIPModel's own
    c.validate();
    return c;
  }
  nlohmann::json to_json() const {
    return {{"model_type", "clip_vision_model"},
            {"architectures", {"CLIPVisionModelWithProjection"}},
            {"hidden_size", hidden_size},
            {"intermediate_size", intermediate_size},
            {"num_attention_heads", num_attention_heads},
            {"num_hidden_layers", num_hidden_layers},
            {"num_channels", num_channels},
            {"image_size", image_size},
            {"patch_size", patch_size},
            {"projection_dim", projection_dim},
            {"hidden_act", hidden_act},
            {"layer_norm_eps", layer_norm_eps}};
  }
  bool operator==(const ClipVisionConfig&) const = default;
};

// Both towers and the shared embedding space (transformers CLIPConfig).
struct ClipModelConfig {
  ClipTextConfig text;
  ClipVisionConfig vision;
  std::int64_t projection_dim = 512;
  double logit_scale_init_value = 2.6592;   // log(1/0.07); published weights hold log(100)

  static ClipModelConfig vit_b_32() { return ClipModelConfig{}; }
  static ClipModelConfig tiny(std::int64_t vocab = 1000) {
    ClipModelConfig c;
    c.text = ClipTextConfig::tiny(vocab);
    c.vision = ClipVisionConfig::tiny();
    c.projection_dim = 16;
    c.text.projection_dim = c.vision.projection_dim = c.projection_dim;
    return c;
  }
  static ClipModelConfig from_json(const nlohmann::json& j) {
    ClipModelConfig c;
    c.text = ClipTextConfig::from_json(j);
    c.vision = ClipVisionConfig::from_json(j);
    detail::clip_read(j, "projection_dim", c.projection_dim, kConfigMaxChannels);
    detail::clip_read(j, "logit_scale_init_value", c.logit_scale_init_value);
    c.text.projection_dim = c.vision.projection_dim = c.projection_dim;
    detail::clip_require(c.projection_dim > 0, "projection_dim must be positive");
    return c;
  }
  nlohmann::json to_json() const {
    auto t = text.to_json();
    auto v = vision.to_json();
    t.erase("architectures");
    v.erase("architectures");
    return {{"model_type", "clip"},
            {"architectures", {"CLIPModel"}},
            {"projection_dim", projection_dim},
            {"logit_scale_init_value", logit_scale_init_value},
            {"text_config", t},
            {"vision_config", v}};
  }
  bool operator==(const ClipModelConfig&) const = default;
};

}  // namespace distdiff::models
