// expect-error: static assertion failed: DistDiff: slot `update`.*lacks `using component_tag = distdiff::update_rule_tag.`
// expect-component: ClassDistance
// Goes through the entry point a researcher calls (expand_main): the first
// diagnostic must name the slot and the missing member.
#include "distdiff/distdiff.hpp"

// An energy term put in the update slot: the update slot's tag is missing.
int main(int argc, char** argv) {
  using Wrong = distdiff::DistDiff<distdiff::with_update<distdiff::ClassDistance>>;
  return distdiff::expand_main(argc, argv, distdiff::Preset<Wrong>{}, "wrong");
}
