#pragma once
// The VAE as the guided sampler sees it: VaeEncoder (a LatentEncoder) and
// VaeDecoder (a Decoder), sharing one frozen AutoencoderKL.
//
//   auto vae = distdiff::models::VaeCodec::load("sd-v1-4/vae", distdiff::RuntimeOptions{});
//   at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(42);
//   at::Tensor z = vae.encoder.encode(images, gen);   // scaled latents [B, 4, H/8, W/8]
//   at::Tensor x = vae.decoder.decode(z);             // images ≈[-1, 1], differentiable in z
//
// Both components convert their inputs to the runtime device and dtype and
// return tensors in that device and dtype. See docs/vae.md.
#include "distdiff/concepts/models.hpp"
#include "distdiff/core/types.hpp"
#include "distdiff/models/vae/autoencoder_kl.hpp"
#include "distdiff/models/vae/config.hpp"
#include "distdiff/models/vae/legacy_names.hpp"
#include "distdiff/models/vae/random_init.hpp"

#include <ATen/core/Generator.h>
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace distdiff::models {

namespace detail {

// fp32/fp64/bf16 on the CPU (LibTorch lacks many CPU fp16 kernels); any
// floating dtype on CUDA.
inline void check_vae_runtime(const RuntimeOptions& options, const std::string& where) {
  const auto d = options.dtype;
  if (d != torch::kFloat32 && d != torch::kFloat64 && d != torch::kBFloat16 && d != torch::kFloat16)
    throw std::invalid_argument(where + ": the VAE runs in float32, float64, bfloat16 or float16, got " +
                                std::string(c10::toString(d)));
  if (options.device.is_cpu() && d == torch::kFloat16)
    throw std::invalid_argument(where +
                                ": float16 is not supported on the CPU (use float32 or bfloat16 there; "
                                "float16 weights are upcast when loading)");
}

inline std::string describe_vae(const VaeConfig& c) {
  std::ostringstream s;
  s << "AutoencoderKL[";
  for (std::size_t i = 0; i < c.block_out_channels.size(); ++i)
    s << (i ? "," : "") << c.block_out_channels[i];
  s << "]x" << c.layers_per_block << " latent " << c.latent_channels;
  return s.str();
}

// Frozen, in eval mode, on the runtime device and dtype.
inline void freeze_vae(AutoencoderKL& model, const RuntimeOptions& options) {
  model->to(options.device, options.dtype);
  model->eval();
  for (auto& p : model->parameters()) p.requires_grad_(false);
}

}  // namespace detail

class VaeEncoder {
 public:
  using component_tag = distdiff::latent_encoder_tag;

  VaeEncoder(AutoencoderKL model, RuntimeOptions options, std::string source)
      : model_(std::move(model)), options_(options), source_(std::move(source)) {
    if (model_.is_empty()) throw std::invalid_argument("VaeEncoder: the AutoencoderKL is empty");
  }

  // images [B, in, H, W] in [-1, 1], H and W multiples of downsample_factor()
  // -> posterior sample × scaling_factor [B, L, H/f, W/f]. The noise comes
  // from `gen`, a CPU generator.
  at::Tensor encode(const at::Tensor& images, at::Generator& gen) const {
    return posterior(images).sample(gen) * config().scaling_factor;
  }

  // Posterior mean × scaling_factor (no noise).
  at::Tensor encode_mean(const at::Tensor& images) const {
    return posterior(images).mode() * config().scaling_factor;
  }

  // The unscaled posterior.
  vae::DiagonalGaussian posterior(const at::Tensor& images) const {
    check_images(images);
    return model_.ptr()->encode(images.to(options_.device, options_.dtype));
  }

  std::int64_t downsample_factor() const { return config().downsample_factor(); }
  std::string name() const { return detail::describe_vae(config()) + " encoder (" + source_ + ")"; }

  const VaeConfig& config() const { return model_->config(); }
  const AutoencoderKL& module() const { return model_; }
  const RuntimeOptions& options() const { return options_; }

 private:
  void check_images(const at::Tensor& images) const {
    const auto f = downsample_factor();
    if (!images.defined() || images.dim() != 4 || images.size(1) != config().in_channels ||
        images.size(2) % f != 0 || images.size(3) % f != 0 || images.size(2) == 0 || images.size(3) == 0) {
      std::ostringstream s;
      s << "VaeEncoder::encode: images must be [B, " << config().in_channels
        << ", H, W] with H and W positive multiples of " << f << ", got ";
      if (images.defined()) s << images.sizes(); else s << "an undefined tensor";
      throw std::invalid_argument(s.str());
    }
  }

  AutoencoderKL model_;
  RuntimeOptions options_;
  std::string source_;
};

class VaeDecoder {
 public:
  using component_tag = distdiff::decoder_tag;

  // Recompute the decoder's mid and up blocks in the backward pass instead of
  // storing their activations (only when grad mode is on).
  bool gradient_checkpointing = false;

  VaeDecoder(AutoencoderKL model, RuntimeOptions options, std::string source)
      : model_(std::move(model)), options_(options), source_(std::move(source)) {
    if (model_.is_empty()) throw std::invalid_argument("VaeDecoder: the AutoencoderKL is empty");
  }

  // Scaled latents [B, L, h, w] -> images [B, out, h·f, w·f] ≈[-1, 1].
  // Divides by scaling_factor, then post_quant_conv and the decoder.
  // Differentiable in z.
  at::Tensor decode(const at::Tensor& z) const {
    if (!z.defined() || z.dim() != 4 || z.size(1) != config().latent_channels) {
      std::ostringstream s;
      s << "VaeDecoder::decode: latents must be [B, " << config().latent_channels << ", h, w], got ";
      if (z.defined()) s << z.sizes(); else s << "an undefined tensor";
      throw std::invalid_argument(s.str());
    }
    const auto latents = z.to(options_.device, options_.dtype) / config().scaling_factor;
    return model_.ptr()->decode(latents, gradient_checkpointing);
  }

  std::string name() const { return detail::describe_vae(config()) + " decoder (" + source_ + ")"; }

  const VaeConfig& config() const { return model_->config(); }
  const AutoencoderKL& module() const { return model_; }
  const RuntimeOptions& options() const { return options_; }

 private:
  AutoencoderKL model_;
  RuntimeOptions options_;
  std::string source_;
};

struct VaeCodec {
  VaeEncoder encoder;
  VaeDecoder decoder;

  // A network with deterministic random weights (vae::randomize_parameters).
  static VaeCodec random(const VaeConfig& config, const RuntimeOptions& options, std::uint64_t seed) {
    detail::check_vae_runtime(options, "VaeCodec::random");
    AutoencoderKL model(config);
    vae::randomize_parameters(*model, seed);
    return from_module(std::move(model), options, "random seed " + std::to_string(seed));
  }

  // Wraps an existing network (frozen and moved to `options` here).
  static VaeCodec from_module(AutoencoderKL model, const RuntimeOptions& options, const std::string& source) {
    detail::check_vae_runtime(options, "VaeCodec");
    if (model.is_empty()) throw std::invalid_argument("VaeCodec: the AutoencoderKL is empty");
    detail::freeze_vae(model, options);
    return VaeCodec{VaeEncoder(model, options, source), VaeDecoder(model, options, source)};
  }
};

static_assert(distdiff::LatentEncoder<VaeEncoder>);
static_assert(distdiff::Decoder<VaeDecoder>);

}  // namespace distdiff::models
