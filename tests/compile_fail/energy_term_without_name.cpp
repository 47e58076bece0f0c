// expect-error: static assertion failed: DistDiff: slot `energy`.*lacks `std::string name\(\) const`
// expect-component: Nameless
// Goes through the entry point a researcher calls (expand_main): the first
// diagnostic must name the slot and the missing member.
#include "distdiff/distdiff.hpp"

struct Nameless {
  using component_tag = distdiff::energy_tag;
  double weight = 1.0;
  at::Tensor energy(const distdiff::EnergyInputs& in) const { return in.features.norm(2, {1}); }
};

int main(int argc, char** argv) {
  using Wrong = distdiff::DistDiff<distdiff::with_energy<Nameless>>;
  return distdiff::expand_main(argc, argv, distdiff::Preset<Wrong>{}, "wrong");
}
