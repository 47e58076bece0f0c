#pragma once
// Preset<Method> — a configured composition and the sampler's numbers:
//
//     distdiff::Preset<distdiff::Paper> p;     // the paper's settings
//     p.method.update.rho = 0.05;              // ρ lives in the update rule
//     p.guidance.strength = 0.7;               // the sampler's own numbers
#include "distdiff/core/guidance_config.hpp"

namespace distdiff {

template <class Method>
struct Preset {
  Method method{};
  GuidanceConfig guidance{};
};

}  // namespace distdiff
