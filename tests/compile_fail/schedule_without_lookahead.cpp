// expect-error: static assertion failed: DistDiff: slot `schedule`.*lacks `std::int64_t lookahead\(\) const`
// expect-component: NoLookahead
// Goes through the entry point a researcher calls (expand_main): the first
// diagnostic must name the slot and the missing member.
#include "distdiff/distdiff.hpp"

struct NoLookahead {
  using component_tag = distdiff::guidance_schedule_tag;
  std::vector<std::int64_t> steps() const { return {20}; }
  std::string name() const { return "no-lookahead"; }
};

int main(int argc, char** argv) {
  using Wrong = distdiff::DistDiff<distdiff::with_schedule<NoLookahead>>;
  return distdiff::expand_main(argc, argv, distdiff::Preset<Wrong>{}, "wrong");
}
