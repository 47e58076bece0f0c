#pragma once
// ConsecutiveSteps — guidance at `count` consecutive steps M, M+1, … inside the
// semantic stage (paper Table 6, strategy 1: {30, 31} and {28, 29, 30, 31}).
#include <cstdint>
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
  std::string name() const {
    return "consecutive-steps(M=" + std::to_string(first) + ".." +
           std::to_string(first + count - 1) + ",L=" + std::to_string(look_ahead) + ")";
  }
};

static_assert(GuidanceSchedule<ConsecutiveSteps>);

}  // namespace distdiff
