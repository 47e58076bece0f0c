#pragma once
// PrototypeStrategy — features and labels to per-class prototypes.
//
// Contract
//   s.build(features, labels, num_classes) -> at::Tensor
//     features: float [N, D]; labels: int64 [N] in [0, num_classes).
//     Returns [C, P, D]: P prototypes for each of the C classes. A class-level
//     strategy (class mean) returns P = 1; a group-level strategy returns P = K.
//     Every class must be non-empty; a class with fewer samples than the
//     strategy needs is an error naming the class (or a documented fallback).
//     Deterministic for a fixed configuration (seeded where random).
//   s.name() -> string.
//
// Runtime numbers (K, seed, whether to L2-normalise features first) are public
// members of the strategy with the paper's defaults.
//
// Minimal model:
//
//     struct FirstSample {
//       using component_tag = distdiff::prototype_strategy_tag;
//       at::Tensor build(const at::Tensor& f, const at::Tensor& y, std::int64_t c) const;
//       std::string name() const { return "first-sample"; }
//     };
#include "distdiff/concepts/component.hpp"

namespace distdiff {

struct prototype_strategy_tag {};

#define DISTDIFF_PROTOTYPE_STRATEGY_REQUIREMENTS(X)                                                 \
  X((HasTag<T, prototype_strategy_tag>), "`using component_tag = distdiff::prototype_strategy_tag;`") \
  X((Named<T>), "`std::string name() const`")                                                        \
  X((requires(const T& s, const at::Tensor& f, const at::Tensor& y, std::int64_t c) {                 \
      { s.build(f, y, c) } -> std::same_as<at::Tensor>;                                              \
    }),                                                                                              \
    "`at::Tensor build(const at::Tensor& features, const at::Tensor& labels, std::int64_t "          \
    "num_classes) const`")

template <class T>
concept PrototypeStrategy = DISTDIFF_PROTOTYPE_STRATEGY_REQUIREMENTS(DISTDIFF_REQUIREMENT_AND) true;

}  // namespace distdiff
