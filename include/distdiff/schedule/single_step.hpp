#pragma once
// SingleStep — energy guidance at one optimisation step M (paper default M = 30).
// M and the look-ahead L are this schedule's numbers (`--M`, `--lookahead`).
//
// M is a DDIM index: with 50 inference steps DDIM index i is timestep 20·i + 1,
// so M = 30 evaluates z0|t at t = 601. With the default look-ahead L = 2 (the
// reference code) the transform is applied to the latent at DDIM index 31
// (t = 621) — with strength 0.9 the 14th of the 45 denoising steps — and
// unrolled through the DDIM steps at t = 621 and t = 601 with gradients.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <stdexcept>
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
  std::string name() const { return "single-step"; }
  nlohmann::json params() const { return {{"m", m}, {"look_ahead", look_ahead}}; }
  // `--M 20`: one step.
  void set_steps(const std::vector<std::int64_t>& s) {
    if (s.size() != 1)
      throw std::invalid_argument("single-step: --M takes one step M, got " + std::to_string(s.size()) +
                                  " (use a consecutive-steps or spread-steps composition for more)");
    m = s.front();
  }
};

static_assert(GuidanceSchedule<SingleStep>);

}  // namespace distdiff
