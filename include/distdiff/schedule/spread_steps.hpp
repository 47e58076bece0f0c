#pragma once
// SpreadSteps — guidance at an explicit list of steps across stages
// (paper Table 6, strategy 2: {30, 15, 0} and {30, 20, 10, 0}).
#include <nlohmann/json.hpp>

#include <cstdint>
#include <stdexcept>
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
  std::string name() const { return "spread-steps"; }
  nlohmann::json params() const { return {{"at", at}, {"look_ahead", look_ahead}}; }
  // `--M 30,20,10,0`.
  void set_steps(const std::vector<std::int64_t>& s) {
    if (s.empty()) throw std::invalid_argument("spread-steps: --M needs at least one step");
    at = s;
  }
};

static_assert(GuidanceSchedule<SpreadSteps>);

}  // namespace distdiff
