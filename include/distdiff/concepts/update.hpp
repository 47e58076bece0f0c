#pragma once
// UpdateRule — how a transform parameter moves given its energy gradient.
//
// Contract
//   u.update(param, grad, rho) -> at::Tensor
//     The new value of `param` (same shape) after one step of size rho against
//     `grad`. Called without autograd recording. Examples: signed step
//     param − ρ·sign(grad) (reference v1), gradient step param − ρ·grad (Eq. 4).
//   u.name() -> string.
//
// Minimal model:
//
//     struct HalfStep {
//       using component_tag = distdiff::update_rule_tag;
//       at::Tensor update(const at::Tensor& p, const at::Tensor& g, double rho) const;
//       std::string name() const { return "half-step"; }
//     };
#include "distdiff/concepts/component.hpp"

namespace distdiff {

struct update_rule_tag {};

template <class T>
concept UpdateRule =
    HasTag<T, update_rule_tag> && Named<T> &&
    requires(const T& u, const at::Tensor& p, const at::Tensor& g, double rho) {
      { u.update(p, g, rho) } -> std::same_as<at::Tensor>;
    };

}  // namespace distdiff
