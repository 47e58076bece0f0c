#pragma once
// ConsecutiveSteps — guidance at `count` consecutive steps M, M+1, … inside the
// semantic stage (paper Table 6, strategy 1: {30, 31} and {28, 29, 30, 31}).
#include <nlohmann/json.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "distdiff/concepts/schedule.hpp"

namespace distdiff {

struct ConsecutiveSteps {
  using component_tag = guidance_schedule_tag;
  std::int64_t first = 30;
  std::int64_t count = 2;
  std::int64_t look_ahead = 2;

  std::vector<std::int64_t> steps() const {
    std::vector<std::int64_t> s;
    for (std::int64_t i = 0; i < count; ++i) s.push_back(first + i);
    return s;
  }
  std::int64_t lookahead() const { return look_ahead; }
  std::string name() const { return "consecutive-steps"; }
  nlohmann::json params() const { return {{"first", first}, {"count", count}, {"look_ahead", look_ahead}}; }
  // `--M 28` moves the first step (count kept); `--M 28,29,30,31` sets both.
  void set_steps(const std::vector<std::int64_t>& s) {
    if (s.empty()) throw std::invalid_argument("consecutive-steps: --M needs at least one step");
    for (std::size_t i = 1; i < s.size(); ++i)
      if (s[i] != s[i - 1] + 1)
        throw std::invalid_argument("consecutive-steps: --M steps must be consecutive and ascending (e.g. 30,31); "
                                    "use a spread-steps composition for other lists");
    first = s.front();
    if (s.size() > 1) count = std::int64_t(s.size());
  }
};

static_assert(GuidanceSchedule<ConsecutiveSteps>);

}  // namespace distdiff
