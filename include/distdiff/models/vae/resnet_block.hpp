#pragma once
// vae::ResnetBlock2D — diffusers' ResnetBlock2D as the VAE uses it: no time
// embedding, GroupNorm(groups, eps) + SiLU + 3×3 conv twice, a 1×1
// `conv_shortcut` when the channel count changes, output scale 1.
//
// Parameters: norm1, conv1, norm2, conv2[, conv_shortcut].
#include <torch/torch.h>

#include "distdiff/models/nn/conv2d.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>

namespace distdiff::models::vae {

class ResnetBlock2DImpl : public torch::nn::Module {
 public:
  ResnetBlock2DImpl(std::int64_t in_channels, std::int64_t out_channels, std::int64_t groups,
                    double eps = 1e-6)
      : in_channels_(in_channels), out_channels_(out_channels) {
    if (in_channels < 1 || out_channels < 1 || groups < 1 || in_channels % groups != 0 ||
        out_channels % groups != 0)
      throw std::invalid_argument("vae::ResnetBlock2D: channels (" + std::to_string(in_channels) +
                                  " -> " + std::to_string(out_channels) +
                                  ") must be positive multiples of the group count " +
                                  std::to_string(groups));
    namespace nn = torch::nn;
    norm1 = register_module("norm1", nn::GroupNorm(nn::GroupNormOptions(groups, in_channels).eps(eps)));
    conv1 = register_module("conv1",
                            models::nn::PackedConv2d(nn::Conv2dOptions(in_channels, out_channels, 3).padding(1)));
    norm2 = register_module("norm2", nn::GroupNorm(nn::GroupNormOptions(groups, out_channels).eps(eps)));
    conv2 = register_module("conv2",
                            models::nn::PackedConv2d(nn::Conv2dOptions(out_channels, out_channels, 3).padding(1)));
    if (in_channels != out_channels)
      conv_shortcut =
          register_module("conv_shortcut", models::nn::PackedConv2d(nn::Conv2dOptions(in_channels, out_channels, 1)));
  }

  // x: [B, in_channels, H, W] -> [B, out_channels, H, W]
  torch::Tensor forward(const torch::Tensor& x) {
    TORCH_CHECK(x.dim() == 4 && x.size(1) == in_channels_, "vae::ResnetBlock2D: expected [B, ",
                in_channels_, ", H, W], got ", x.sizes());
    auto h = conv1(torch::silu(norm1(x)));
    h = conv2(torch::silu(norm2(h)));
    return (conv_shortcut ? conv_shortcut(x) : x) + h;
  }

  std::int64_t in_channels() const { return in_channels_; }
  std::int64_t out_channels() const { return out_channels_; }

  torch::nn::GroupNorm norm1{nullptr}, norm2{nullptr};
  models::nn::PackedConv2d conv1{nullptr}, conv2{nullptr}, conv_shortcut{nullptr};

 private:
  std::int64_t in_channels_;
  std::int64_t out_channels_;
};
TORCH_MODULE(ResnetBlock2D);

}  // namespace distdiff::models::vae
