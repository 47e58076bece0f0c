#pragma once
// vae::Attention — the VAE mid block's self-attention (diffusers `Attention`
// built from the former AttentionBlock): GroupNorm over channels, one head
// spanning all C channels, Linear q/k/v/out with bias, softmax in fp32,
// residual connection, output rescale 1:
//
//   h   = GroupNorm(x) viewed as [B, HW, C]
//   out = to_out.0( softmax(q kᵀ / √C) v ) viewed back as [B, C, H, W] + x
//
// Parameters: group_norm, to_q, to_k, to_v, to_out.0 (weights [C, C]).
// Older diffusers files name them query/key/value/proj_attn:
// see vae/legacy_names.hpp.
#include <torch/torch.h>
#include <torch/version.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "distdiff/models/nn/attention.hpp"

namespace distdiff::models::vae {

class AttentionImpl : public torch::nn::Module {
 public:
  // Above this many attention-score elements, the reference path processes
  // the queries in slices (same result): the UNet's block size, which keeps
  // the score buffers in the allocator's heap (nn::kAttentionScoreBlock).
  static constexpr std::int64_t kMaxScoreElements = models::nn::kAttentionScoreBlock;

  AttentionImpl(std::int64_t channels, std::int64_t groups, double eps = 1e-6) : channels_(channels) {
    if (channels < 1 || groups < 1 || channels % groups != 0)
      throw std::invalid_argument("vae::Attention: channels " + std::to_string(channels) +
                                  " must be a positive multiple of the group count " +
                                  std::to_string(groups));
    namespace nn = torch::nn;
    group_norm =
        register_module("group_norm", nn::GroupNorm(nn::GroupNormOptions(groups, channels).eps(eps)));
    to_q = register_module("to_q", nn::Linear(channels, channels));
    to_k = register_module("to_k", nn::Linear(channels, channels));
    to_v = register_module("to_v", nn::Linear(channels, channels));
    out_proj = nn::Linear(channels, channels);
    to_out = register_module("to_out", nn::ModuleList());
    to_out->push_back(out_proj);
  }

  // x: [B, C, H, W] -> [B, C, H, W]
  torch::Tensor forward(const torch::Tensor& x) {
    TORCH_CHECK(x.dim() == 4 && x.size(1) == channels_, "vae::Attention: expected [B, ", channels_,
                ", H, W], got ", x.sizes());
    const auto B = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
    auto h = group_norm(x).reshape({B, C, H * W}).transpose(1, 2);  // [B, N, C]
    auto o = attend(to_q(h), to_k(h), to_v(h));
    o = out_proj(o);
    return o.transpose(1, 2).reshape({B, C, H, W}) + x;
  }

  // softmax(q kᵀ / √C) v for q, k, v: [B, N, C], one head.
  static torch::Tensor attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
#if TORCH_VERSION_MAJOR >= 2
    return at::scaled_dot_product_attention(q.unsqueeze(1), k.unsqueeze(1), v.unsqueeze(1)).squeeze(1);
#else
    return attend_reference(q, k, v);
#endif
  }

  // The explicit computation (used by LibTorch 1.x): scores in blocks of
  // queries (nn::attention_math), softmax upcast to fp32 for half-precision
  // inputs as in diffusers' VAE attention.
  static torch::Tensor attend_reference(const torch::Tensor& q, const torch::Tensor& k,
                                        const torch::Tensor& v,
                                        std::int64_t max_score_elements = kMaxScoreElements) {
    const bool half = q.scalar_type() == torch::kHalf || q.scalar_type() == torch::kBFloat16;
    return models::nn::attention_math(q, k, v, /*upcast=*/false, max_score_elements, /*upcast_softmax=*/half);
  }

  std::int64_t channels() const { return channels_; }

  torch::nn::GroupNorm group_norm{nullptr};
  torch::nn::Linear to_q{nullptr}, to_k{nullptr}, to_v{nullptr};
  torch::nn::ModuleList to_out{nullptr};  // to_out.0: the output projection
  torch::nn::Linear out_proj{nullptr};    // the same module as to_out[0]

 private:
  std::int64_t channels_;
};
TORCH_MODULE(Attention);

}  // namespace distdiff::models::vae
