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
// Optional
//   s.img2img_noise_timestep(n, strength) -> std::int64_t
//     The timestep whose ᾱ noises the seed latent at the img2img start
//     (DdimScheduler: the first denoising step, as diffusers; CompVisDdimScheduler:
//     the DDIM step above it, as CompVis LDM). Without it, the first denoising step.
//
// Minimal model: sampler/ddim.hpp is small enough to read as one.
#include "distdiff/concepts/component.hpp"

namespace distdiff {

struct noise_scheduler_tag {};

#define DISTDIFF_NOISE_SCHEDULER_REQUIREMENTS(X)                                                    \
  X((HasTag<T, noise_scheduler_tag>), "`using component_tag = distdiff::noise_scheduler_tag;`")      \
  X((Named<T>), "`std::string name() const`")                                                        \
  X((requires(const T& s, std::int64_t n) {                                                          \
      { s.timesteps(n) } -> std::same_as<std::vector<std::int64_t>>;                                 \
    }),                                                                                              \
    "`std::vector<std::int64_t> timesteps(std::int64_t num_inference_steps) const`")                 \
  X((requires(const T& s, std::int64_t n, double strength) {                                         \
      { s.img2img_start(n, strength) } -> std::convertible_to<std::int64_t>;                         \
    }),                                                                                              \
    "`std::int64_t img2img_start(std::int64_t num_inference_steps, double strength) const`")         \
  X((requires(const T& s, std::int64_t t) {                                                          \
      { s.alpha_bar(t) } -> std::convertible_to<double>;                                             \
    }),                                                                                              \
    "`double alpha_bar(std::int64_t t) const`")                                                      \
  X((requires(const T& s, const at::Tensor& z, std::int64_t t) {                                     \
      { s.add_noise(z, z, t) } -> std::same_as<at::Tensor>;                                          \
    }),                                                                                              \
    "`at::Tensor add_noise(const at::Tensor& z0, const at::Tensor& noise, std::int64_t t) const`")   \
  X((requires(const T& s, const at::Tensor& z, std::int64_t t) {                                     \
      { s.predict_x0(z, z, t) } -> std::same_as<at::Tensor>;                                         \
    }),                                                                                              \
    "`at::Tensor predict_x0(const at::Tensor& z, const at::Tensor& eps, std::int64_t t) const`")     \
  X((requires(const T& s, const at::Tensor& z, std::int64_t t) {                                     \
      { s.step(z, z, t, t) } -> std::same_as<at::Tensor>;                                            \
    }),                                                                                              \
    "`at::Tensor step(const at::Tensor& z, const at::Tensor& eps, std::int64_t t, std::int64_t "     \
    "t_prev) const`")

template <class T>
concept NoiseScheduler = DISTDIFF_NOISE_SCHEDULER_REQUIREMENTS(DISTDIFF_REQUIREMENT_AND) true;

}  // namespace distdiff
