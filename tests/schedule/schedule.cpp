#include <catch2/catch.hpp>

#include "distdiff/schedule.hpp"

using namespace distdiff;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

TEST_CASE("Schedules list their optimisation steps", "[schedule]") {
  CHECK(SingleStep{}.steps() == std::vector<std::int64_t>{30});
  CHECK(SingleStep{}.lookahead() == 2);
  CHECK(SingleStep{.m = 10, .look_ahead = 1}.steps() == std::vector<std::int64_t>{10});
  CHECK(ConsecutiveSteps{}.steps() == std::vector<std::int64_t>{30, 31});
  CHECK(ConsecutiveSteps{.first = 28, .count = 4}.steps() == std::vector<std::int64_t>{28, 29, 30, 31});
  CHECK(SpreadSteps{}.steps() == std::vector<std::int64_t>{30, 15, 0});
  CHECK(SpreadSteps{.at = {30, 20, 10, 0}}.steps().size() == 4);
  CHECK(NoGuidance{}.steps().empty());
  CHECK(SingleStep{}.name() == "single-step(M=30,L=2)");
}

}  // namespace DISTDIFF_UNITY_ID
