#pragma once
// vae::Upsample2D — the VAE decoder's upsampler (diffusers Upsample2D with a
// convolution): nearest-neighbour ×2, then a 3×3 convolution with padding 1.
// [B, C, H, W] -> [B, C, 2H, 2W]. bf16 inputs are interpolated in fp32, as
// diffusers does.
//
// Parameters: conv.
#include <torch/torch.h>

#include "distdiff/models/nn/conv2d.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace distdiff::models::vae {

class Upsample2DImpl : public torch::nn::Module {
 public:
  explicit Upsample2DImpl(std::int64_t channels) : channels_(channels) {
    if (channels < 1)
      throw std::invalid_argument("vae::Upsample2D: channels must be positive, got " +
                                  std::to_string(channels));
    conv = register_module(
        "conv", models::nn::PackedConv2d(torch::nn::Conv2dOptions(channels, channels, 3).padding(1)));
  }

  torch::Tensor forward(const torch::Tensor& x) {
    TORCH_CHECK(x.dim() == 4 && x.size(1) == channels_, "vae::Upsample2D: expected [B, ", channels_,
                ", H, W], got ", x.sizes());
    namespace F = torch::nn::functional;
    const bool upcast = x.scalar_type() == torch::kBFloat16;
    auto h = upcast ? x.to(torch::kFloat32) : x;
    h = F::interpolate(h, F::InterpolateFuncOptions()
                              .size(std::vector<std::int64_t>{2 * x.size(2), 2 * x.size(3)})
                              .mode(torch::kNearest));
    if (upcast) h = h.to(x.scalar_type());
    return conv(h);
  }

  models::nn::PackedConv2d conv{nullptr};

 private:
  std::int64_t channels_;
};
TORCH_MODULE(Upsample2D);

}  // namespace distdiff::models::vae
