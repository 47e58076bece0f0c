#pragma once
// The down, mid and up blocks of diffusers' UNet2DConditionModel, with the same
// parameter names (resnets.*, attentions.*, downsamplers.0.conv, upsamplers.0.conv):
//
//   CrossAttnDownBlock2D  resnet -> transformer, `layers` times, then downsampler
//   DownBlock2D           resnet, `layers` times, then downsampler
//   UNetMidBlock2DCrossAttn resnet -> (transformer -> resnet), `layers` times
//   UpBlock2D             (concat skip -> resnet), `layers + 1` times, then upsampler
//   CrossAttnUpBlock2D    (concat skip -> resnet -> transformer), `layers + 1` times, then upsampler
//
// A down block returns its output and one skip tensor per layer (plus the
// downsampler's output); an up block takes skips from the back of that list,
// concatenating [hidden, skip] along channels as diffusers does.
//
// With `checkpointing` set and grad mode on, every resnet and every transformer
// (Transformer2DModel) runs through models::checkpoint(): its activations are
// recomputed in the backward pass instead of being stored.
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "distdiff/models/grad_checkpoint.hpp"
#include "distdiff/models/nn/resample.hpp"
#include "distdiff/models/nn/resnet_block.hpp"
#include "distdiff/models/nn/transformer.hpp"

namespace distdiff::models {

// Sizes shared by every block of one UNet.
struct UNetBlockOptions {
  std::int64_t in_channels = 0;
  std::int64_t out_channels = 0;
  std::int64_t prev_output_channels = 0;   // up blocks: channels arriving from the block below
  std::int64_t temb_channels = 0;
  std::int64_t layers = 1;
  std::int64_t groups = 32;
  double eps = 1e-5;
  double output_scale_factor = 1.0;        // mid block resnets
  bool add_resample = true;                // downsampler / upsampler
  std::int64_t downsample_padding = 1;
  std::int64_t heads = 8;                  // attention heads (diffusers' attention_head_dim)
  std::int64_t transformer_layers = 1;
  std::int64_t cross_attention_dim = 768;
  bool use_linear_projection = false;
  bool upcast_attention = false;
};

}  // namespace distdiff::models

namespace distdiff::detail {

inline models::nn::ResnetBlock2D unet_resnet(const models::UNetBlockOptions& o, std::int64_t in,
                                             std::int64_t out) {
  models::nn::ResnetBlock2DOptions r;
  r.in_channels = in;
  r.out_channels = out;
  r.temb_channels = o.temb_channels;
  r.groups = o.groups;
  r.eps = o.eps;
  r.output_scale_factor = o.output_scale_factor;
  return models::nn::ResnetBlock2D(r);
}

inline models::nn::Transformer2DModel unet_transformer(const models::UNetBlockOptions& o,
                                                       std::int64_t channels) {
  models::nn::Transformer2DModelOptions t;
  t.in_channels = channels;
  t.heads = o.heads;
  t.dim_head = channels / o.heads;
  t.num_layers = o.transformer_layers;
  t.cross_attention_dim = o.cross_attention_dim;
  t.norm_num_groups = o.groups;
  t.use_linear_projection = o.use_linear_projection;
  t.upcast_attention = o.upcast_attention;
  return models::nn::Transformer2DModel(t);
}

// resnet(x, temb), checkpointed when asked and grad mode is on. The module
// handle is captured by value: the backward pass may run the function again.
inline torch::Tensor run_resnet(const models::nn::ResnetBlock2D& resnet, const torch::Tensor& x,
                                const torch::Tensor& temb, bool checkpointing) {
  if (checkpointing && models::checkpointing_active()) {
    return models::checkpoint(
        [m = resnet.ptr()](const std::vector<torch::Tensor>& in) { return m->forward(in[0], in[1]); },
        {x, temb});
  }
  return resnet.ptr()->forward(x, temb);
}

inline torch::Tensor run_transformer(const models::nn::Transformer2DModel& attn,
                                     const torch::Tensor& x, const torch::Tensor& context,
                                     bool checkpointing) {
  if (checkpointing && models::checkpointing_active()) {
    return models::checkpoint(
        [m = attn.ptr()](const std::vector<torch::Tensor>& in) { return m->forward(in[0], in[1]); },
        {x, context});
  }
  return attn.ptr()->forward(x, context);
}

}  // namespace distdiff::detail

namespace distdiff::models {

struct DownBlockOutput {
  torch::Tensor hidden;
  std::vector<torch::Tensor> skips;   // one per layer, plus the downsampler's output
};

// Common interface of the down blocks (the UNet holds them in one list).
class UNetDownBlock : public torch::nn::Module {
 public:
  virtual DownBlockOutput forward(const torch::Tensor& x, const torch::Tensor& temb,
                                  const torch::Tensor& context, bool checkpointing) = 0;
};

// Common interface of the up blocks. `skips` is consumed from its back.
class UNetUpBlock : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& x, std::vector<torch::Tensor>& skips,
                                const torch::Tensor& temb, const torch::Tensor& context,
                                const std::optional<std::vector<std::int64_t>>& upsample_size,
                                bool checkpointing) = 0;
};

// CrossAttnDownBlock2D (with_attention) or DownBlock2D.
class DownBlock2DImpl : public UNetDownBlock {
 public:
  DownBlock2DImpl(const UNetBlockOptions& o, bool with_attention) : options(o) {
    resnets = register_module("resnets", torch::nn::ModuleList());
    if (with_attention) attentions = register_module("attentions", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < o.layers; ++i) {
      resnet_list.push_back(distdiff::detail::unet_resnet(o, i == 0 ? o.in_channels : o.out_channels, o.out_channels));
      resnets->push_back(resnet_list.back());
      if (with_attention) {
        attention_list.push_back(distdiff::detail::unet_transformer(o, o.out_channels));
        attentions->push_back(attention_list.back());
      }
    }
    if (o.add_resample) {
      downsamplers = register_module("downsamplers", torch::nn::ModuleList());
      downsampler = nn::Downsample2D(o.out_channels, o.out_channels, o.downsample_padding);
      downsamplers->push_back(downsampler);
    }
  }

  DownBlockOutput forward(const torch::Tensor& x, const torch::Tensor& temb,
                          const torch::Tensor& context, bool checkpointing) override {
    DownBlockOutput out;
    auto h = x;
    for (std::size_t i = 0; i < resnet_list.size(); ++i) {
      h = distdiff::detail::run_resnet(resnet_list[i], h, temb, checkpointing);
      if (!attention_list.empty()) h = distdiff::detail::run_transformer(attention_list[i], h, context, checkpointing);
      out.skips.push_back(h);
    }
    if (!downsampler.is_empty()) {
      h = downsampler(h);
      out.skips.push_back(h);
    }
    out.hidden = h;
    return out;
  }

  UNetBlockOptions options;
  torch::nn::ModuleList resnets{nullptr};
  torch::nn::ModuleList attentions{nullptr};
  torch::nn::ModuleList downsamplers{nullptr};
  std::vector<nn::ResnetBlock2D> resnet_list;
  std::vector<nn::Transformer2DModel> attention_list;
  nn::Downsample2D downsampler{nullptr};
};

// UNetMidBlock2DCrossAttn: resnets.0, then (attentions.i, resnets.i+1) for i < layers.
class UNetMidBlock2DCrossAttnImpl : public torch::nn::Module {
 public:
  explicit UNetMidBlock2DCrossAttnImpl(const UNetBlockOptions& o) : options(o) {
    resnets = register_module("resnets", torch::nn::ModuleList());
    attentions = register_module("attentions", torch::nn::ModuleList());
    resnet_list.push_back(distdiff::detail::unet_resnet(o, o.in_channels, o.in_channels));
    resnets->push_back(resnet_list.back());
    for (std::int64_t i = 0; i < o.layers; ++i) {
      attention_list.push_back(distdiff::detail::unet_transformer(o, o.in_channels));
      attentions->push_back(attention_list.back());
      resnet_list.push_back(distdiff::detail::unet_resnet(o, o.in_channels, o.in_channels));
      resnets->push_back(resnet_list.back());
    }
  }

  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& temb,
                        const torch::Tensor& context, bool checkpointing) {
    auto h = distdiff::detail::run_resnet(resnet_list[0], x, temb, checkpointing);
    for (std::size_t i = 0; i < attention_list.size(); ++i) {
      h = distdiff::detail::run_transformer(attention_list[i], h, context, checkpointing);
      h = distdiff::detail::run_resnet(resnet_list[i + 1], h, temb, checkpointing);
    }
    return h;
  }

  UNetBlockOptions options;
  torch::nn::ModuleList resnets{nullptr};
  torch::nn::ModuleList attentions{nullptr};
  std::vector<nn::ResnetBlock2D> resnet_list;
  std::vector<nn::Transformer2DModel> attention_list;
};
TORCH_MODULE(UNetMidBlock2DCrossAttn);

// CrossAttnUpBlock2D (with_attention) or UpBlock2D. Layer i's resnet sees
// (i == 0 ? prev_output_channels : out_channels) + (last layer ? in_channels : out_channels).
class UpBlock2DImpl : public UNetUpBlock {
 public:
  UpBlock2DImpl(const UNetBlockOptions& o, bool with_attention) : options(o) {
    resnets = register_module("resnets", torch::nn::ModuleList());
    if (with_attention) attentions = register_module("attentions", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < o.layers; ++i) {
      const auto skip_channels = (i == o.layers - 1) ? o.in_channels : o.out_channels;
      const auto resnet_in = (i == 0) ? o.prev_output_channels : o.out_channels;
      resnet_list.push_back(distdiff::detail::unet_resnet(o, resnet_in + skip_channels, o.out_channels));
      resnets->push_back(resnet_list.back());
      if (with_attention) {
        attention_list.push_back(distdiff::detail::unet_transformer(o, o.out_channels));
        attentions->push_back(attention_list.back());
      }
    }
    if (o.add_resample) {
      upsamplers = register_module("upsamplers", torch::nn::ModuleList());
      upsampler = nn::Upsample2D(o.out_channels, o.out_channels);
      upsamplers->push_back(upsampler);
    }
  }

  torch::Tensor forward(const torch::Tensor& x, std::vector<torch::Tensor>& skips,
                        const torch::Tensor& temb, const torch::Tensor& context,
                        const std::optional<std::vector<std::int64_t>>& upsample_size,
                        bool checkpointing) override {
    auto h = x;
    for (std::size_t i = 0; i < resnet_list.size(); ++i) {
      if (skips.empty()) throw std::logic_error("UpBlock2D: ran out of skip connections");
      h = torch::cat({h, skips.back()}, 1);
      skips.pop_back();
      h = distdiff::detail::run_resnet(resnet_list[i], h, temb, checkpointing);
      if (!attention_list.empty()) h = distdiff::detail::run_transformer(attention_list[i], h, context, checkpointing);
    }
    if (!upsampler.is_empty()) h = upsampler(h, upsample_size);
    return h;
  }

  UNetBlockOptions options;
  torch::nn::ModuleList resnets{nullptr};
  torch::nn::ModuleList attentions{nullptr};
  torch::nn::ModuleList upsamplers{nullptr};
  std::vector<nn::ResnetBlock2D> resnet_list;
  std::vector<nn::Transformer2DModel> attention_list;
  nn::Upsample2D upsampler{nullptr};
};

}  // namespace distdiff::models
