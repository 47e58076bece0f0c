#pragma once
// vae::MidBlock2D — diffusers UNetMidBlock2D as the VAE uses it (no time
// embedding, one attention layer): resnet -> attention -> resnet, all at
// the same channel count.
//
// Parameters: resnets.{0,1}, attentions.0.
#include "distdiff/models/vae/attention.hpp"
#include "distdiff/models/vae/resnet_block.hpp"

#include <torch/torch.h>

#include <cstdint>

namespace distdiff::models::vae {

class MidBlock2DImpl : public torch::nn::Module {
 public:
  MidBlock2DImpl(std::int64_t channels, std::int64_t groups, double eps = 1e-6) {
    first = ResnetBlock2D(channels, channels, groups, eps);
    attention = Attention(channels, groups, eps);
    second = ResnetBlock2D(channels, channels, groups, eps);
    resnets = register_module("resnets", torch::nn::ModuleList(first, second));
    attentions = register_module("attentions", torch::nn::ModuleList(attention));
  }

  torch::Tensor forward(const torch::Tensor& x) {
    return second->forward(attention->forward(first->forward(x)));
  }

  torch::nn::ModuleList resnets{nullptr};
  torch::nn::ModuleList attentions{nullptr};
  ResnetBlock2D first{nullptr};   // resnets.0
  Attention attention{nullptr};   // attentions.0
  ResnetBlock2D second{nullptr};  // resnets.1
};
TORCH_MODULE(MidBlock2D);

}  // namespace distdiff::models::vae
