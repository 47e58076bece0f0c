#pragma once
// GradientStep — p ← p − ρ·∇p (paper Eq. 4; reference HEAD with ρ = 10).
#include <torch/torch.h>

#include <string>

#include "distdiff/concepts/update.hpp"

namespace distdiff {

struct GradientStep {
  using component_tag = update_rule_tag;
  torch::Tensor update(const torch::Tensor& p, const torch::Tensor& g, double rho) const {
    return p - rho * g;
  }
  std::string name() const { return "gradient-step"; }
};

static_assert(UpdateRule<GradientStep>);

}  // namespace distdiff
