#pragma once
// DdimScheduler — Stable Diffusion's noise schedule with the deterministic
// DDIM sampler (eta = 0), as configured for SD v1-4:
//   betas "scaled_linear": β_i = (√0.00085 + i/999 · (√0.012 − √0.00085))², 1000 steps
//   ᾱ_t = Π_{s≤t} (1 − β_s)
//   "leading" spacing with steps_offset 1: n = 50 gives 981, 961, …, 21, 1
//   after the last step ᾱ = ᾱ_0 (set_alpha_to_one = false)
// With these settings the timesteps equal those of the CompVis LDM DDIM sampler
// (`ddim_discretize="uniform"`), so DDIM index i sits at timestep 20·i + 1.
//
// The img2img start: with n steps and strength s, denoising runs the last
// int(n·s) timesteps; the seed latent is noised to the level of
//   NoiseAtFirstStep (DdimScheduler, diffusers' StableDiffusionImg2ImgPipeline):
//     ᾱ of the first denoising timestep (50 × 0.9: t = 881, ᾱ = 0.017185);
//   NoiseAtStepAbove (CompVisDdimScheduler, CompVis LDM img2img = DistDiff v1):
//     stochastic_encode(z0, t_enc = int(n·s)) indexes ddim_alphas[t_enc], the DDIM
//     timestep one above the first denoising one (50 × 0.9: t = 901, ᾱ = 0.014005),
//     while denoising still starts at t = 881. Strength 1 has no step above: an error.
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "distdiff/concepts/sampler.hpp"

namespace distdiff {

struct DdimConfig {
  std::int64_t num_train_timesteps = 1000;
  double beta_start = 0.00085;
  double beta_end = 0.012;
  std::string beta_schedule = "scaled_linear";  // or "linear"
  std::int64_t steps_offset = 1;
  bool set_alpha_to_one = false;
};

// Start-noise conventions (see above).
struct NoiseAtFirstStep {
  static constexpr const char* name = "first-step";
};
struct NoiseAtStepAbove {
  static constexpr const char* name = "step-above";
};

template <class StartNoise = NoiseAtFirstStep>
class BasicDdimScheduler {
 public:
  using component_tag = noise_scheduler_tag;
  using start_noise_type = StartNoise;

  BasicDdimScheduler() : BasicDdimScheduler(DdimConfig{}) {}
  explicit BasicDdimScheduler(DdimConfig config) : config_(std::move(config)) {
    const auto n = config_.num_train_timesteps;
    if (n < 2) throw std::invalid_argument("DdimScheduler: num_train_timesteps must be >= 2");
    alphas_cumprod_.resize(static_cast<std::size_t>(n));
    double prod = 1.0;
    for (std::int64_t i = 0; i < n; ++i) {
      const double f = double(i) / double(n - 1);
      double beta;
      if (config_.beta_schedule == "scaled_linear") {
        const double s = std::sqrt(config_.beta_start) +
                         f * (std::sqrt(config_.beta_end) - std::sqrt(config_.beta_start));
        beta = s * s;
      } else if (config_.beta_schedule == "linear") {
        beta = config_.beta_start + f * (config_.beta_end - config_.beta_start);
      } else {
        throw std::invalid_argument("DdimScheduler: unknown beta_schedule '" +
                                    config_.beta_schedule + "' (scaled_linear or linear)");
      }
      prod *= 1.0 - beta;
      alphas_cumprod_[static_cast<std::size_t>(i)] = prod;
    }
    final_alpha_cumprod_ = config_.set_alpha_to_one ? 1.0 : alphas_cumprod_.front();
  }

  const DdimConfig& config() const { return config_; }
  const std::vector<double>& alphas_cumprod() const { return alphas_cumprod_; }

  // Spacing between consecutive inference timesteps.
  std::int64_t step_ratio(std::int64_t n) const {
    check_steps(n);
    return config_.num_train_timesteps / n;
  }

  // The n inference timesteps in denoising (descending) order.
  std::vector<std::int64_t> timesteps(std::int64_t n) const {
    const auto ratio = step_ratio(n);
    std::vector<std::int64_t> ts(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i)
      ts[static_cast<std::size_t>(n - 1 - i)] = i * ratio + config_.steps_offset;
    return ts;
  }

  // Index into timesteps(n) where img2img with this strength starts
  // (diffusers: init_timestep = min(int(n·strength), n); t_start = n − init_timestep).
  std::int64_t img2img_start(std::int64_t n, double strength) const {
    check_steps(n);
    if (!(strength > 0.0 && strength <= 1.0))
      throw std::invalid_argument("DdimScheduler: strength must be in (0, 1], got " +
                                  std::to_string(strength));
    const auto init = std::min<std::int64_t>(static_cast<std::int64_t>(double(n) * strength), n);
    if (init < 1)
      throw std::invalid_argument("DdimScheduler: strength " + std::to_string(strength) +
                                  " with " + std::to_string(n) + " steps runs no denoising step");
    return n - init;
  }

  // The timestep whose ᾱ noises the seed latent at the img2img start.
  std::int64_t img2img_noise_timestep(std::int64_t n, double strength) const {
    const auto start = img2img_start(n, strength);
    const auto first = timesteps(n)[static_cast<std::size_t>(start)];
    if constexpr (std::is_same_v<StartNoise, NoiseAtStepAbove>) {
      const auto above = first + step_ratio(n);
      if (start == 0 || above >= config_.num_train_timesteps)
        throw std::invalid_argument("DdimScheduler: the step-above start noise (CompVis img2img) needs a DDIM step "
                                    "above the first denoising one; strength " + std::to_string(strength) +
                                    " with " + std::to_string(n) + " steps has none (use a strength below 1)");
      return above;
    } else {
      return first;
    }
  }

  double alpha_bar(std::int64_t t) const {
    if (t < 0) return final_alpha_cumprod_;
    if (t >= config_.num_train_timesteps)
      throw std::out_of_range("DdimScheduler: timestep " + std::to_string(t) + " out of range");
    return alphas_cumprod_[static_cast<std::size_t>(t)];
  }

  torch::Tensor add_noise(const torch::Tensor& x0, const torch::Tensor& noise, std::int64_t t) const {
    const double a = alpha_bar(t);
    return x0 * std::sqrt(a) + noise * std::sqrt(1.0 - a);
  }

  // Eq. 5 of the paper.
  torch::Tensor predict_x0(const torch::Tensor& z, const torch::Tensor& eps, std::int64_t t) const {
    const double a = alpha_bar(t);
    return (z - eps * std::sqrt(1.0 - a)) / std::sqrt(a);
  }

  // Deterministic DDIM update from t to t_prev (t_prev < 0: the clean end).
  torch::Tensor step(const torch::Tensor& z, const torch::Tensor& eps, std::int64_t t,
                     std::int64_t t_prev) const {
    const double a_prev = alpha_bar(t_prev);
    const auto x0 = predict_x0(z, eps, t);
    return x0 * std::sqrt(a_prev) + eps * std::sqrt(1.0 - a_prev);
  }

  std::string name() const { return "ddim"; }
  nlohmann::json params() const {
    return {{"num_train_timesteps", config_.num_train_timesteps}, {"beta_start", config_.beta_start},
            {"beta_end", config_.beta_end},       {"beta_schedule", config_.beta_schedule},
            {"steps_offset", config_.steps_offset}, {"set_alpha_to_one", config_.set_alpha_to_one},
            {"start_noise", StartNoise::name}};
  }
  // The entry points hand the model folder's scheduler_config.json to the
  // scheduler slot through this member (any scheduler may offer it).
  void configure(const DdimConfig& c) { *this = BasicDdimScheduler(c); }

 private:
  void check_steps(std::int64_t n) const {
    if (n < 1 || n > config_.num_train_timesteps)
      throw std::invalid_argument("DdimScheduler: num_inference_steps must be in [1, " +
                                  std::to_string(config_.num_train_timesteps) + "], got " +
                                  std::to_string(n));
  }

  DdimConfig config_;
  std::vector<double> alphas_cumprod_;
  double final_alpha_cumprod_ = 1.0;
};

// diffusers' convention (the default of every composition but ReferenceV1).
using DdimScheduler = BasicDdimScheduler<NoiseAtFirstStep>;
// CompVis LDM's convention (DistDiff v1).
using CompVisDdimScheduler = BasicDdimScheduler<NoiseAtStepAbove>;

static_assert(NoiseScheduler<DdimScheduler>);
static_assert(NoiseScheduler<CompVisDdimScheduler>);

}  // namespace distdiff
