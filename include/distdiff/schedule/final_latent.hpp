#pragma once
// FinalLatent — the transform is applied to the clean latent after the last
// DDIM step and the energy is computed on that latent directly (look-ahead
// L = 0: no denoiser in the gradient path). This is where GIF-SD optimises.
#include <cstdint>
#include <string>
#include <vector>

#include "distdiff/concepts/schedule.hpp"

namespace distdiff {

struct FinalLatent {
  using component_tag = guidance_schedule_tag;
  std::vector<std::int64_t> steps() const { return {-1}; }
  std::int64_t lookahead() const { return 0; }
  std::string name() const { return "final-latent"; }
};

static_assert(GuidanceSchedule<FinalLatent>);

}  // namespace distdiff
