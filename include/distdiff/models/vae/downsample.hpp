#pragma once
// vae::Downsample2D — the VAE encoder's downsampler (diffusers Downsample2D
// with padding 0): zero-pad right and bottom by one, then a 3×3 stride-2
// convolution without padding. [B, C, H, W] -> [B, C, ⌊H/2⌋, ⌊W/2⌋].
//
// Parameters: conv.
#include <torch/torch.h>

#include "distdiff/models/nn/conv2d.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>

namespace distdiff::models::vae {

class Downsample2DImpl : public torch::nn::Module {
 public:
  explicit Downsample2DImpl(std::int64_t channels) : channels_(channels) {
    if (channels < 1)
      throw std::invalid_argument("vae::Downsample2D: channels must be positive, got " +
                                  std::to_string(channels));
    conv = register_module(
        "conv", models::nn::PackedConv2d(torch::nn::Conv2dOptions(channels, channels, 3).stride(2).padding(0)));
  }

  torch::Tensor forward(const torch::Tensor& x) {
    TORCH_CHECK(x.dim() == 4 && x.size(1) == channels_, "vae::Downsample2D: expected [B, ", channels_,
                ", H, W], got ", x.sizes());
    return conv(torch::constant_pad_nd(x, {0, 1, 0, 1}, 0));
  }

  models::nn::PackedConv2d conv{nullptr};

 private:
  std::int64_t channels_;
};
TORCH_MODULE(Downsample2D);

}  // namespace distdiff::models::vae
