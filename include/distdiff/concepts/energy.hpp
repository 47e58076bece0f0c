#pragma once
// EnergyTerm — one term of the guidance energy, per sample (lower is better).
//
// Contract
//   t.energy(inputs) -> at::Tensor
//     inputs: distdiff::EnergyInputs (core/types.hpp): the features θ(x) of the
//     decoded x0-prediction [B, D], the labels [B], the hierarchical prototypes,
//     and optional context (features of the seed images, class text features)
//     for terms that need it. Returns [B], differentiable w.r.t. the features.
//   t.weight -> double, a public member: the term's weight in the total energy.
//   t.name() -> string.
//
// A composition lists several terms at compile time (energy/energy_list.hpp);
// the total energy is Σ weight·term, reduced over the batch by the mean.
//
// Minimal model:
//
//     struct FeatureNorm {
//       using component_tag = distdiff::energy_tag;
//       double weight = 1.0;
//       at::Tensor energy(const distdiff::EnergyInputs& in) const;  // ‖θ(x)‖₂
//       std::string name() const { return "feature-norm"; }
//     };
#include "distdiff/concepts/component.hpp"

namespace distdiff {

struct energy_tag {};

#define DISTDIFF_ENERGY_TERM_REQUIREMENTS(X)                                                        \
  X((HasTag<T, energy_tag>), "`using component_tag = distdiff::energy_tag;`")                        \
  X((Named<T>), "`std::string name() const`")                                                        \
  X((requires(const T& t, const EnergyInputs& in) {                                                  \
      { t.energy(in) } -> std::same_as<at::Tensor>;                                                  \
    }),                                                                                              \
    "`at::Tensor energy(const distdiff::EnergyInputs&) const`")                                      \
  X((requires(const T& t) {                                                                          \
      { t.weight } -> std::convertible_to<double>;                                                   \
    }),                                                                                              \
    "a `double weight` member")

template <class T>
concept EnergyTerm = DISTDIFF_ENERGY_TERM_REQUIREMENTS(DISTDIFF_REQUIREMENT_AND) true;

}  // namespace distdiff
