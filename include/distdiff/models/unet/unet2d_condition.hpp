#pragma once
// Stable Diffusion's noise-prediction network: diffusers' UNet2DConditionModel,
// with its parameter names, so `unet/diffusion_pytorch_model.safetensors` loads by name.
//
//   UNet2DConditionModel unet(UNetConfig::sd_v1_4());
//   auto eps = unet(latents /*[B,4,h,w]*/, timesteps /*[B] or scalar*/, text /*[B,77,768]*/);
//
// Layout (names as in the state dict):
//   conv_in; time_proj (sinusoidal, no parameters); time_embedding.linear_1/linear_2;
//   down_blocks.i (CrossAttnDownBlock2D / DownBlock2D); mid_block (UNetMidBlock2DCrossAttn);
//   up_blocks.i (UpBlock2D / CrossAttnUpBlock2D); conv_norm_out; conv_out.
// Latent sides need not be multiples of 2^(blocks-1): each upsampler then targets
// the size of the skip connection it meets next, as diffusers does.
#include <torch/torch.h>

#include "distdiff/models/nn/conv2d.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "distdiff/models/nn/timestep_embedding.hpp"
#include "distdiff/models/unet/blocks.hpp"
#include "distdiff/models/unet/config.hpp"

namespace distdiff::models {

class UNet2DConditionModelImpl : public torch::nn::Module {
 public:
  explicit UNet2DConditionModelImpl(UNetConfig cfg) : config(std::move(cfg)) {
    config.validate();
    const auto& ch = config.block_out_channels;
    const auto n = ch.size();
    const auto temb = config.time_embed_dim();

    conv_in = register_module(
        "conv_in", models::nn::PackedConv2d(torch::nn::Conv2dOptions(config.in_channels, ch[0], config.conv_in_kernel)
                                         .padding((config.conv_in_kernel - 1) / 2)));
    time_embedding = register_module("time_embedding", nn::TimestepEmbedding(ch[0], temb));

    auto base = [&] {
      UNetBlockOptions o;
      o.temb_channels = temb;
      o.groups = config.norm_num_groups;
      o.eps = config.norm_eps;
      o.downsample_padding = config.downsample_padding;
      o.transformer_layers = config.transformer_layers_per_block;
      o.cross_attention_dim = config.cross_attention_dim;
      o.use_linear_projection = config.use_linear_projection;
      o.upcast_attention = config.upcast_attention;
      return o;
    };

    down_blocks = register_module("down_blocks", torch::nn::ModuleList());
    std::int64_t output_channel = ch[0];
    for (std::size_t i = 0; i < n; ++i) {
      auto o = base();
      o.in_channels = output_channel;
      output_channel = ch[i];
      o.out_channels = output_channel;
      o.layers = config.layers_per_block;
      o.add_resample = i + 1 < n;
      o.heads = config.heads(i);
      auto block = std::make_shared<DownBlock2DImpl>(o, config.down_block_types[i] == "CrossAttnDownBlock2D");
      down_list.push_back(block);
      down_blocks->push_back(block);
    }

    {
      auto o = base();
      o.in_channels = ch[n - 1];
      o.out_channels = ch[n - 1];
      o.layers = 1;
      o.output_scale_factor = config.mid_block_scale_factor;
      o.heads = config.heads(n - 1);
      mid_block = register_module("mid_block", UNetMidBlock2DCrossAttn(o));
    }

    up_blocks = register_module("up_blocks", torch::nn::ModuleList());
    output_channel = ch[n - 1];
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t rev = n - 1 - i;   // index into block_out_channels / heads
      auto o = base();
      o.prev_output_channels = output_channel;
      output_channel = ch[rev];
      o.out_channels = output_channel;
      o.in_channels = ch[rev == 0 ? 0 : rev - 1];
      o.layers = config.layers_per_block + 1;
      o.add_resample = i + 1 < n;
      o.heads = config.heads(rev);
      auto block = std::make_shared<UpBlock2DImpl>(o, config.up_block_types[i] == "CrossAttnUpBlock2D");
      up_list.push_back(block);
      up_blocks->push_back(block);
    }

    conv_norm_out = register_module(
        "conv_norm_out", nn::group_norm(config.norm_num_groups, ch[0], config.norm_eps, "UNet.conv_norm_out"));
    conv_out = register_module(
        "conv_out", models::nn::PackedConv2d(torch::nn::Conv2dOptions(ch[0], config.out_channels, config.conv_out_kernel)
                                          .padding((config.conv_out_kernel - 1) / 2)));
  }

  // The sinusoidal `time_proj` of diffusers for timesteps [B]: [B, block_out_channels[0]], float32.
  torch::Tensor time_proj(const torch::Tensor& timesteps) const {
    return nn::timestep_embedding(timesteps, config.block_out_channels[0], config.flip_sin_to_cos,
                                  config.freq_shift);
  }

  // sample: [B, in_channels, h, w]; timesteps: [B] or a scalar (any numeric dtype);
  // encoder_hidden_states: [B, L, cross_attention_dim]. Returns [B, out_channels, h, w].
  torch::Tensor forward(const torch::Tensor& sample, const torch::Tensor& timesteps,
                        const torch::Tensor& encoder_hidden_states) {
    if (sample.dim() != 4 || sample.size(1) != config.in_channels)
      throw std::invalid_argument("UNet2DConditionModel: sample must be [B, " +
                                  std::to_string(config.in_channels) + ", h, w], got " +
                                  std::to_string(sample.dim()) + "-D");
    const auto batch = sample.size(0);
    if (encoder_hidden_states.dim() != 3 || encoder_hidden_states.size(0) != batch ||
        encoder_hidden_states.size(2) != config.cross_attention_dim)
      throw std::invalid_argument("UNet2DConditionModel: encoder_hidden_states must be [" +
                                  std::to_string(batch) + ", L, " +
                                  std::to_string(config.cross_attention_dim) + "]");
    auto t = timesteps.to(sample.device());
    if (t.dim() == 0) t = t.expand({batch});
    if (t.dim() != 1 || t.size(0) != batch)
      throw std::invalid_argument("UNet2DConditionModel: timesteps must be a scalar or [" +
                                  std::to_string(batch) + "]");

    auto emb = time_embedding(time_proj(t).to(sample.scalar_type()));
    auto h = config.center_input_sample ? sample * 2.0 - 1.0 : sample;
    h = conv_in(h);

    std::vector<torch::Tensor> skips{h};
    for (auto& block : down_list) {
      auto out = block->forward(h, emb, encoder_hidden_states, gradient_checkpointing);
      h = out.hidden;
      for (auto& s : out.skips) skips.push_back(std::move(s));
    }
    h = mid_block(h, emb, encoder_hidden_states, gradient_checkpointing);

    for (std::size_t i = 0; i < up_list.size(); ++i) {
      const auto take = static_cast<std::size_t>(config.layers_per_block + 1);
      std::vector<torch::Tensor> block_skips(skips.end() - static_cast<std::ptrdiff_t>(take), skips.end());
      skips.resize(skips.size() - take);
      std::optional<std::vector<std::int64_t>> upsample_size;
      if (i + 1 < up_list.size()) upsample_size = std::vector<std::int64_t>{skips.back().size(2), skips.back().size(3)};
      h = up_list[i]->forward(h, block_skips, emb, encoder_hidden_states, upsample_size, gradient_checkpointing);
    }
    return conv_out(torch::silu(conv_norm_out(h)));
  }

  // Number of parameters (elements), e.g. 859,520,964 for SD v1.x.
  std::int64_t num_parameters() const {
    std::int64_t total = 0;
    for (const auto& p : parameters()) total += p.numel();
    return total;
  }

  UNetConfig config;
  // Recompute each resnet's and transformer's activations in the backward pass
  // (only while grad mode is on): less memory, one more forward's worth of time.
  bool gradient_checkpointing = false;

  models::nn::PackedConv2d conv_in{nullptr};
  nn::TimestepEmbedding time_embedding{nullptr};
  torch::nn::ModuleList down_blocks{nullptr};
  UNetMidBlock2DCrossAttn mid_block{nullptr};
  torch::nn::ModuleList up_blocks{nullptr};
  torch::nn::GroupNorm conv_norm_out{nullptr};
  models::nn::PackedConv2d conv_out{nullptr};

  std::vector<std::shared_ptr<UNetDownBlock>> down_list;
  std::vector<std::shared_ptr<UNetUpBlock>> up_list;
};
TORCH_MODULE(UNet2DConditionModel);

}  // namespace distdiff::models
