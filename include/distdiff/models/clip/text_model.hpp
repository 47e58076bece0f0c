#pragma once
// ClipTextModel — the CLIP text tower (transformers CLIPTextModel), e.g. SD v1-4's
// text encoder. Parameter names are the published ones:
//
//   text_model.embeddings.token_embedding.weight        [vocab, hidden]
//   text_model.embeddings.position_embedding.weight     [positions, hidden]
//   text_model.encoder.layers.{i}.self_attn.{q,k,v,out}_proj.{weight,bias}
//   text_model.encoder.layers.{i}.layer_norm{1,2}.{weight,bias}
//   text_model.encoder.layers.{i}.mlp.fc{1,2}.{weight,bias}
//   text_model.final_layer_norm.{weight,bias}
//
// (position ids are computed, not stored: files that still hold the legacy buffer
// text_model.embeddings.position_ids load with that key ignored).
//
//   distdiff::models::ClipTextModel m(distdiff::models::ClipTextConfig::tiny());
//   auto out = m->forward(ids);     // ids [B, L] int64, L <= max_position_embeddings
//   out.last_hidden_state;          // [B, L, hidden], after final_layer_norm (causal mask)
//   out.pooler_output;              // [B, hidden] at each row's first maximal id (the EOS)
#include <torch/torch.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "distdiff/models/clip/config.hpp"
#include "distdiff/models/clip/transformer.hpp"

namespace distdiff::models {

struct ClipTextOutput {
  torch::Tensor last_hidden_state;   // [B, L, hidden]
  torch::Tensor pooler_output;       // [B, hidden]
};

namespace detail {

// Checks token ids against a text tower and returns them as int64 on `device`.
inline torch::Tensor clip_check_ids(const torch::Tensor& ids, const ClipTextConfig& c, torch::Device device) {
  if (!ids.defined() || ids.dim() != 2)
    throw std::invalid_argument("ClipTextModel: input_ids must be [B, L], got " +
                                (ids.defined() ? std::to_string(ids.dim()) + "-d" : std::string("undefined")));
  if (ids.is_floating_point() || ids.is_complex() || ids.scalar_type() == torch::kBool)
    throw std::invalid_argument("ClipTextModel: input_ids must be an integer tensor");
  if (ids.size(1) < 1 || ids.size(1) > c.max_position_embeddings)
    throw std::invalid_argument("ClipTextModel: sequence length " + std::to_string(ids.size(1)) +
                                " must be in [1, " + std::to_string(c.max_position_embeddings) + "]");
  if (ids.numel() > 0) {
    const auto lo = ids.min().item<std::int64_t>(), hi = ids.max().item<std::int64_t>();
    if (lo < 0 || hi >= c.vocab_size)
      throw std::invalid_argument("ClipTextModel: token ids must be in [0, " + std::to_string(c.vocab_size) +
                                  "), got [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return ids.to(device, torch::kLong);
}

// Where each row is pooled (ClipTextConfig::eos_token_id): with the legacy
// value 2, the first position of the row's largest id (argmax, ties resolved to
// the first); otherwise the first position of eos_token_id, 0 when the row has
// none (transformers' argmax over the comparison).
inline torch::Tensor clip_eos_positions(const torch::Tensor& ids, std::int64_t eos_token_id = 2) {
  auto hit = eos_token_id == 2 ? ids.eq(std::get<0>(ids.max(1, /*keepdim=*/true))) : ids.eq(eos_token_id);
  auto first = hit.to(torch::kLong).cumsum(1).eq(0).sum(1);  // leading misses
  return eos_token_id == 2 ? first : torch::where(hit.any(1), first, torch::zeros_like(first));
}

}  // namespace detail

// transformers CLIPTextEmbeddings.
struct ClipTextEmbeddingsImpl : torch::nn::Module {
  torch::nn::Embedding token_embedding{nullptr}, position_embedding{nullptr};

  explicit ClipTextEmbeddingsImpl(const ClipTextConfig& c) {
    token_embedding = register_module("token_embedding", torch::nn::Embedding(c.vocab_size, c.hidden_size));
    position_embedding =
        register_module("position_embedding", torch::nn::Embedding(c.max_position_embeddings, c.hidden_size));
  }

  torch::Tensor forward(const torch::Tensor& ids) {
    const auto L = ids.size(1);
    auto pos = position_embedding->weight.narrow(0, 0, L).unsqueeze(0);
    return token_embedding->forward(ids) + pos;
  }
};
TORCH_MODULE(ClipTextEmbeddings);

// transformers CLIPTextTransformer: embeddings, causal encoder, final_layer_norm.
struct ClipTextTransformerImpl : torch::nn::Module {
  ClipTextConfig config;
  ClipTextEmbeddings embeddings{nullptr};
  ClipEncoder encoder{nullptr};
  torch::nn::LayerNorm final_layer_norm{nullptr};

  explicit ClipTextTransformerImpl(const ClipTextConfig& c) : config(c) {
    config.validate();
    embeddings = register_module("embeddings", ClipTextEmbeddings(config));
    encoder = register_module("encoder", ClipEncoder(ClipEncoderOptions::from(config)));
    final_layer_norm = register_module(
        "final_layer_norm",
        torch::nn::LayerNorm(torch::nn::LayerNormOptions({config.hidden_size}).eps(config.layer_norm_eps)));
  }

  ClipTextOutput forward(const torch::Tensor& input_ids) {
    const auto& w = embeddings->token_embedding->weight;
    auto ids = detail::clip_check_ids(input_ids, config, w.device());
    auto h = encoder->forward(embeddings->forward(ids), /*causal=*/true);
    h = detail::clip_layer_norm(final_layer_norm, h);
    auto rows = torch::arange(ids.size(0), torch::TensorOptions().dtype(torch::kLong).device(ids.device()));
    auto pooled = h.index({rows, detail::clip_eos_positions(ids, config.eos_token_id)});
    return {h, pooled};
  }
};
TORCH_MODULE(ClipTextTransformer);

// transformers CLIPTextModel: the transformer under "text_model".
struct ClipTextModelImpl : torch::nn::Module {
  ClipTextConfig config;
  ClipTextTransformer text_model{nullptr};

  explicit ClipTextModelImpl(const ClipTextConfig& c) : config(c) {
    text_model = register_module("text_model", ClipTextTransformer(config));
  }

  ClipTextOutput forward(const torch::Tensor& input_ids) { return text_model->forward(input_ids); }
};
TORCH_MODULE(ClipTextModel);

}  // namespace distdiff::models
