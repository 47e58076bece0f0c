#pragma once
// GuidanceSchedule — which denoising steps are optimised, and how far ahead.
//
// Contract
//   s.steps() -> std::vector<std::int64_t>
//     The optimisation steps M, as DDIM indices (0 = the last, least noisy
//     step of the num_inference_steps schedule; index i sits at timestep
//     timesteps_ascending[i]). The x0-prediction that the energy is computed on
//     is the one made at DDIM index M.
//   s.lookahead() -> integer L ≥ 0
//     The transform is applied to the latent at DDIM index M + L − 1 and the
//     transformed latent is unrolled through L DDIM steps with gradients
//     (indices M+L−1, …, M); L = 1 is Algorithm 1 read literally, L = 2 is the
//     reference code (M = 30 fires at index 31, t = 621). L = 0 (with the single
//     step M = −1) transforms the final clean latent and computes the energy on
//     it directly, without the denoiser (GIF-SD).
//   s.name() -> string.
//
// docs/schedules.md works through the mapping for 50 steps and strength 0.9.
//
// Minimal model:
//
//     struct AtTwenty {
//       using component_tag = distdiff::guidance_schedule_tag;
//       std::vector<std::int64_t> steps() const { return {20}; }
//       std::int64_t lookahead() const { return 1; }
//       std::string name() const { return "at-20"; }
//     };
#include "distdiff/concepts/component.hpp"

namespace distdiff {

struct guidance_schedule_tag {};

#define DISTDIFF_GUIDANCE_SCHEDULE_REQUIREMENTS(X)                                                  \
  X((HasTag<T, guidance_schedule_tag>), "`using component_tag = distdiff::guidance_schedule_tag;`")  \
  X((Named<T>), "`std::string name() const`")                                                        \
  X((requires(const T& s) {                                                                          \
      { s.steps() } -> std::same_as<std::vector<std::int64_t>>;                                      \
    }),                                                                                              \
    "`std::vector<std::int64_t> steps() const`")                                                     \
  X((requires(const T& s) {                                                                          \
      { s.lookahead() } -> std::convertible_to<std::int64_t>;                                        \
    }),                                                                                              \
    "`std::int64_t lookahead() const`")

template <class T>
concept GuidanceSchedule = DISTDIFF_GUIDANCE_SCHEDULE_REQUIREMENTS(DISTDIFF_REQUIREMENT_AND) true;

}  // namespace distdiff
