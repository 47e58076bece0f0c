#pragma once
// ClipModel — both CLIP towers and the shared embedding space (transformers
// CLIPModel, e.g. the openai/clip-vit-base-patch32 folder). Parameter names:
//
//   text_model.*            (ClipTextTransformer, see text_model.hpp)
//   vision_model.*          (ClipVisionTransformer, see vision_model.hpp)
//   visual_projection.weight [projection_dim, vision hidden]   (no bias)
//   text_projection.weight   [projection_dim, text hidden]     (no bias)
//   logit_scale              []  (log of the softmax temperature's inverse)
//
//   distdiff::models::ClipModel clip(distdiff::models::ClipModelConfig::tiny());
//   auto logits = clip->logits_per_image(pixel_values, token_ids);   // [B_img, B_txt]
#include <torch/torch.h>

#include <cstdint>

#include "distdiff/models/clip/config.hpp"
#include "distdiff/models/clip/text_model.hpp"
#include "distdiff/models/clip/vision_model.hpp"

namespace distdiff::models {

struct ClipModelImpl : torch::nn::Module {
  ClipModelConfig config;
  ClipTextTransformer text_model{nullptr};
  ClipVisionTransformer vision_model{nullptr};
  torch::nn::Linear visual_projection{nullptr}, text_projection{nullptr};
  torch::Tensor logit_scale;

  explicit ClipModelImpl(const ClipModelConfig& c) : config(c) {
    config.text.projection_dim = config.vision.projection_dim = config.projection_dim;
    text_model = register_module("text_model", ClipTextTransformer(config.text));
    vision_model = register_module("vision_model", ClipVisionTransformer(config.vision));
    visual_projection = register_module(
        "visual_projection",
        torch::nn::Linear(torch::nn::LinearOptions(config.vision.hidden_size, config.projection_dim).bias(false)));
    text_projection = register_module(
        "text_projection",
        torch::nn::Linear(torch::nn::LinearOptions(config.text.hidden_size, config.projection_dim).bias(false)));
    logit_scale = register_parameter("logit_scale", torch::tensor(config.logit_scale_init_value));
  }

  // [B, projection_dim] from resized, normalised pixels; not L2-normalised.
  torch::Tensor image_embeds(const torch::Tensor& pixel_values) {
    return visual_projection->forward(vision_model->forward(pixel_values).pooler_output);
  }
  // [B, projection_dim] from token ids (ClipTokenizer::batch_encode); not L2-normalised.
  torch::Tensor text_embeds(const torch::Tensor& token_ids) {
    return text_projection->forward(text_model->forward(token_ids).pooler_output);
  }
  // exp(logit_scale) * cos(image_i, text_j): [B_img, B_txt] zero-shot logits.
  torch::Tensor logits_per_image(const torch::Tensor& pixel_values, const torch::Tensor& token_ids) {
    auto img = torch::nn::functional::normalize(image_embeds(pixel_values),
                                                torch::nn::functional::NormalizeFuncOptions().dim(-1));
    auto txt = torch::nn::functional::normalize(text_embeds(token_ids),
                                                torch::nn::functional::NormalizeFuncOptions().dim(-1));
    return logit_scale.exp() * torch::matmul(img, txt.to(img.scalar_type()).t());
  }
};
TORCH_MODULE(ClipModel);

}  // namespace distdiff::models
