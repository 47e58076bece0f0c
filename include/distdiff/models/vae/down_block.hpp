#pragma once
// vae::DownEncoderBlock2D — `layers` ResnetBlock2Ds (the first changes
// in -> out channels), then a Downsample2D unless it is the last level.
//
// Parameters: resnets.{0..layers-1}, downsamplers.0.conv (when downsampling).
#include "distdiff/models/vae/downsample.hpp"
#include "distdiff/models/vae/resnet_block.hpp"

#include <torch/torch.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace distdiff::models::vae {

class DownEncoderBlock2DImpl : public torch::nn::Module {
 public:
  DownEncoderBlock2DImpl(std::int64_t in_channels, std::int64_t out_channels, std::int64_t layers,
                         bool add_downsample, std::int64_t groups, double eps = 1e-6) {
    if (layers < 1)
      throw std::invalid_argument("vae::DownEncoderBlock2D: layers must be at least 1, got " +
                                  std::to_string(layers));
    resnets = register_module("resnets", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < layers; ++i) {
      blocks.emplace_back(i == 0 ? in_channels : out_channels, out_channels, groups, eps);
      resnets->push_back(blocks.back());
    }
    if (add_downsample) {
      downsamplers = register_module("downsamplers", torch::nn::ModuleList());
      downsampler = Downsample2D(out_channels);
      downsamplers->push_back(downsampler);
    }
  }

  torch::Tensor forward(torch::Tensor x) {
    for (auto& block : blocks) x = block->forward(x);
    if (downsampler) x = downsampler->forward(x);
    return x;
  }

  torch::nn::ModuleList resnets{nullptr};
  torch::nn::ModuleList downsamplers{nullptr};
  std::vector<ResnetBlock2D> blocks;      // the modules in `resnets`
  Downsample2D downsampler{nullptr};      // downsamplers.0, if any
};
TORCH_MODULE(DownEncoderBlock2D);

}  // namespace distdiff::models::vae
