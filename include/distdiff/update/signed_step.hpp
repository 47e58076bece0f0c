#pragma once
// SignedStep — p ← p − ρ·sign(∇p) (one FGSM-style step; reference v1, ρ = 0.1).
#include <torch/torch.h>

#include <string>

#include "distdiff/concepts/update.hpp"

namespace distdiff {

struct SignedStep {
  using component_tag = update_rule_tag;
  torch::Tensor update(const torch::Tensor& p, const torch::Tensor& g, double rho) const {
    return p - rho * torch::sign(g);
  }
  std::string name() const { return "signed-step"; }
};

static_assert(UpdateRule<SignedStep>);

}  // namespace distdiff
