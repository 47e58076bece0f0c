#pragma once
// NoGuidance — no optimisation step at all: plain Stable Diffusion img2img.
#include <cstdint>
#include <string>
#include <vector>

#include "distdiff/concepts/schedule.hpp"

namespace distdiff {

struct NoGuidance {
  using component_tag = guidance_schedule_tag;
  std::vector<std::int64_t> steps() const { return {}; }
  std::int64_t lookahead() const { return 1; }
  std::string name() const { return "no-guidance"; }
};

static_assert(GuidanceSchedule<NoGuidance>);

}  // namespace distdiff
