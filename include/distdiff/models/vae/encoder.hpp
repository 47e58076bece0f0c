#pragma once
// vae::Encoder — diffusers' VAE Encoder: conv_in, one DownEncoderBlock2D per
// entry of block_out_channels (downsampling on all but the last), mid block,
// GroupNorm + SiLU, conv_out to 2·latent_channels moments (mean, logvar).
// [B, in, H, W] -> [B, 2L, H/f, W/f], f = 2^(levels-1).
//
// Parameters: conv_in, down_blocks.{i}, mid_block, conv_norm_out, conv_out.
#include "distdiff/models/vae/config.hpp"
#include "distdiff/models/vae/down_block.hpp"
#include "distdiff/models/vae/mid_block.hpp"

#include <torch/torch.h>

#include "distdiff/models/nn/conv2d.hpp"

#include <cstddef>
#include <vector>

namespace distdiff::models::vae {

class EncoderImpl : public torch::nn::Module {
 public:
  explicit EncoderImpl(const VaeConfig& config) : in_channels_(config.in_channels) {
    config.validate();
    namespace nn = torch::nn;
    const auto& ch = config.block_out_channels;
    const auto groups = config.norm_num_groups;
    const auto eps = config.norm_eps;
    conv_in = register_module("conv_in",
                              models::nn::PackedConv2d(nn::Conv2dOptions(config.in_channels, ch.front(), 3).padding(1)));
    down_blocks = register_module("down_blocks", nn::ModuleList());
    std::int64_t out = ch.front();
    for (std::size_t i = 0; i < ch.size(); ++i) {
      const std::int64_t in = out;
      out = ch[i];
      blocks.emplace_back(in, out, config.layers_per_block, /*add_downsample=*/i + 1 < ch.size(), groups,
                          eps);
      down_blocks->push_back(blocks.back());
    }
    mid_block = register_module("mid_block", MidBlock2D(ch.back(), groups, eps));
    conv_norm_out =
        register_module("conv_norm_out", nn::GroupNorm(nn::GroupNormOptions(groups, ch.back()).eps(eps)));
    conv_out = register_module(
        "conv_out", models::nn::PackedConv2d(nn::Conv2dOptions(ch.back(), 2 * config.latent_channels, 3).padding(1)));
  }

  torch::Tensor forward(const torch::Tensor& images) {
    TORCH_CHECK(images.dim() == 4 && images.size(1) == in_channels_, "vae::Encoder: expected [B, ",
                in_channels_, ", H, W], got ", images.sizes());
    auto h = conv_in(images);
    for (auto& block : blocks) h = block->forward(h);
    h = mid_block->forward(h);
    return conv_out(torch::silu(conv_norm_out(h)));
  }

  models::nn::PackedConv2d conv_in{nullptr};
  torch::nn::ModuleList down_blocks{nullptr};
  MidBlock2D mid_block{nullptr};
  torch::nn::GroupNorm conv_norm_out{nullptr};
  models::nn::PackedConv2d conv_out{nullptr};
  std::vector<DownEncoderBlock2D> blocks;  // the modules in `down_blocks`

 private:
  std::int64_t in_channels_;
};
TORCH_MODULE(Encoder);

}  // namespace distdiff::models::vae
