#pragma once
// SignedStep — p ← p − ρ·sign(∇p) (one FGSM-style step; reference v1, ρ = 0.1).
// ρ is this rule's number: `--rho` sets it.
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <string>

#include "distdiff/concepts/update.hpp"

namespace distdiff {

struct SignedStep {
  using component_tag = update_rule_tag;
  double rho = 0.1;   // step size ρ (reference v1)
  torch::Tensor update(const torch::Tensor& p, const torch::Tensor& g) const {
    return p - rho * torch::sign(g);
  }
  std::string name() const { return "signed-step"; }
  nlohmann::json params() const { return {{"rho", rho}}; }
};

static_assert(UpdateRule<SignedStep>);

}  // namespace distdiff
