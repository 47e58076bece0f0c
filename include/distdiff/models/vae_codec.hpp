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
#include "distdiff/models/weights/config.hpp"
#include "distdiff/models/weights/state_dict.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/Generator.h>
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <mutex>
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

// Building a module draws its default initialisation from the global CPU
// generator; this keeps that generator's state unchanged across the build, so
// loading a VAE never shifts an experiment's random stream.
class PreserveGlobalCpuRng {
 public:
  PreserveGlobalCpuRng() : gen_(at::detail::getDefaultCPUGenerator()) {
    std::lock_guard<std::mutex> lock(gen_.mutex());
    state_ = gen_.get_state();
  }
  ~PreserveGlobalCpuRng() {
    std::lock_guard<std::mutex> lock(gen_.mutex());
    gen_.set_state(state_);
  }
  PreserveGlobalCpuRng(const PreserveGlobalCpuRng&) = delete;
  PreserveGlobalCpuRng& operator=(const PreserveGlobalCpuRng&) = delete;

 private:
  at::Generator gen_;
  at::Tensor state_;
};

inline AutoencoderKL build_vae(const VaeConfig& config) {
  PreserveGlobalCpuRng keep;
  return AutoencoderKL(config);
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

  // A diffusers VAE folder (`<model>/vae`, or the model folder holding it):
  // config.json plus diffusion_pytorch_model.safetensors (or the .fp16
  // variant, or a shard index). Every parameter must be present (strict);
  // older attention names (query/key/value/proj_attn) are accepted. Weights
  // are converted to the runtime dtype (fp16 files are upcast on the CPU).
  static VaeCodec load(const std::filesystem::path& vae_dir, const RuntimeOptions& options) {
    namespace fs = std::filesystem;
    detail::check_vae_runtime(options, "VaeCodec::load(" + vae_dir.string() + ")");
    std::error_code ec;
    if (!fs::is_directory(vae_dir, ec))
      throw std::runtime_error("VaeCodec::load: " + vae_dir.string() + " is not a folder");
    fs::path dir = vae_dir;
    if (!fs::exists(dir / "config.json", ec) && fs::is_regular_file(dir / "vae" / "config.json", ec))
      dir /= "vae";
    const fs::path config_path = dir / "config.json";
    const VaeConfig config = VaeConfig::from_json(read_json_file(config_path), config_path.string());
    AutoencoderKL model = detail::build_vae(config);
    model->to(options.device, options.dtype);
    LoadOptions load_options;
    load_options.rename = vae::legacy_attention_key;
    load_module(*model, dir, load_options);
    detail::freeze_vae(model, options);
    return from_module(std::move(model), options, dir.string());
  }

  // A network with deterministic random weights (vae::randomize_parameters).
  static VaeCodec random(const VaeConfig& config, const RuntimeOptions& options, std::uint64_t seed) {
    detail::check_vae_runtime(options, "VaeCodec::random");
    AutoencoderKL model = detail::build_vae(config);
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

  // Writes a diffusers VAE folder: config.json and
  // diffusion_pytorch_model.safetensors (in the runtime dtype). Each file
  // appears atomically.
  void save(const std::filesystem::path& vae_dir) const {
    namespace fs = std::filesystem;
    fs::create_directories(vae_dir);
    const fs::path config_path = vae_dir / "config.json";
    const fs::path tmp = vae_dir / "config.json.tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << encoder.config().to_json().dump(2) << "\n";
      out.close();
      if (!out) {
        std::error_code ec;
        fs::remove(tmp, ec);
        throw std::runtime_error("VaeCodec::save: cannot write " + config_path.string());
      }
    }
    save_module(*encoder.module(), vae_dir / "diffusion_pytorch_model.safetensors", {{"format", "pt"}});
    fs::rename(tmp, config_path);
  }
};

static_assert(distdiff::LatentEncoder<VaeEncoder>);
static_assert(distdiff::Decoder<VaeDecoder>);

}  // namespace distdiff::models
