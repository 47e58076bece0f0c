#pragma once
// GuidedSampler — Algorithm 1 of the paper: img2img DDIM sampling whose
// intermediate latent is transformed (Eq. 3) and the transform optimised by the
// hierarchical energy of the x0-prediction (Eq. 5, 6).
//
// For each batch:
//   z0 = E(x_seed); z = √ᾱ_s z0 + √(1−ᾱ_s) n             (img2img start, strength; s is the
//                                                        scheduler's start-noise timestep)
//   for each denoising position p:
//     if the schedule fires at p (DDIM index M + L − 1):
//       e, b ~ init;  z̃ = (1+e)z + b
//       unroll L DDIM steps from z̃ with gradients → ẑ0 at DDIM index M (Eq. 5)
//       E = Σ_k w_k D_k(θ(decode(ẑ0)), prototypes)   (mean over the batch)
//       (e, b) ← update((e, b), ∇E)      (iterations times; ρ in the update rule)
//       z ← P_{z,ε}((1+e)z + b)
//     z ← DDIM step(z, ε̂_CFG(z, t))
//   x = decode(z)
// Everything outside the guided step runs without autograd.
//
// Numerical guard: a NaN or ±inf in the guided step's energy, its gradient or
// the transformed latent is detected per image. By default
// (NonFinitePolicy::skip_step) the optimisation stops before the non-finite
// update is applied, the affected images keep the unguided latent of that step,
// and each event is recorded (GuidanceRecord::nonfinite → the manifest's
// "nonfinite" field); NonFinitePolicy::fail throws instead.
#include <torch/torch.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "distdiff/composition/bind.hpp"
#include "distdiff/composition/check.hpp"
#include "distdiff/core/guidance_config.hpp"
#include "distdiff/core/model_set.hpp"
#include "distdiff/core/threads.hpp"
#include "distdiff/core/types.hpp"

namespace distdiff {

struct Conditioning {
  torch::Tensor cond;     // [B, L, E]
  torch::Tensor uncond;   // [B, L, E] or undefined when CFG is off
};

// Context handed to energy terms besides the features.
struct EnergyContext {
  torch::Tensor labels;               // [B] int64 on the model device
  torch::Tensor reference_features;   // [B, D] θ(seed image), or undefined
  torch::Tensor text_features;        // [C, D] class text features, or undefined
};

// One image's non-finite event in a guided step.
struct NonFiniteEvent {
  std::int64_t row = 0;         // the image's row in the batch
  std::int64_t iteration = 0;   // optimisation iteration (−1: the final transformed latent)
  std::string what;             // "energy", "gradient" or "latent"
  std::string action;           // "kept the unguided latent"
};

struct GuidanceRecord {
  std::int64_t ddim_index = 0;   // M: where ẑ0 is predicted (−1: the final latent)
  std::int64_t timestep = 0;     // timestep of the transformed latent (−1: final latent)
  torch::Tensor energy_before;   // [B] CPU float64: E at P(τ_init(z)); undefined if not measured
  torch::Tensor energy_after;    // [B] CPU float64: E at the latent kept (may be non-finite)
  std::vector<NonFiniteEvent> nonfinite;  // at most one per image; empty when all was finite
};

struct GuidedBatch {
  torch::Tensor images;               // [B, 3, H, W] in [-1, 1]
  torch::Tensor labels;               // [B] int64
  std::vector<std::string> prompts;   // B prompts
  std::uint64_t seed = 0;             // all randomness of this batch
  torch::Tensor text_features;        // optional [C, D] (zero-shot energy terms)
};

struct GuidedOutput {
  torch::Tensor images;                 // [B, 3, H, W] in [0, 1], CPU float32
  std::vector<GuidanceRecord> records;  // one per guided step
};

template <class Composition, class Models>
class GuidedSampler {
 public:
  GuidedSampler(const Composition& method, const Models& models, Prototypes prototypes,
                GuidanceConfig config)
      : method_(method), models_(bind_features(method, models)), config_(std::move(config)) {
    detail::report_composition<Composition>();
    detail::report_models<Models>();
    if constexpr (detail::composition_valid<Composition> && detail::models_valid<Models>) {
      const auto& rt = models_.runtime;
      prototypes_ = prototypes.to(rt.device, rt.dtype);
      timesteps_ = method_.scheduler.timesteps(config_.num_inference_steps);
      start_ = method_.scheduler.img2img_start(config_.num_inference_steps, config_.strength);
      // The start-noise convention is the scheduler's (sampler/ddim.hpp); a
      // scheduler without img2img_noise_timestep noises at the first denoising step.
      if constexpr (requires { method_.scheduler.img2img_noise_timestep(std::int64_t{}, double{}); })
        noise_timestep_ = method_.scheduler.img2img_noise_timestep(config_.num_inference_steps, config_.strength);
      else
        noise_timestep_ = timesteps_.at(std::size_t(start_));
      plan_guidance();
      if (config_.iterations < 1) throw std::invalid_argument("GuidanceConfig: iterations must be >= 1");
    }
  }

  const std::vector<std::int64_t>& timesteps() const { return timesteps_; }
  std::int64_t start_position() const { return start_; }
  // The timestep whose ᾱ noises the seed latent (the scheduler's start-noise convention).
  std::int64_t start_noise_timestep() const { return noise_timestep_; }
  // Denoising positions (indices into timesteps()) at which the transform is applied.
  const std::vector<std::int64_t>& guided_positions() const { return guided_positions_; }
  std::int64_t ddim_index(std::int64_t position) const { return std::int64_t(timesteps_.size()) - 1 - position; }
  const GuidanceConfig& config() const { return config_; }
  const Prototypes& prototypes() const { return prototypes_; }

  Conditioning condition(const std::vector<std::string>& prompts) const {
    torch::NoGradGuard no_grad;
    Conditioning c;
    c.cond = models_.text.encode(prompts).to(models_.runtime.device, models_.runtime.dtype);
    if (config_.guidance_scale != 1.0) {
      c.uncond = models_.text.encode(std::vector<std::string>(prompts.size(), config_.negative_prompt))
                     .to(models_.runtime.device, models_.runtime.dtype);
    }
    return c;
  }

  // ε̂ with classifier-free guidance: ε_u + s·(ε_c − ε_u).
  torch::Tensor noise_prediction(const torch::Tensor& z, std::int64_t t, const Conditioning& c) const {
    if (!c.uncond.defined()) return models_.denoiser.predict_noise(z, t, c.cond);
    const auto eps = models_.denoiser.predict_noise(torch::cat({z, z}), t, torch::cat({c.uncond, c.cond}));
    const auto parts = eps.chunk(2);
    return parts[0] + config_.guidance_scale * (parts[1] - parts[0]);
  }

  // Per-sample energy [B] of a (transformed) latent sitting at denoising
  // position `position`: unroll the schedule's look-ahead, predict ẑ0, decode,
  // extract features, sum the weighted terms. Differentiable in z.
  torch::Tensor energy(const torch::Tensor& z, std::int64_t position, const Conditioning& c,
                       const EnergyContext& ctx) const {
    const std::int64_t L = method_.schedule.lookahead();
    torch::Tensor zz = z;
    torch::Tensor x0 = z;  // L = 0: the latent is already clean
    for (std::int64_t l = 0; l < L; ++l) {
      const auto p = position + l;
      const auto t = timesteps_.at(std::size_t(p));
      const auto eps = noise_prediction(zz, t, c);
      if (l == L - 1) {
        x0 = method_.scheduler.predict_x0(zz, eps, t);
      } else {
        zz = method_.scheduler.step(zz, eps, t, timesteps_.at(std::size_t(p + 1)));
      }
    }
    const auto images = ((models_.decoder.decode(x0) + 1.0) / 2.0).clamp(0.0, 1.0);
    EnergyInputs in;
    in.features = models_.features.extract(images);
    in.labels = ctx.labels;
    in.prototypes = &prototypes_;
    in.reference_features = ctx.reference_features;
    in.text_features = ctx.text_features;
    return method_.energy.total(in);
  }

  GuidedOutput run(const GuidedBatch& batch) const {
    if constexpr (detail::composition_valid<Composition> && detail::models_valid<Models>) {
      return run_valid(batch);
    } else {
      return {};
    }
  }

 private:
  void plan_guidance() {
    const auto n = std::int64_t(timesteps_.size());
    const std::int64_t L = method_.schedule.lookahead();
    if (L < 0) throw std::invalid_argument("guidance schedule: look-ahead must be >= 0");
    for (auto m : method_.schedule.steps()) {
      if (L == 0) {
        if (m != -1)
          throw std::invalid_argument("guidance schedule: look-ahead 0 (final latent) needs the single step M = -1");
        guided_positions_.push_back(n);  // after the last denoising step
        continue;
      }
      const auto fire_index = m + L - 1;
      const auto position = n - 1 - fire_index;
      if (m < 0 || fire_index > n - 1)
        throw std::invalid_argument("guidance schedule: step M=" + std::to_string(m) + " is outside the " +
                                    std::to_string(n) + "-step DDIM schedule");
      if (position < start_)
        throw std::invalid_argument(
            "guidance schedule: step M=" + std::to_string(m) + " with look-ahead " + std::to_string(L) +
            " transforms the latent at DDIM index " + std::to_string(fire_index) +
            ", but img2img with strength " + std::to_string(config_.strength) + " starts at DDIM index " +
            std::to_string(n - 1 - start_) + ": lower M or raise the strength");
      guided_positions_.push_back(position);
    }
    std::sort(guided_positions_.begin(), guided_positions_.end());
    guided_positions_.erase(std::unique(guided_positions_.begin(), guided_positions_.end()),
                            guided_positions_.end());
  }

  static torch::Tensor to_record(const torch::Tensor& e) {
    return e.detach().to(torch::kCPU, torch::kFloat64);
  }

  GuidedOutput run_valid(const GuidedBatch& batch) const {
    const auto& rt = models_.runtime;
    const auto B = batch.images.size(0);
    TORCH_CHECK(batch.images.dim() == 4 && batch.images.size(1) == 3,
                "GuidedSampler: images must be [B, 3, H, W], got ", batch.images.sizes());
    TORCH_CHECK(batch.labels.numel() == B, "GuidedSampler: ", B, " images but ", batch.labels.numel(), " labels");
    TORCH_CHECK(std::int64_t(batch.prompts.size()) == B, "GuidedSampler: ", B, " images but ",
                batch.prompts.size(), " prompts");

    auto gen = at::make_generator<at::CPUGeneratorImpl>(batch.seed);
    const auto images = batch.images.to(rt.device, rt.dtype);
    EnergyContext ctx;
    ctx.labels = batch.labels.to(rt.device, torch::kLong);
    if (batch.text_features.defined()) ctx.text_features = batch.text_features.to(rt.device, rt.dtype);

    GuidedOutput out;
    torch::NoGradGuard no_grad;
    const auto cond = condition(batch.prompts);
    if constexpr (Composition::energy_type::size > 0) {
      if (!guided_positions_.empty())
        ctx.reference_features = models_.features.extract(((images + 1.0) / 2.0).clamp(0.0, 1.0));
    }
    const auto z0 = models_.encoder.encode(images, gen);
    const auto noise = at::randn(z0.sizes(), gen, torch::TensorOptions().dtype(torch::kFloat32))
                           .to(rt.device, z0.scalar_type());
    auto z = method_.scheduler.add_noise(z0, noise, noise_timestep_);

    const auto n = std::int64_t(timesteps_.size());
    for (std::int64_t p = start_; p < n; ++p) {
      cpu_threads_tick();  // fewer threads while other processes share the cores
      if (std::binary_search(guided_positions_.begin(), guided_positions_.end(), p)) {
        z = guide(z, p, cond, ctx, gen, out.records);
      }
      const auto t = timesteps_[std::size_t(p)];
      const auto t_prev = p + 1 < n ? timesteps_[std::size_t(p + 1)] : std::int64_t(-1);
      z = method_.scheduler.step(z, noise_prediction(z, t, cond), t, t_prev);
    }
    if (!guided_positions_.empty() && guided_positions_.back() == n) z = guide(z, n, cond, ctx, gen, out.records);
    out.images = ((models_.decoder.decode(z) + 1.0) / 2.0).clamp(0.0, 1.0).to(torch::kCPU, torch::kFloat32);
    return out;
  }

  torch::Tensor guide(const torch::Tensor& z_in, std::int64_t position, const Conditioning& cond,
                      const EnergyContext& ctx, at::Generator& gen,
                      std::vector<GuidanceRecord>& records) const {
    const auto& tr = method_.transform;
    const auto z = z_in.detach();
    auto params = tr.init(z, gen);
    GuidanceRecord rec;
    const bool final_latent = position == std::int64_t(timesteps_.size());
    rec.ddim_index = final_latent ? -1 : ddim_index(position) - (method_.schedule.lookahead() - 1);
    rec.timestep = final_latent ? -1 : timesteps_.at(std::size_t(position));

    if constexpr (Composition::energy_type::size > 0) {
      const auto B = z.size(0);
      std::vector<bool> bad(std::size_t(B), false);  // images that keep the unguided latent
      auto flag = [&](const torch::Tensor& finite_rows, std::int64_t it, const char* what) {
        const auto ok = finite_rows.to(torch::kCPU, torch::kBool).contiguous();
        bool any = false;
        for (std::int64_t r = 0; r < B; ++r) {
          if (ok[r].item<bool>() || bad[std::size_t(r)]) continue;
          bad[std::size_t(r)] = true;
          any = true;
          rec.nonfinite.push_back({r, it, what, "kept the unguided latent"});
        }
        if (any && config_.on_nonfinite == NonFinitePolicy::fail)
          throw std::runtime_error("GuidedSampler: non-finite " + std::string(what) + " in the guided step at timestep " +
                                   std::to_string(rec.timestep) + " (iteration " + std::to_string(it) +
                                   "); set GuidanceConfig::on_nonfinite = skip_step to keep the unguided latent");
        return any;
      };
      // Rows whose values are all finite: [B] bool. A tensor without a batch
      // dimension (a transform shared across the batch) affects every row.
      auto finite_rows = [&](const torch::Tensor& t) {
        if (t.dim() >= 1 && t.size(0) == B) return torch::isfinite(t.detach()).reshape({B, -1}).all(1);
        return torch::isfinite(t.detach()).all().expand({B});
      };
      std::vector<torch::Tensor> initial;
      for (const auto& p : params) initial.push_back(p.detach().clone());
      for (std::int64_t it = 0; it < config_.iterations; ++it) {
        torch::AutoGradMode grad_on(true);
        auto zt = tr.apply(z, params);
        if (config_.project_during_guidance) zt = tr.project(zt, z);
        const auto e = energy(zt, position, cond, ctx);
        const auto grads = torch::autograd::grad({e.mean()}, params);
        torch::NoGradGuard no_grad;
        bool stop = flag(finite_rows(e), it, "energy");
        for (const auto& g : grads) stop = flag(finite_rows(g), it, "gradient") || stop;
        if (stop) break;  // the non-finite update is never applied
        for (std::size_t k = 0; k < params.size(); ++k) {
          params[k] = method_.update.update(params[k].detach(), grads[k])
                          .detach()
                          .requires_grad_(true);
        }
      }
      torch::NoGradGuard no_grad;
      auto z_new = tr.project(tr.apply(z, params), z);
      flag(finite_rows(z_new), -1, "latent");
      if (!rec.nonfinite.empty()) {
        auto mask = torch::zeros({B}, torch::kBool);
        for (std::int64_t r = 0; r < B; ++r) mask[r] = bool(bad[std::size_t(r)]);
        std::vector<std::int64_t> shape(std::size_t(z.dim()), 1);
        shape[0] = B;
        z_new = torch::where(mask.to(z.device()).view(shape), z, z_new);
      }
      if (config_.measure_energy) {
        rec.energy_before = to_record(energy(tr.project(tr.apply(z, initial), z), position, cond, ctx));
        rec.energy_after = to_record(energy(z_new, position, cond, ctx));
      }
      records.push_back(rec);
      return z_new;
    } else {
      torch::NoGradGuard no_grad;
      records.push_back(rec);
      return tr.project(tr.apply(z, params), z);
    }
  }

  Composition method_;
  bound_models_t<Composition, Models> models_;  // θ = the composition's features slot
  GuidanceConfig config_;
  Prototypes prototypes_;
  std::vector<std::int64_t> timesteps_;
  std::int64_t start_ = 0;
  std::int64_t noise_timestep_ = 0;
  std::vector<std::int64_t> guided_positions_;
};

}  // namespace distdiff
