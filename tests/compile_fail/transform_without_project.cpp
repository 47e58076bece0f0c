// expect-error: static assertion failed: DistDiff: slot `transform`.*lacks `at::Tensor project\(
// expect-component: NoProject
// Goes through the entry point a researcher calls (expand_main): the first
// diagnostic must name the slot and the missing member.
#include "distdiff/distdiff.hpp"

struct NoProject {
  using component_tag = distdiff::latent_transform_tag;
  std::vector<at::Tensor> init(const at::Tensor& z, at::Generator&) const { return {torch::zeros_like(z)}; }
  at::Tensor apply(const at::Tensor& z, const std::vector<at::Tensor>& p) const { return z + p[0]; }
  std::string name() const { return "no-project"; }
};

int main(int argc, char** argv) {
  using Wrong = distdiff::DistDiff<distdiff::with_transform<NoProject>>;
  return distdiff::expand_main(argc, argv, distdiff::Preset<Wrong>{}, "wrong");
}
