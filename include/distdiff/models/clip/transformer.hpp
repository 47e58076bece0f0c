#pragma once
// The transformer pieces both CLIP towers share, named as in transformers'
// modeling_clip.py so that named_parameters() yields the published keys:
//
//   ClipAttention     k_proj, v_proj, q_proj, out_proj (Linear with bias)
//   ClipMlp           fc1, fc2 (activation from hidden_act, "quick_gelu" by default)
//   ClipEncoderLayer  self_attn, layer_norm1, mlp, layer_norm2 (pre-norm residual)
//   ClipEncoder       layers.0 ... layers.{N-1}
//
// Attention is softmax(q k^T / sqrt(d)) v with an optional causal mask. Compiled
// against LibTorch >= 2 it uses the fused scaled_dot_product_attention; otherwise
// matmul + softmax, the softmax in float32 for fp16/bf16 inputs. Layer norms on CPU
// in reduced precision are computed in float32.
#include <torch/torch.h>
#include <torch/version.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

#include "distdiff/models/clip/config.hpp"

namespace distdiff::models {

namespace detail {

inline bool clip_is_reduced(torch::Dtype d) { return d == torch::kHalf || d == torch::kBFloat16; }

// LayerNorm that stays accurate for fp16/bf16 on every device.
inline torch::Tensor clip_layer_norm(const torch::nn::LayerNorm& ln, const torch::Tensor& x) {
  const auto& o = ln->options;
  if (x.is_cuda() || !clip_is_reduced(x.scalar_type())) return ln.ptr()->forward(x);
  auto w = ln->weight.defined() ? ln->weight.to(torch::kFloat) : torch::Tensor();
  auto b = ln->bias.defined() ? ln->bias.to(torch::kFloat) : torch::Tensor();
  return torch::layer_norm(x.to(torch::kFloat), o.normalized_shape(), w, b, o.eps()).to(x.scalar_type());
}

inline bool clip_known_activation(const std::string& act) {
  return act == "quick_gelu" || act == "gelu" || act == "gelu_new" || act == "gelu_pytorch_tanh" ||
         act == "gelu_fast" || act == "relu";
}

inline torch::Tensor clip_activation(const std::string& act, const torch::Tensor& x) {
  if (act == "quick_gelu") return x * torch::sigmoid(1.702 * x);
  if (act == "gelu") return torch::gelu(x);
  if (act == "relu") return torch::relu(x);
  return torch::gelu(x, "tanh");  // gelu_new, gelu_pytorch_tanh, gelu_fast
}

}  // namespace detail

// Shape of one tower's encoder stack.
struct ClipEncoderOptions {
  std::int64_t hidden_size = 768;
  std::int64_t intermediate_size = 3072;
  std::int64_t num_attention_heads = 12;
  std::int64_t num_hidden_layers = 12;
  std::string hidden_act = "quick_gelu";
  double layer_norm_eps = 1e-5;

  template <class Config>
  static ClipEncoderOptions from(const Config& c) {
    return {c.hidden_size, c.intermediate_size, c.num_attention_heads, c.num_hidden_layers, c.hidden_act,
            c.layer_norm_eps};
  }
};

// Multi-head self-attention (transformers CLIPAttention).
namespace detail {
// The explicit attention of the LibTorch 1.x path (and the reference the fused
// path is tested against): q, k, v [B, heads, L, d]; softmax in float32 for
// fp16/bf16 inputs, in the input's precision otherwise; causal: position i
// attends to positions <= i only.
inline torch::Tensor clip_attention_math(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                         bool causal) {
  const auto L = q.size(2);
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  const auto softmax_dtype = clip_is_reduced(q.scalar_type()) ? torch::kFloat : q.scalar_type();
  auto scores = torch::matmul(q * scale, k.transpose(-1, -2)).to(softmax_dtype);
  if (causal) {
    auto mask = torch::ones({L, k.size(2)}, torch::TensorOptions().dtype(torch::kBool).device(q.device())).triu(1);
    scores = scores.masked_fill(mask, -std::numeric_limits<float>::infinity());
  }
  return torch::matmul(torch::softmax(scores, -1).to(v.scalar_type()), v);
}
}  // namespace detail

struct ClipAttentionImpl : torch::nn::Module {
  std::int64_t embed_dim;
  std::int64_t num_heads;
  std::int64_t head_dim;
  double scale;
  torch::nn::Linear k_proj{nullptr}, v_proj{nullptr}, q_proj{nullptr}, out_proj{nullptr};

  ClipAttentionImpl(std::int64_t hidden_size, std::int64_t heads)
      : embed_dim(hidden_size), num_heads(heads), head_dim(heads > 0 ? hidden_size / heads : 0) {
    if (heads <= 0 || hidden_size <= 0 || hidden_size % heads != 0)
      throw std::invalid_argument("ClipAttention: hidden size " + std::to_string(hidden_size) +
                                  " must be a positive multiple of the head count " + std::to_string(heads));
    scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
    k_proj = register_module("k_proj", torch::nn::Linear(hidden_size, hidden_size));
    v_proj = register_module("v_proj", torch::nn::Linear(hidden_size, hidden_size));
    q_proj = register_module("q_proj", torch::nn::Linear(hidden_size, hidden_size));
    out_proj = register_module("out_proj", torch::nn::Linear(hidden_size, hidden_size));
  }

  // x: [B, L, hidden]. causal: position i attends to positions <= i only.
  torch::Tensor forward(const torch::Tensor& x, bool causal = false) {
    const auto B = x.size(0), L = x.size(1);
    auto heads = [&](const torch::Tensor& t) { return t.view({B, L, num_heads, head_dim}).transpose(1, 2); };
    auto q = heads(q_proj->forward(x));
    auto k = heads(k_proj->forward(x));
    auto v = heads(v_proj->forward(x));
#if TORCH_VERSION_MAJOR >= 2
    const auto out = at::scaled_dot_product_attention(q, k, v, {}, 0.0, causal);
#else
    const auto out = detail::clip_attention_math(q, k, v, causal);
#endif
    return out_proj->forward(out.transpose(1, 2).reshape({B, L, embed_dim}));
  }
};
TORCH_MODULE(ClipAttention);

// Feed-forward block (transformers CLIPMLP).
struct ClipMlpImpl : torch::nn::Module {
  std::string hidden_act;
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};

  ClipMlpImpl(std::int64_t hidden_size, std::int64_t intermediate_size, std::string act = "quick_gelu")
      : hidden_act(std::move(act)) {
    if (!detail::clip_known_activation(hidden_act))
      throw std::invalid_argument("ClipMlp: unsupported hidden_act \"" + hidden_act +
                                  "\" (quick_gelu, gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, relu)");
    fc1 = register_module("fc1", torch::nn::Linear(hidden_size, intermediate_size));
    fc2 = register_module("fc2", torch::nn::Linear(intermediate_size, hidden_size));
  }

  torch::Tensor forward(const torch::Tensor& x) {
    return fc2->forward(detail::clip_activation(hidden_act, fc1->forward(x)));
  }
};
TORCH_MODULE(ClipMlp);

// Pre-norm transformer block (transformers CLIPEncoderLayer).
struct ClipEncoderLayerImpl : torch::nn::Module {
  ClipAttention self_attn{nullptr};
  torch::nn::LayerNorm layer_norm1{nullptr};
  ClipMlp mlp{nullptr};
  torch::nn::LayerNorm layer_norm2{nullptr};

  explicit ClipEncoderLayerImpl(const ClipEncoderOptions& o) {
    self_attn = register_module("self_attn", ClipAttention(o.hidden_size, o.num_attention_heads));
    layer_norm1 = register_module(
        "layer_norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.hidden_size}).eps(o.layer_norm_eps)));
    mlp = register_module("mlp", ClipMlp(o.hidden_size, o.intermediate_size, o.hidden_act));
    layer_norm2 = register_module(
        "layer_norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.hidden_size}).eps(o.layer_norm_eps)));
  }

  torch::Tensor forward(const torch::Tensor& x, bool causal = false) {
    auto h = x + self_attn->forward(detail::clip_layer_norm(layer_norm1, x), causal);
    return h + mlp->forward(detail::clip_layer_norm(layer_norm2, h));
  }
};
TORCH_MODULE(ClipEncoderLayer);

// The stack of blocks (transformers CLIPEncoder): parameters under layers.{i}.
struct ClipEncoderImpl : torch::nn::Module {
  torch::nn::ModuleList layers{nullptr};

  explicit ClipEncoderImpl(const ClipEncoderOptions& o) {
    if (o.num_hidden_layers < 0)
      throw std::invalid_argument("ClipEncoder: negative layer count " + std::to_string(o.num_hidden_layers));
    layers = register_module("layers", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < o.num_hidden_layers; ++i) layers->push_back(ClipEncoderLayer(o));
  }

  std::int64_t size() const { return static_cast<std::int64_t>(layers->size()); }

  torch::Tensor forward(torch::Tensor x, bool causal = false) {
    for (const auto& layer : *layers) x = layer->as<ClipEncoderLayerImpl>()->forward(x, causal);
    return x;
  }
};
TORCH_MODULE(ClipEncoder);

}  // namespace distdiff::models
