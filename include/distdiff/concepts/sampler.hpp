#pragma once
// NoiseScheduler — the discrete diffusion schedule and its deterministic sampler.
//
// Contract (timesteps are training timesteps in [0, num_train_timesteps))
//   s.timesteps(n) -> std::vector<std::int64_t>
//     The n inference timesteps in DENOISING order (descending), e.g. DDIM with
//     "leading" spacing and steps_offset 1 gives 981, 961, …, 1 for n = 50.
//   s.alpha_bar(t) -> double           ᾱ_t (alphas_cumprod); t < 0 gives the
//                                       "final" value used after the last step.
//   s.add_noise(x0, noise, t) -> at::Tensor      √ᾱ_t·x0 + √(1−ᾱ_t)·noise
//   s.predict_x0(z, eps, t) -> at::Tensor         Eq. 5: (z − √(1−ᾱ_t)·ε)/√ᾱ_t
//   s.step(z, eps, t, t_prev) -> at::Tensor
//     One deterministic step from timestep t to t_prev (t_prev < 0: to the
//     clean end). Differentiable in z and eps.
//   s.name() -> string.
//
// Minimal model: sampler/ddim.hpp is small enough to read as one.
#include "distdiff/concepts/component.hpp"

namespace distdiff {

struct noise_scheduler_tag {};

template <class T>
concept NoiseScheduler =
    HasTag<T, noise_scheduler_tag> && Named<T> &&
    requires(const T& s, const at::Tensor& z, const at::Tensor& eps, std::int64_t t,
             std::int64_t n) {
      { s.timesteps(n) } -> std::same_as<std::vector<std::int64_t>>;
      { s.alpha_bar(t) } -> std::convertible_to<double>;
      { s.add_noise(z, eps, t) } -> std::same_as<at::Tensor>;
      { s.predict_x0(z, eps, t) } -> std::same_as<at::Tensor>;
      { s.step(z, eps, t, t) } -> std::same_as<at::Tensor>;
    };

}  // namespace distdiff
