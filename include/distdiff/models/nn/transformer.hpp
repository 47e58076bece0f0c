#pragma once
// The spatial transformer of the SD UNet, parameter names as in diffusers:
//
//   Transformer2DModel:   norm (GroupNorm, eps 1e-6) -> proj_in (1x1 conv, or Linear when
//                         use_linear_projection) -> transformer_blocks.* -> proj_out -> + input
//   BasicTransformerBlock: h = attn1(norm1(x)) + x            (self-attention)
//                          h = attn2(norm2(h), context) + h   (cross-attention to the text)
//                          h = ff(norm3(h)) + h
//   FeedForward:           net.0 = GEGLU (net.0.proj: Linear dim -> 2 * inner; a * gelu(gate)),
//                          net.1 = dropout, net.2 = Linear inner -> dim; inner = 4 * dim.
#include <torch/torch.h>

#include "distdiff/models/nn/conv2d.hpp"

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "distdiff/models/nn/attention.hpp"
#include "distdiff/models/nn/resnet_block.hpp"

namespace distdiff::models::nn {

// proj: Linear(dim_in, 2 * dim_out); forward: a * gelu(gate) with [a, gate] = proj(x).chunk(2).
class GEGLUImpl : public torch::nn::Module {
 public:
  GEGLUImpl(std::int64_t dim_in, std::int64_t dim_out)
      : proj(register_module("proj", torch::nn::Linear(dim_in, 2 * dim_out))) {}

  torch::Tensor forward(const torch::Tensor& x) {
    auto parts = proj(x).chunk(2, -1);
    return parts[0] * torch::gelu(parts[1]);
  }

  torch::nn::Linear proj;
};
TORCH_MODULE(GEGLU);

class FeedForwardImpl : public torch::nn::Module {
 public:
  FeedForwardImpl(std::int64_t dim, std::int64_t mult = 4, double dropout = 0.0) {
    const auto inner = dim * mult;
    net = register_module("net", torch::nn::ModuleList());
    geglu_ = GEGLU(dim, inner);
    dropout_ = torch::nn::Dropout(dropout);
    out_ = torch::nn::Linear(inner, dim);
    net->push_back(geglu_);
    net->push_back(dropout_);
    net->push_back(out_);
  }

  torch::Tensor forward(const torch::Tensor& x) { return out_(dropout_(geglu_(x))); }

  torch::nn::ModuleList net{nullptr};

 private:
  GEGLU geglu_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::Linear out_{nullptr};
};
TORCH_MODULE(FeedForward);

struct BasicTransformerBlockOptions {
  std::int64_t dim = 0;
  std::int64_t heads = 8;
  std::int64_t dim_head = 64;
  std::int64_t cross_attention_dim = 768;
  bool attention_bias = false;
  bool upcast_attention = false;
  double dropout = 0.0;
};

class BasicTransformerBlockImpl : public torch::nn::Module {
 public:
  explicit BasicTransformerBlockImpl(const BasicTransformerBlockOptions& o) : options(o) {
    AttentionOptions self_attn;
    self_attn.query_dim = o.dim;
    self_attn.heads = o.heads;
    self_attn.dim_head = o.dim_head;
    self_attn.bias = o.attention_bias;
    self_attn.upcast_attention = o.upcast_attention;
    self_attn.dropout = o.dropout;
    AttentionOptions cross_attn = self_attn;
    cross_attn.cross_attention_dim = o.cross_attention_dim;
    norm1 = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.dim})));
    attn1 = register_module("attn1", Attention(self_attn));
    norm2 = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.dim})));
    attn2 = register_module("attn2", Attention(cross_attn));
    norm3 = register_module("norm3", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.dim})));
    ff = register_module("ff", FeedForward(o.dim, 4, o.dropout));
  }

  // x: [B, N, dim]; context: [B, M, cross_attention_dim].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& context) {
    auto h = attn1(norm1(x)) + x;
    h = attn2(norm2(h), context) + h;
    return ff(norm3(h)) + h;
  }

  BasicTransformerBlockOptions options;
  torch::nn::LayerNorm norm1{nullptr};
  Attention attn1{nullptr};
  torch::nn::LayerNorm norm2{nullptr};
  Attention attn2{nullptr};
  torch::nn::LayerNorm norm3{nullptr};
  FeedForward ff{nullptr};
};
TORCH_MODULE(BasicTransformerBlock);

struct Transformer2DModelOptions {
  std::int64_t in_channels = 0;
  std::int64_t heads = 8;
  std::int64_t dim_head = 40;              // inner dim = heads * dim_head
  std::int64_t num_layers = 1;
  std::int64_t cross_attention_dim = 768;
  std::int64_t norm_num_groups = 32;
  bool use_linear_projection = false;      // SD v1: 1x1 convolutions
  bool attention_bias = false;
  bool upcast_attention = false;
  double dropout = 0.0;
};

class Transformer2DModelImpl : public torch::nn::Module {
 public:
  explicit Transformer2DModelImpl(const Transformer2DModelOptions& o) : options(o) {
    if (o.num_layers <= 0) throw std::invalid_argument("Transformer2DModel: num_layers must be positive");
    const auto inner = o.heads * o.dim_head;
    norm = register_module("norm", group_norm(o.norm_num_groups, o.in_channels, 1e-6, "Transformer2DModel.norm"));
    if (o.use_linear_projection) {
      proj_in_linear_ = register_module("proj_in", torch::nn::Linear(o.in_channels, inner));
    } else {
      proj_in_conv_ = register_module(
          "proj_in", PackedConv2d(torch::nn::Conv2dOptions(o.in_channels, inner, 1)));
    }
    transformer_blocks = register_module("transformer_blocks", torch::nn::ModuleList());
    BasicTransformerBlockOptions bo;
    bo.dim = inner;
    bo.heads = o.heads;
    bo.dim_head = o.dim_head;
    bo.cross_attention_dim = o.cross_attention_dim;
    bo.attention_bias = o.attention_bias;
    bo.upcast_attention = o.upcast_attention;
    bo.dropout = o.dropout;
    for (std::int64_t i = 0; i < o.num_layers; ++i) {
      blocks_.emplace_back(bo);
      transformer_blocks->push_back(blocks_.back());
    }
    if (o.use_linear_projection) {
      proj_out_linear_ = register_module("proj_out", torch::nn::Linear(inner, o.in_channels));
    } else {
      proj_out_conv_ = register_module(
          "proj_out", PackedConv2d(torch::nn::Conv2dOptions(inner, o.in_channels, 1)));
    }
  }

  // x: [B, C, H, W]; context: [B, M, cross_attention_dim]. Returns [B, C, H, W].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& context) {
    const auto b = x.size(0), c = x.size(1), hgt = x.size(2), wid = x.size(3);
    const auto inner = options.heads * options.dim_head;
    auto h = norm(x);
    if (options.use_linear_projection) {
      h = proj_in_linear_(h.permute({0, 2, 3, 1}).reshape({b, hgt * wid, c}));
    } else {
      h = proj_in_conv_(h).permute({0, 2, 3, 1}).reshape({b, hgt * wid, inner});
    }
    for (auto& block : blocks_) h = block(h, context);
    if (options.use_linear_projection) {
      h = proj_out_linear_(h).reshape({b, hgt, wid, c}).permute({0, 3, 1, 2});
    } else {
      h = proj_out_conv_(h.reshape({b, hgt, wid, inner}).permute({0, 3, 1, 2}).contiguous());
    }
    return h + x;
  }

  const std::vector<BasicTransformerBlock>& blocks() const { return blocks_; }

  Transformer2DModelOptions options;
  torch::nn::GroupNorm norm{nullptr};
  torch::nn::ModuleList transformer_blocks{nullptr};

 private:
  std::vector<BasicTransformerBlock> blocks_;
  PackedConv2d proj_in_conv_{nullptr};
  torch::nn::Linear proj_in_linear_{nullptr};
  PackedConv2d proj_out_conv_{nullptr};
  torch::nn::Linear proj_out_linear_{nullptr};
};
TORCH_MODULE(Transformer2DModel);

}  // namespace distdiff::models::nn
