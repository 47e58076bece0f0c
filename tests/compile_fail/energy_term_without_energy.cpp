// expect-error: static assertion failed: DistDiff: slot `energy`.*lacks `at::Tensor energy\(const distdiff::EnergyInputs&\) const`
// expect-component: HalfDone
// Goes through the entry point a researcher calls (expand_main): the first
// diagnostic must name the slot and the missing member.
#include "distdiff/distdiff.hpp"

struct HalfDone {
  using component_tag = distdiff::energy_tag;
  double weight = 1.0;
  std::string name() const { return "half-done"; }
};

int main(int argc, char** argv) {
  using Wrong = distdiff::DistDiff<distdiff::with_energy<distdiff::ClassDistance, HalfDone>>;
  return distdiff::expand_main(argc, argv, distdiff::Preset<Wrong>{}, "wrong");
}
