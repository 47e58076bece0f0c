#pragma once
// ResnetBlock2D with a time-embedding input, parameter names as in diffusers:
//
//   h = conv1(silu(norm1(x)))
//   h = h + time_emb_proj(silu(temb))[:, :, None, None]        (when temb_channels > 0)
//   h = conv2(dropout(silu(norm2(h))))
//   out = (conv_shortcut(x) or x + h) / output_scale_factor
//
// norm1/norm2: GroupNorm(groups, eps, affine); conv1/conv2: 3x3, padding 1;
// conv_shortcut: 1x1, only when the channel count changes.
#include <torch/torch.h>

#include "distdiff/models/nn/conv2d.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>

namespace distdiff::models::nn {

struct ResnetBlock2DOptions {
  std::int64_t in_channels = 0;
  std::int64_t out_channels = 0;     // 0: same as in_channels
  std::int64_t temb_channels = 0;    // 0: no time embedding (no time_emb_proj)
  std::int64_t groups = 32;
  double eps = 1e-5;
  double dropout = 0.0;
  double output_scale_factor = 1.0;
};

// GroupNorm(groups, channels, eps) with affine parameters; throws when the
// channel count is not a multiple of the group count.
inline torch::nn::GroupNorm group_norm(std::int64_t groups, std::int64_t channels, double eps,
                                       const std::string& where) {
  if (groups <= 0 || channels % groups != 0)
    throw std::invalid_argument(where + ": " + std::to_string(channels) +
                                " channels are not divisible into " + std::to_string(groups) +
                                " groups");
  return torch::nn::GroupNorm(torch::nn::GroupNormOptions(groups, channels).eps(eps).affine(true));
}

class ResnetBlock2DImpl : public torch::nn::Module {
 public:
  explicit ResnetBlock2DImpl(const ResnetBlock2DOptions& o) : options(o) {
    if (o.in_channels <= 0) throw std::invalid_argument("ResnetBlock2D: in_channels must be positive");
    if (options.out_channels <= 0) options.out_channels = o.in_channels;
    const auto in = options.in_channels;
    const auto out = options.out_channels;
    norm1 = register_module("norm1", group_norm(o.groups, in, o.eps, "ResnetBlock2D.norm1"));
    conv1 = register_module("conv1",
                            PackedConv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1)));
    if (o.temb_channels > 0)
      time_emb_proj = register_module("time_emb_proj", torch::nn::Linear(o.temb_channels, out));
    norm2 = register_module("norm2", group_norm(o.groups, out, o.eps, "ResnetBlock2D.norm2"));
    dropout = register_module("dropout", torch::nn::Dropout(o.dropout));
    conv2 = register_module("conv2",
                            PackedConv2d(torch::nn::Conv2dOptions(out, out, 3).padding(1)));
    if (in != out)
      conv_shortcut =
          register_module("conv_shortcut", PackedConv2d(torch::nn::Conv2dOptions(in, out, 1)));
  }

  // x: [B, in, H, W]; temb: [B, temb_channels] (undefined when temb_channels == 0).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& temb = {}) {
    auto h = conv1(torch::silu(norm1(x)));
    if (!time_emb_proj.is_empty()) {
      if (!temb.defined())
        throw std::invalid_argument("ResnetBlock2D: this block needs a time embedding");
      h = h + time_emb_proj(torch::silu(temb)).unsqueeze(-1).unsqueeze(-1);
    }
    h = conv2(dropout(torch::silu(norm2(h))));
    auto skip = conv_shortcut.is_empty() ? x : conv_shortcut(x);
    auto out = skip + h;
    if (options.output_scale_factor != 1.0) out = out / options.output_scale_factor;
    return out;
  }

  ResnetBlock2DOptions options;
  torch::nn::GroupNorm norm1{nullptr};
  PackedConv2d conv1{nullptr};
  torch::nn::Linear time_emb_proj{nullptr};
  torch::nn::GroupNorm norm2{nullptr};
  torch::nn::Dropout dropout{nullptr};
  PackedConv2d conv2{nullptr};
  PackedConv2d conv_shortcut{nullptr};
};
TORCH_MODULE(ResnetBlock2D);

}  // namespace distdiff::models::nn
