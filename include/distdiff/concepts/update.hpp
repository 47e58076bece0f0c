#pragma once
// UpdateRule — how a transform parameter moves given its energy gradient.
//
// Contract
//   u.update(param, grad) -> at::Tensor
//     The new value of `param` (same shape) after one step against `grad`.
//     Called without autograd recording. The step size ρ is the rule's own
//     number (a member): signed step param − ρ·sign(grad) (reference v1,
//     ρ = 0.1), gradient step param − ρ·grad (Eq. 4; reference HEAD ρ = 10).
//   u.name() -> string.
//
// Minimal model:
//
//     struct HalfStep {
//       using component_tag = distdiff::update_rule_tag;
//       double rho = 0.5;
//       at::Tensor update(const at::Tensor& p, const at::Tensor& g) const;
//       std::string name() const { return "half-step"; }
//     };
#include "distdiff/concepts/component.hpp"

namespace distdiff {

struct update_rule_tag {};

// The requirements, one line each: the concept below and the entry-point
// checks (composition/check.hpp, one message per missing member) are both
// generated from this table.
#define DISTDIFF_UPDATE_RULE_REQUIREMENTS(X)                                                        \
  X((HasTag<T, update_rule_tag>), "`using component_tag = distdiff::update_rule_tag;`")             \
  X((Named<T>), "`std::string name() const`")                                                        \
  X((requires(const T& u, const at::Tensor& p, const at::Tensor& g) {                                \
      { u.update(p, g) } -> std::same_as<at::Tensor>;                                                \
    }),                                                                                              \
    "`at::Tensor update(const at::Tensor& param, const at::Tensor& grad) const`")

template <class T>
concept UpdateRule = DISTDIFF_UPDATE_RULE_REQUIREMENTS(DISTDIFF_REQUIREMENT_AND) true;

}  // namespace distdiff
