#pragma once
// The CLIP vision tower (transformers CLIPVisionTransformer) and
// ClipVisionModelWithProjection (transformers CLIPVisionModelWithProjection), as in
// openai/clip-vit-base-patch32. Parameter names are the published ones:
//
//   vision_model.embeddings.class_embedding                 [hidden]
//   vision_model.embeddings.patch_embedding.weight          [hidden, 3, patch, patch] (no bias)
//   vision_model.embeddings.position_embedding.weight       [patches + 1, hidden]
//   vision_model.pre_layrnorm.{weight,bias}                 (sic)
//   vision_model.encoder.layers.{i}. ...                    (see transformer.hpp)
//   vision_model.post_layernorm.{weight,bias}               applied to the class token
//   visual_projection.weight                                [projection_dim, hidden] (no bias)
//
//   distdiff::models::ClipVisionModelWithProjection m(distdiff::models::ClipVisionConfig::tiny());
//   auto embeds = m->image_embeds(pixel_values);   // [B, 3, S, S] normalised pixels -> [B, proj]
#include <torch/torch.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "distdiff/models/clip/config.hpp"
#include "distdiff/models/clip/transformer.hpp"

namespace distdiff::models {

struct ClipVisionOutput {
  torch::Tensor last_hidden_state;   // [B, patches + 1, hidden]
  torch::Tensor pooler_output;       // [B, hidden]: post_layernorm(class token)
};

// transformers CLIPVisionEmbeddings.
struct ClipVisionEmbeddingsImpl : torch::nn::Module {
  ClipVisionConfig config;
  torch::Tensor class_embedding;
  torch::nn::Conv2d patch_embedding{nullptr};
  torch::nn::Embedding position_embedding{nullptr};

  explicit ClipVisionEmbeddingsImpl(const ClipVisionConfig& c) : config(c) {
    class_embedding = register_parameter("class_embedding", torch::randn({c.hidden_size}));
    patch_embedding = register_module(
        "patch_embedding",
        torch::nn::Conv2d(torch::nn::Conv2dOptions(c.num_channels, c.hidden_size, c.patch_size)
                              .stride(c.patch_size)
                              .bias(false)));
    position_embedding = register_module("position_embedding", torch::nn::Embedding(c.num_positions(), c.hidden_size));
  }

  torch::Tensor forward(const torch::Tensor& pixel_values) {
    const auto& c = config;
    if (!pixel_values.defined() || pixel_values.dim() != 4 || pixel_values.size(1) != c.num_channels ||
        pixel_values.size(2) != c.image_size || pixel_values.size(3) != c.image_size)
      throw std::invalid_argument(
          "ClipVisionModel: pixel_values must be [B, " + std::to_string(c.num_channels) + ", " +
          std::to_string(c.image_size) + ", " + std::to_string(c.image_size) + "], got " +
          (pixel_values.defined() ? c10::str(pixel_values.sizes()) : std::string("undefined")));
    if (!pixel_values.is_floating_point())
      throw std::invalid_argument("ClipVisionModel: pixel_values must be floating point");
    const auto B = pixel_values.size(0);
    const auto& w = patch_embedding->weight;
    auto patches = patch_embedding->forward(pixel_values.to(w.device(), w.scalar_type()));  // [B, D, g, g]
    patches = patches.flatten(2).transpose(1, 2);                                           // [B, g*g, D]
    auto cls = class_embedding.view({1, 1, -1}).expand({B, 1, c.hidden_size});
    return torch::cat({cls, patches}, 1) + position_embedding->weight.unsqueeze(0);
  }
};
TORCH_MODULE(ClipVisionEmbeddings);

// transformers CLIPVisionTransformer.
struct ClipVisionTransformerImpl : torch::nn::Module {
  ClipVisionConfig config;
  ClipVisionEmbeddings embeddings{nullptr};
  torch::nn::LayerNorm pre_layrnorm{nullptr};
  ClipEncoder encoder{nullptr};
  torch::nn::LayerNorm post_layernorm{nullptr};

  explicit ClipVisionTransformerImpl(const ClipVisionConfig& c) : config(c) {
    config.validate();
    auto ln = [&] {
      return torch::nn::LayerNorm(torch::nn::LayerNormOptions({config.hidden_size}).eps(config.layer_norm_eps));
    };
    embeddings = register_module("embeddings", ClipVisionEmbeddings(config));
    pre_layrnorm = register_module("pre_layrnorm", ln());
    encoder = register_module("encoder", ClipEncoder(ClipEncoderOptions::from(config)));
    post_layernorm = register_module("post_layernorm", ln());
  }

  ClipVisionOutput forward(const torch::Tensor& pixel_values) {
    auto h = detail::clip_layer_norm(pre_layrnorm, embeddings->forward(pixel_values));
    h = encoder->forward(h, /*causal=*/false);
    auto pooled = detail::clip_layer_norm(post_layernorm, h.select(1, 0));
    return {h, pooled};
  }
};
TORCH_MODULE(ClipVisionTransformer);

// transformers CLIPVisionModelWithProjection: vision_model + visual_projection.
struct ClipVisionModelWithProjectionImpl : torch::nn::Module {
  ClipVisionConfig config;
  ClipVisionTransformer vision_model{nullptr};
  torch::nn::Linear visual_projection{nullptr};

  explicit ClipVisionModelWithProjectionImpl(const ClipVisionConfig& c) : config(c) {
    vision_model = register_module("vision_model", ClipVisionTransformer(config));
    visual_projection = register_module(
        "visual_projection",
        torch::nn::Linear(torch::nn::LinearOptions(config.hidden_size, config.projection_dim).bias(false)));
  }

  // pixel_values: [B, C, image_size, image_size], already resized and normalised.
  // Returns [B, projection_dim], not L2-normalised.
  torch::Tensor image_embeds(const torch::Tensor& pixel_values) {
    return visual_projection->forward(vision_model->forward(pixel_values).pooler_output);
  }
  torch::Tensor forward(const torch::Tensor& pixel_values) { return image_embeds(pixel_values); }
};
TORCH_MODULE(ClipVisionModelWithProjection);

}  // namespace distdiff::models
