#pragma once
// GuidanceConfig — the guided sampler's own numbers: DDIM steps, img2img
// strength, classifier-free guidance, optimisation iterations and what to do
// with a non-finite guided step. The numbers of the components live in the
// components (ρ in the update rule, ε in the transform, K in the group
// strategy, M in the schedule): see docs/compositions.md, "One home per number".
//
// Below both the sampler and the compositions: torch-free.
#include <cstdint>
#include <string>

namespace distdiff {

// What the guided step does when its energy, gradient or latent is not finite.
enum class NonFinitePolicy {
  skip_step,  // keep the unguided latent for the affected images, record the event (default)
  fail,       // throw std::runtime_error naming the step and what was non-finite
};

// Paper §5.2 / reference v1 defaults.
struct GuidanceConfig {
  std::int64_t num_inference_steps = 50;
  double strength = 0.9;
  double guidance_scale = 50.0;      // classifier-free guidance scale (1 = off)
  std::int64_t iterations = 1;       // optimisation iterations per guided step
  bool project_during_guidance = false;  // evaluate E at P(τ(z)) instead of τ(z)
  bool measure_energy = true;        // record E before/after at the projected latents
  std::string negative_prompt;       // the unconditional prompt of CFG
  NonFinitePolicy on_nonfinite = NonFinitePolicy::skip_step;
};

}  // namespace distdiff
