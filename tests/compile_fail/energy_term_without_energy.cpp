// expect-error: every term needs `at::Tensor energy\(const distdiff::EnergyInputs&\)
// An energy term that declares the tag but has no energy() member.
#include "distdiff/composition/check.hpp"
#include "distdiff/composition/distdiff.hpp"

struct HalfDone {
  using component_tag = distdiff::energy_tag;
  double weight = 1.0;
  std::string name() const { return "half-done"; }
};

int main() {
  using Wrong = distdiff::DistDiff<distdiff::with_energy<distdiff::ClassDistance, HalfDone>>;
  distdiff::detail::report_composition<Wrong>();
}
