#pragma once
// SpreadSteps — guidance at an explicit list of steps across stages
// (paper Table 6, strategy 2: {30, 15, 0} and {30, 20, 10, 0}).
#include <cstdint>
#include <string>
#include <vector>

#include "distdiff/concepts/schedule.hpp"

namespace distdiff {

struct SpreadSteps {
  using component_tag = guidance_schedule_tag;
  std::vector<std::int64_t> at{30, 15, 0};
  std::int64_t look_ahead = 2;

  std::vector<std::int64_t> steps() const { return at; }
  std::int64_t lookahead() const { return look_ahead; }
  std::string name() const {
    std::string s = "spread-steps(M=";
    for (std::size_t i = 0; i < at.size(); ++i) s += (i ? "," : "") + std::to_string(at[i]);
    return s + ",L=" + std::to_string(look_ahead) + ")";
  }
};

static_assert(GuidanceSchedule<SpreadSteps>);

}  // namespace distdiff
