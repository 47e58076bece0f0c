#pragma once
// vae::UpDecoderBlock2D — `layers` ResnetBlock2Ds (the first changes
// in -> out channels), then an Upsample2D unless it is the last level.
// In the decoder `layers` is layers_per_block + 1.
//
// Parameters: resnets.{0..layers-1}, upsamplers.0.conv (when upsampling).
#include "distdiff/models/vae/resnet_block.hpp"
#include "distdiff/models/vae/upsample.hpp"

#include <torch/torch.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace distdiff::models::vae {

class UpDecoderBlock2DImpl : public torch::nn::Module {
 public:
  UpDecoderBlock2DImpl(std::int64_t in_channels, std::int64_t out_channels, std::int64_t layers,
                       bool add_upsample, std::int64_t groups, double eps = 1e-6) {
    if (layers < 1)
      throw std::invalid_argument("vae::UpDecoderBlock2D: layers must be at least 1, got " +
                                  std::to_string(layers));
    resnets = register_module("resnets", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < layers; ++i) {
      blocks.emplace_back(i == 0 ? in_channels : out_channels, out_channels, groups, eps);
      resnets->push_back(blocks.back());
    }
    if (add_upsample) {
      upsamplers = register_module("upsamplers", torch::nn::ModuleList());
      upsampler = Upsample2D(out_channels);
      upsamplers->push_back(upsampler);
    }
  }

  torch::Tensor forward(torch::Tensor x) {
    for (auto& block : blocks) x = block->forward(x);
    if (upsampler) x = upsampler->forward(x);
    return x;
  }

  torch::nn::ModuleList resnets{nullptr};
  torch::nn::ModuleList upsamplers{nullptr};
  std::vector<ResnetBlock2D> blocks;  // the modules in `resnets`
  Upsample2D upsampler{nullptr};      // upsamplers.0, if any
};
TORCH_MODULE(UpDecoderBlock2D);

}  // namespace distdiff::models::vae
