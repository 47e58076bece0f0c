// expect-error: static assertion failed: DistDiff: slot `class_prototypes`.*lacks `at::Tensor build\(
// expect-component: NoBuild
// Goes through the entry point a researcher calls (expand_main): the first
// diagnostic must name the slot and the missing member.
#include "distdiff/distdiff.hpp"

struct NoBuild {
  using component_tag = distdiff::prototype_strategy_tag;
  std::string name() const { return "no-build"; }
};

int main(int argc, char** argv) {
  using Wrong = distdiff::DistDiff<distdiff::with_class_prototypes<NoBuild>>;
  return distdiff::expand_main(argc, argv, distdiff::Preset<Wrong>{}, "wrong");
}
