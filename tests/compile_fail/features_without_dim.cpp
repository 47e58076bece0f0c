// expect-error: static assertion failed: DistDiff: slot `features`.*lacks `std::int64_t feature_dim\(\) const`
// expect-component: NoDim
// Goes through the entry point a researcher calls (expand_main): the first
// diagnostic must name the slot and the missing member.
#include "distdiff/distdiff.hpp"

struct NoDim {
  using component_tag = distdiff::feature_extractor_tag;
  at::Tensor extract(const at::Tensor& x) const { return x.mean({2, 3}); }
  std::string name() const { return "no-dim"; }
};

int main(int argc, char** argv) {
  using Wrong = distdiff::DistDiff<distdiff::with_features<NoDim>>;
  return distdiff::expand_main(argc, argv, distdiff::Preset<Wrong>{}, "wrong");
}
