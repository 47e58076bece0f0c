// expect-error: static assertion failed: DistDiff: slot `update`.*lacks `at::Tensor update\(const at::Tensor& param, const at::Tensor& grad\) const`
// expect-component: OldSignature
// Goes through the entry point a researcher calls (expand_main): the first
// diagnostic must name the slot and the missing member.
#include "distdiff/distdiff.hpp"

// The update rule of an older version (ρ as an argument).
struct OldSignature {
  using component_tag = distdiff::update_rule_tag;
  at::Tensor update(const at::Tensor& p, const at::Tensor& g, double rho) const { return p - rho * g; }
  std::string name() const { return "old"; }
};

int main(int argc, char** argv) {
  using Wrong = distdiff::DistDiff<distdiff::with_update<OldSignature>>;
  return distdiff::expand_main(argc, argv, distdiff::Preset<Wrong>{}, "wrong");
}
