#pragma once
// vae::Decoder — diffusers' VAE Decoder: conv_in from latent_channels, mid
// block, one UpDecoderBlock2D (layers_per_block + 1 resnets) per entry of
// the REVERSED block_out_channels (upsampling on all but the last),
// GroupNorm + SiLU, conv_out. [B, L, h, w] -> [B, out, h·f, w·f].
//
// With `gradient_checkpointing` (or forward(z, true)) and grad mode on, the
// mid block and every up block keep only their input for the backward pass
// and recompute their activations there (models/grad_checkpoint.hpp): same
// gradients, far less activation memory.
//
// Parameters: conv_in, mid_block, up_blocks.{i}, conv_norm_out, conv_out.
#include "distdiff/models/grad_checkpoint.hpp"
#include "distdiff/models/vae/config.hpp"
#include "distdiff/models/vae/mid_block.hpp"
#include "distdiff/models/vae/up_block.hpp"

#include <torch/torch.h>

#include "distdiff/models/nn/conv2d.hpp"

#include <cstddef>
#include <vector>

namespace distdiff::models::vae {

class DecoderImpl : public torch::nn::Module {
 public:
  explicit DecoderImpl(const VaeConfig& config) : latent_channels_(config.latent_channels) {
    config.validate();
    namespace nn = torch::nn;
    const std::vector<std::int64_t> ch(config.block_out_channels.rbegin(), config.block_out_channels.rend());
    const auto groups = config.norm_num_groups;
    const auto eps = config.norm_eps;
    conv_in = register_module(
        "conv_in", models::nn::PackedConv2d(nn::Conv2dOptions(config.latent_channels, ch.front(), 3).padding(1)));
    mid_block = register_module("mid_block", MidBlock2D(ch.front(), groups, eps));
    up_blocks = register_module("up_blocks", nn::ModuleList());
    std::int64_t out = ch.front();
    for (std::size_t i = 0; i < ch.size(); ++i) {
      const std::int64_t in = out;
      out = ch[i];
      blocks.emplace_back(in, out, config.layers_per_block + 1, /*add_upsample=*/i + 1 < ch.size(), groups,
                          eps);
      up_blocks->push_back(blocks.back());
    }
    conv_norm_out =
        register_module("conv_norm_out", nn::GroupNorm(nn::GroupNormOptions(groups, ch.back()).eps(eps)));
    conv_out = register_module(
        "conv_out", models::nn::PackedConv2d(nn::Conv2dOptions(ch.back(), config.out_channels, 3).padding(1)));
  }

  torch::Tensor forward(const torch::Tensor& z) { return forward(z, gradient_checkpointing); }

  torch::Tensor forward(const torch::Tensor& z, bool checkpointing) {
    TORCH_CHECK(z.dim() == 4 && z.size(1) == latent_channels_, "vae::Decoder: expected [B, ",
                latent_channels_, ", h, w], got ", z.sizes());
    const bool recompute = checkpointing && torch::GradMode::is_enabled();
    auto h = conv_in(z);
    h = run(mid_block, h, recompute);
    for (auto& block : blocks) h = run(block, h, recompute);
    return conv_out(torch::silu(conv_norm_out(h)));
  }

  bool gradient_checkpointing = false;

  models::nn::PackedConv2d conv_in{nullptr};
  MidBlock2D mid_block{nullptr};
  torch::nn::ModuleList up_blocks{nullptr};
  torch::nn::GroupNorm conv_norm_out{nullptr};
  models::nn::PackedConv2d conv_out{nullptr};
  std::vector<UpDecoderBlock2D> blocks;  // the modules in `up_blocks`

 private:
  // The block's holder is captured by value: the recomputation runs later,
  // during backward.
  template <class Block>
  static torch::Tensor run(const Block& block, const torch::Tensor& h, bool recompute) {
    if (!recompute) return block.ptr()->forward(h);
    return models::checkpoint(
        [block](const std::vector<torch::Tensor>& in) { return block.ptr()->forward(in[0]); }, {h});
  }

  std::int64_t latent_channels_;
};
TORCH_MODULE(Decoder);

}  // namespace distdiff::models::vae
