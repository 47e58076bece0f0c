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
  CHECK(SingleStep{}.name() == "single-step");
  CHECK(SingleStep{}.params() == nlohmann::json{{"m", 30}, {"look_ahead", 2}});
}

TEST_CASE("step lists (the --M flag): each schedule takes the shapes it can hold", "[schedule]") {
  SingleStep s;
  s.set_steps({20});
  CHECK(s.m == 20);
  CHECK_THROWS_WITH(s.set_steps({20, 21}), Catch::Contains("one step"));
  ConsecutiveSteps c;
  c.set_steps({28});
  CHECK(c.steps() == std::vector<std::int64_t>{28, 29});  // count kept
  c.set_steps({10, 11, 12});
  CHECK(c.steps() == std::vector<std::int64_t>{10, 11, 12});
  CHECK_THROWS_WITH(c.set_steps({30, 15}), Catch::Contains("consecutive"));
  SpreadSteps p;
  p.set_steps({30, 20, 10, 0});
  CHECK(p.steps() == std::vector<std::int64_t>{30, 20, 10, 0});
  CHECK_THROWS(p.set_steps({}));
}

}  // namespace DISTDIFF_UNITY_ID
