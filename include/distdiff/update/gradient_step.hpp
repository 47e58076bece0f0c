#pragma once
// GradientStep — p ← p − ρ·∇p (paper Eq. 4; reference HEAD with ρ = 10, the
// default here). ρ is this rule's number: `--rho` sets it.
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <string>

#include "distdiff/concepts/update.hpp"

namespace distdiff {

struct GradientStep {
  using component_tag = update_rule_tag;
  double rho = 10.0;   // step size ρ (reference HEAD)
  torch::Tensor update(const torch::Tensor& p, const torch::Tensor& g) const {
    return p - rho * g;
  }
  std::string name() const { return "gradient-step"; }
  nlohmann::json params() const { return {{"rho", rho}}; }
};

static_assert(UpdateRule<GradientStep>);

}  // namespace distdiff
