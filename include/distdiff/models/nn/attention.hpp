#pragma once
// Multi-head (cross-)attention as in diffusers' `Attention`/`CrossAttention`:
//
//   q = to_q(x), k = to_k(ctx), v = to_v(ctx)        (no bias by default; ctx = x for self-attention)
//   split the inner dimension heads x dim_head, softmax(q k^T / sqrt(dim_head)) v per head,
//   merge heads, out = to_out.0(.)                    (to_out.0 has a bias; to_out.1 is dropout)
//
// scaled_dot_product_attention() computes the per-head part. It uses the fused
// at::scaled_dot_product_attention when compiled against LibTorch >= 2 and the
// explicit matmul + softmax otherwise (or when asked to upcast).
#include <torch/torch.h>
#include <torch/version.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace distdiff::models::nn {

// Score elements per query block of the explicit form (8 MB in float32).
// Larger score tensors are computed block by block: a buffer this size is
// served again from the allocator's heap, while one beyond glibc's mmap
// threshold (32 MB at most) is fresh pages every time, faulted in and zeroed
// by the kernel. At 4096 tokens (SD's 64x64 latent) whole-score attention
// spends about a third of its time there (docs/performance.md). Every query's
// row is computed by the same kernels either way.
inline constexpr std::int64_t kAttentionScoreBlock = std::int64_t{1} << 21;

namespace detail {
inline torch::Tensor attention_block(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                     bool upcast, bool upcast_softmax) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  const auto dtype = q.scalar_type();
  auto qq = (upcast ? q.to(torch::kFloat32) : q) * scale;
  auto kk = upcast ? k.to(torch::kFloat32) : k;
  auto scores = torch::matmul(qq, kk.transpose(-1, -2));
  auto probs = upcast_softmax && !upcast ? torch::softmax(scores, -1, torch::kFloat32) : torch::softmax(scores, -1);
  if (upcast || upcast_softmax) probs = probs.to(dtype);
  return torch::matmul(probs, v);
}
}  // namespace detail

// The explicit form: q [..., N, d], k/v [..., M, d] -> [..., N, d], in blocks
// of queries whose scores hold at most `max_score_elements` (at least one
// query per block).
// upcast: q k^T and the softmax in float32 (diffusers' upcast_attention).
// upcast_softmax: q k^T in the inputs' dtype, the softmax in float32
// (diffusers' upcast_softmax, which its VAE attention sets).
inline torch::Tensor attention_math(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                    bool upcast = false, std::int64_t max_score_elements = kAttentionScoreBlock,
                                    bool upcast_softmax = false) {
  const auto N = q.size(-2), M = k.size(-2);
  const auto batch = q.numel() / std::max<std::int64_t>(1, N * q.size(-1));
  const auto rows = std::max<std::int64_t>(1, max_score_elements / std::max<std::int64_t>(1, batch * M));
  if (rows >= N) return detail::attention_block(q, k, v, upcast, upcast_softmax);
  // Contiguous once: the blocks' matmuls then fold [..., N, d] into a batch of
  // matrices without copying (a transposed view, as from split_heads, would be
  // copied again for every block).
  const auto qc = q.contiguous(), kc = k.contiguous(), vc = v.contiguous();
  std::vector<torch::Tensor> parts;
  for (std::int64_t start = 0; start < N; start += rows)
    parts.push_back(
        detail::attention_block(qc.narrow(-2, start, std::min(rows, N - start)), kc, vc, upcast, upcast_softmax));
  return torch::cat(parts, -2);
}

// q [B, h, N, d], k/v [B, h, M, d] -> [B, h, N, d], scale 1/sqrt(d).
inline torch::Tensor scaled_dot_product_attention(const torch::Tensor& q, const torch::Tensor& k,
                                                  const torch::Tensor& v, bool upcast = false) {
#if TORCH_VERSION_MAJOR >= 2
  if (!upcast) return at::scaled_dot_product_attention(q, k, v);
#endif
  return attention_math(q, k, v, upcast);
}

struct AttentionOptions {
  std::int64_t query_dim = 0;
  std::int64_t cross_attention_dim = 0;   // 0: self-attention (keys/values from the queries' input)
  std::int64_t heads = 8;
  std::int64_t dim_head = 64;
  bool bias = false;                      // bias of to_q/to_k/to_v
  bool upcast_attention = false;
  double dropout = 0.0;
};

class AttentionImpl : public torch::nn::Module {
 public:
  explicit AttentionImpl(const AttentionOptions& o) : options(o) {
    if (o.query_dim <= 0 || o.heads <= 0 || o.dim_head <= 0)
      throw std::invalid_argument("Attention: query_dim, heads and dim_head must be positive");
    const auto inner = o.heads * o.dim_head;
    const auto kv_dim = o.cross_attention_dim > 0 ? o.cross_attention_dim : o.query_dim;
    to_q = register_module("to_q", torch::nn::Linear(torch::nn::LinearOptions(o.query_dim, inner).bias(o.bias)));
    to_k = register_module("to_k", torch::nn::Linear(torch::nn::LinearOptions(kv_dim, inner).bias(o.bias)));
    to_v = register_module("to_v", torch::nn::Linear(torch::nn::LinearOptions(kv_dim, inner).bias(o.bias)));
    to_out = register_module("to_out", torch::nn::ModuleList());
    to_out->push_back(torch::nn::Linear(torch::nn::LinearOptions(inner, o.query_dim).bias(true)));
    to_out->push_back(torch::nn::Dropout(o.dropout));
    out_proj_ = to_out->ptr<torch::nn::LinearImpl>(0);
    out_dropout_ = to_out->ptr<torch::nn::DropoutImpl>(1);
  }

  // x: [B, N, query_dim]; context: [B, M, cross_attention_dim] or undefined
  // (self-attention). Returns [B, N, query_dim].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& context = {}) {
    const auto& ctx = context.defined() ? context : x;
    const auto expected = options.cross_attention_dim > 0 ? options.cross_attention_dim : options.query_dim;
    if (ctx.dim() != 3 || ctx.size(-1) != expected)
      throw std::invalid_argument("Attention: context must be [B, M, " + std::to_string(expected) +
                                  "], got " + std::to_string(ctx.dim()) + "-D with last size " +
                                  std::to_string(ctx.dim() > 0 ? ctx.size(-1) : 0));
    auto q = split_heads(to_q(x));
    auto k = split_heads(to_k(ctx));
    auto v = split_heads(to_v(ctx));
    auto o = scaled_dot_product_attention(q, k, v, options.upcast_attention);
    o = o.transpose(1, 2).reshape({x.size(0), x.size(1), options.heads * options.dim_head});
    return out_dropout_->forward(out_proj_->forward(o));
  }

  // [B, N, heads * dim_head] -> [B, heads, N, dim_head]
  torch::Tensor split_heads(const torch::Tensor& t) const {
    return t.reshape({t.size(0), t.size(1), options.heads, options.dim_head}).transpose(1, 2);
  }

  AttentionOptions options;
  torch::nn::Linear to_q{nullptr};
  torch::nn::Linear to_k{nullptr};
  torch::nn::Linear to_v{nullptr};
  torch::nn::ModuleList to_out{nullptr};

 private:
  std::shared_ptr<torch::nn::LinearImpl> out_proj_;
  std::shared_ptr<torch::nn::DropoutImpl> out_dropout_;
};
TORCH_MODULE(Attention);

}  // namespace distdiff::models::nn
