// expect-error: static assertion failed: DistDiff: slot `scheduler`.*lacks `at::Tensor step\(
// expect-component: NoStep
// Goes through the entry point a researcher calls (expand_main): the first
// diagnostic must name the slot and the missing member.
#include "distdiff/distdiff.hpp"

struct NoStep {
  using component_tag = distdiff::noise_scheduler_tag;
  distdiff::DdimScheduler ddim;
  std::vector<std::int64_t> timesteps(std::int64_t n) const { return ddim.timesteps(n); }
  std::int64_t img2img_start(std::int64_t n, double s) const { return ddim.img2img_start(n, s); }
  double alpha_bar(std::int64_t t) const { return ddim.alpha_bar(t); }
  at::Tensor add_noise(const at::Tensor& z, const at::Tensor& e, std::int64_t t) const { return ddim.add_noise(z, e, t); }
  at::Tensor predict_x0(const at::Tensor& z, const at::Tensor& e, std::int64_t t) const { return ddim.predict_x0(z, e, t); }
  std::string name() const { return "no-step"; }
};

int main(int argc, char** argv) {
  using Wrong = distdiff::DistDiff<distdiff::with_scheduler<NoStep>>;
  return distdiff::expand_main(argc, argv, distdiff::Preset<Wrong>{}, "wrong");
}
