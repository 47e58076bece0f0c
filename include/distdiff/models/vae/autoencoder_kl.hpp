#pragma once
// AutoencoderKL — Stable Diffusion's VAE with the parameter names of the
// diffusers state dict (`vae/diffusion_pytorch_model.safetensors`):
//
//   encoder.{conv_in, down_blocks.i, mid_block, conv_norm_out, conv_out}
//   decoder.{conv_in, mid_block, up_blocks.i, conv_norm_out, conv_out}
//   quant_conv (1×1, 2L -> 2L), post_quant_conv (1×1, L -> L)
//
// It works on UNSCALED latents; the components in models/vae_codec.hpp apply
// the scaling factor. See docs/vae.md.
#include "distdiff/models/vae/config.hpp"
#include "distdiff/models/vae/decoder.hpp"
#include "distdiff/models/vae/encoder.hpp"
#include "distdiff/models/vae/posterior.hpp"

#include <torch/torch.h>

#include "distdiff/models/nn/conv2d.hpp"

#include <cstdint>

namespace distdiff::models {

class AutoencoderKLImpl : public torch::nn::Module {
 public:
  explicit AutoencoderKLImpl(const VaeConfig& config) : config_(config) {
    config_.validate();
    namespace nn = torch::nn;
    const auto L = config_.latent_channels;
    encoder = register_module("encoder", vae::Encoder(config_));
    decoder = register_module("decoder", vae::Decoder(config_));
    quant_conv = register_module("quant_conv", models::nn::PackedConv2d(nn::Conv2dOptions(2 * L, 2 * L, 1)));
    post_quant_conv = register_module("post_quant_conv", models::nn::PackedConv2d(nn::Conv2dOptions(L, L, 1)));
  }

  // images [B, in, H, W] -> posterior over unscaled latents [B, L, H/f, W/f].
  vae::DiagonalGaussian encode(const torch::Tensor& images) {
    return vae::DiagonalGaussian(quant_conv(encoder->forward(images)));
  }

  // Unscaled latents [B, L, h, w] -> images [B, out, h·f, w·f].
  torch::Tensor decode(const torch::Tensor& latents) {
    return decoder->forward(post_quant_conv(latents));
  }
  torch::Tensor decode(const torch::Tensor& latents, bool checkpointing) {
    return decoder->forward(post_quant_conv(latents), checkpointing);
  }

  // Reconstruction through the posterior mean.
  torch::Tensor forward(const torch::Tensor& images) { return decode(encode(images).mode()); }

  const VaeConfig& config() const { return config_; }

  vae::Encoder encoder{nullptr};
  vae::Decoder decoder{nullptr};
  models::nn::PackedConv2d quant_conv{nullptr};
  models::nn::PackedConv2d post_quant_conv{nullptr};

 private:
  VaeConfig config_;
};
TORCH_MODULE(AutoencoderKL);

}  // namespace distdiff::models
