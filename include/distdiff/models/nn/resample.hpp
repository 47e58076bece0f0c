#pragma once
// Spatial down/up-sampling layers of the diffusers UNet (parameter names `conv.*`).
//
//   Downsample2D: conv 3x3, stride 2, padding `padding` (padding 0 pads right/bottom
//                 by one first, as diffusers does).
//   Upsample2D:   nearest-neighbour x2 (or to an explicit output size), then conv 3x3.
#include <torch/torch.h>

#include "distdiff/models/nn/conv2d.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace distdiff::models::nn {

class Downsample2DImpl : public torch::nn::Module {
 public:
  Downsample2DImpl(std::int64_t channels, std::int64_t out_channels, std::int64_t padding = 1)
      : padding(padding),
        conv(register_module("conv", PackedConv2d(torch::nn::Conv2dOptions(
                                                          channels, out_channels, 3)
                                                          .stride(2)
                                                          .padding(padding)))) {}

  torch::Tensor forward(const torch::Tensor& x) {
    if (padding == 0) return conv(torch::constant_pad_nd(x, {0, 1, 0, 1}, 0.0));
    return conv(x);
  }

  std::int64_t padding;
  PackedConv2d conv;
};
TORCH_MODULE(Downsample2D);

class Upsample2DImpl : public torch::nn::Module {
 public:
  Upsample2DImpl(std::int64_t channels, std::int64_t out_channels)
      : conv(register_module("conv", PackedConv2d(torch::nn::Conv2dOptions(
                                                          channels, out_channels, 3)
                                                          .padding(1)))) {}

  // output_size: the (H, W) to reach; nearest x2 when absent. Nearest-neighbour
  // resampling runs in float32 for bfloat16 inputs, as in diffusers.
  torch::Tensor forward(const torch::Tensor& x,
                        const std::optional<std::vector<std::int64_t>>& output_size = std::nullopt) {
    const auto dtype = x.scalar_type();
    auto h = dtype == torch::kBFloat16 ? x.to(torch::kFloat32) : x;
    namespace F = torch::nn::functional;
    auto opts = F::InterpolateFuncOptions().mode(torch::kNearest);
    if (output_size)
      opts.size(*output_size);
    else
      opts.scale_factor(std::vector<double>{2.0, 2.0});
    h = F::interpolate(h, opts);
    if (dtype == torch::kBFloat16) h = h.to(dtype);
    return conv(h);
  }

  PackedConv2d conv;
};
TORCH_MODULE(Upsample2D);

}  // namespace distdiff::models::nn
