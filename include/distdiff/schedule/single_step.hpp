#pragma once
// SingleStep — energy guidance at one optimisation step M (paper default M = 30).
//
// M is a DDIM index: with 50 inference steps DDIM index i is timestep 20·i + 1,
// so M = 30 evaluates z0|t at t = 601. With the default look-ahead L = 2 (the
// reference code) the transform is applied to the latent at DDIM index 31
// (t = 621) — with strength 0.9 the 14th of the 45 denoising steps — and
// unrolled through the DDIM steps at t = 621 and t = 601 with gradients.
#include <cstdint>
#include <string>
#include <vector>

#include "distdiff/concepts/schedule.hpp"

namespace distdiff {

struct SingleStep {
  using component_tag = guidance_schedule_tag;
  std::int64_t m = 30;
  std::int64_t look_ahead = 2;

  std::vector<std::int64_t> steps() const { return {m}; }
  std::int64_t lookahead() const { return look_ahead; }
  std::string name() const {
    return "single-step(M=" + std::to_string(m) + ",L=" + std::to_string(look_ahead) + ")";
  }
};

static_assert(GuidanceSchedule<SingleStep>);

}  // namespace distdiff
