#pragma once
// UNetDenoiser: the Stable Diffusion UNet as a distdiff Denoiser ψ(z_t, t, c).
//
//   auto unet = distdiff::models::UNetDenoiser::load(sd_dir / "unet", distdiff::RuntimeOptions{});
//   at::Tensor eps = unet.predict_noise(z /*[B,4,64,64]*/, 981, text /*[B,77,768]*/);
//
// The network is frozen (no parameter requires grad) and in eval mode; the
// prediction stays differentiable in z. Device and dtype come from
// RuntimeOptions: float32 / bfloat16 (or float64) on CPU, float16 / bfloat16 /
// float32 / float64 on CUDA. Inputs are moved to that device/dtype and the
// prediction is returned in z's device and dtype. Copies share one network.
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>

#include "distdiff/concepts/models.hpp"
#include "distdiff/core/types.hpp"
#include "distdiff/models/unet/config.hpp"
#include "distdiff/models/unet/unet2d_condition.hpp"
#include "distdiff/models/weights/config.hpp"
#include "distdiff/models/weights/state_dict.hpp"

namespace distdiff::detail {

// Throws when the dtype cannot run the UNet on the device.
inline void check_unet_runtime(const RuntimeOptions& o, const std::string& where) {
  const auto d = o.dtype;
  const bool floating = d == torch::kFloat32 || d == torch::kFloat64 || d == torch::kBFloat16 ||
                        d == torch::kFloat16;
  if (!floating)
    throw std::invalid_argument(where + ": RuntimeOptions.dtype must be a floating type, got " +
                                std::string(c10::toString(d)));
  if (o.device.is_cpu() && d == torch::kFloat16)
    throw std::invalid_argument(where +
                                ": float16 is not supported on CPU (LibTorch lacks CPU half kernels); "
                                "use float32 or bfloat16");
}

// Seeds LibTorch's default CPU generator for the lifetime of the guard and
// restores its previous state afterwards. Other threads drawing from that
// generator meanwhile would see (and perturb) the seeded stream.
class ScopedCpuSeed {
 public:
  explicit ScopedCpuSeed(std::uint64_t seed) : gen_(at::detail::getDefaultCPUGenerator()) {
    std::lock_guard<std::mutex> lock(gen_.mutex());
    state_ = gen_.get_state();
    gen_.set_current_seed(seed);
  }
  ~ScopedCpuSeed() {
    std::lock_guard<std::mutex> lock(gen_.mutex());
    gen_.set_state(state_);
  }
  ScopedCpuSeed(const ScopedCpuSeed&) = delete;
  ScopedCpuSeed& operator=(const ScopedCpuSeed&) = delete;

 private:
  at::Generator gen_;
  at::Tensor state_;
};

}  // namespace distdiff::detail

namespace distdiff::models {

class UNetDenoiser {
 public:
  using component_tag = distdiff::denoiser_tag;

  // Takes a built network, moves it to the options' device/dtype, freezes it.
  UNetDenoiser(UNet2DConditionModel unet, const RuntimeOptions& options)
      : unet_(std::move(unet)), options_(options) {
    distdiff::detail::check_unet_runtime(options_, "UNetDenoiser");
    unet_->to(options_.device, options_.dtype);
    for (auto& p : unet_->parameters()) p.requires_grad_(false);
    unet_->eval();
  }

  // ε̂(z, t, cond): z [B, C, h, w], t a training timestep, cond [B, L, E].
  at::Tensor predict_noise(const at::Tensor& z, std::int64_t t, const at::Tensor& cond) const {
    const auto& cfg = config();
    if (!z.defined() || z.dim() != 4 || z.size(1) != cfg.in_channels)
      throw std::invalid_argument("UNetDenoiser::predict_noise: z must be [B, " +
                                  std::to_string(cfg.in_channels) + ", h, w], got " +
                                  (z.defined() ? std::to_string(z.dim()) + "-D" : "undefined"));
    if (!cond.defined() || cond.dim() != 3 || cond.size(0) != z.size(0) ||
        cond.size(2) != cfg.cross_attention_dim)
      throw std::invalid_argument("UNetDenoiser::predict_noise: cond must be [" +
                                  std::to_string(z.size(0)) + ", L, " +
                                  std::to_string(cfg.cross_attention_dim) + "] (one row per latent)");
    auto zz = z.to(options_.device, options_.dtype);
    auto cc = cond.to(options_.device, options_.dtype);
    auto tt = torch::full({z.size(0)}, t, torch::TensorOptions().dtype(torch::kInt64).device(options_.device));
    auto eps = unet_.ptr()->forward(zz, tt, cc);
    return eps.to(z.device(), z.scalar_type());
  }

  std::int64_t latent_channels() const { return config().in_channels; }

  std::string name() const {
    std::string s = "unet2d-condition[";
    const auto& ch = config().block_out_channels;
    for (std::size_t i = 0; i < ch.size(); ++i) s += (i ? "-" : "") + std::to_string(ch[i]);
    return s + "]";
  }

  // Loads the `unet/` folder of a diffusers Stable Diffusion folder: config.json
  // and diffusion_pytorch_model.safetensors (or its .fp16 variant, or a sharded
  // index). Every published tensor must be present (strict). Weights are
  // converted to the requested dtype (float16 files become float32 on CPU).
  static UNetDenoiser load(const std::filesystem::path& unet_dir, const RuntimeOptions& options) {
    namespace fs = std::filesystem;
    const std::string where = "UNetDenoiser::load";
    distdiff::detail::check_unet_runtime(options, where);
    if (!fs::is_directory(unet_dir))
      throw std::runtime_error(where + ": '" + unet_dir.string() + "' is not a folder");
    const auto config_path = unet_dir / "config.json";
    if (!fs::is_regular_file(config_path))
      throw std::runtime_error(where + ": '" + config_path.string() + "' is missing");
    UNetConfig cfg;
    try {
      cfg = UNetConfig::from_json(read_json_file(config_path));
    } catch (const std::exception& e) {
      throw std::runtime_error(where + ": '" + config_path.string() + "': " + e.what());
    }
    UNet2DConditionModel unet(cfg);
    // Convert first: the file's tensors are then copied straight into the
    // target device/dtype (a float16 file on CPU becomes float32 or bfloat16).
    unet->to(options.device, options.dtype);
    try {
      load_module(*unet, unet_dir);
    } catch (const std::exception& e) {
      throw std::runtime_error(where + ": " + e.what());
    }
    return UNetDenoiser(std::move(unet), options);
  }

  // A freshly initialised network (LibTorch's default initialisation, drawn
  // from the CPU generator seeded with `seed`: the same weights on every device).
  static UNetDenoiser random(const UNetConfig& config, const RuntimeOptions& options, std::uint64_t seed) {
    distdiff::detail::check_unet_runtime(options, "UNetDenoiser::random");
    UNet2DConditionModel unet{nullptr};
    {
      distdiff::detail::ScopedCpuSeed scoped(seed);
      unet = UNet2DConditionModel(config);
    }
    return UNetDenoiser(std::move(unet), options);
  }

  // Checkpoint every resnet and transformer while grad mode is on (default off).
  bool& gradient_checkpointing() { return unet_.ptr()->gradient_checkpointing; }
  bool gradient_checkpointing() const { return unet_.ptr()->gradient_checkpointing; }

  const UNetConfig& config() const { return unet_.ptr()->config; }
  const RuntimeOptions& options() const { return options_; }
  // The underlying network (shared with every copy of this denoiser).
  const UNet2DConditionModel& module() const { return unet_; }

 private:
  UNet2DConditionModel unet_;
  RuntimeOptions options_;
};

}  // namespace distdiff::models

static_assert(distdiff::Denoiser<distdiff::models::UNetDenoiser>);
