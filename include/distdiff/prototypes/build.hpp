#pragma once
// build_prototypes — hierarchical prototypes (paper §4.1) from labelled
// features: a class-level strategy (P = 1, e.g. ClassMean) gives p_c [C, D],
// a group-level strategy (P = K, e.g. AgglomerativeGroups<>) gives p_g [C, K, D].
//
//     auto protos = distdiff::build_prototypes(distdiff::ClassMean{},
//                                              distdiff::AgglomerativeGroups<>{},
//                                              features, labels, num_classes);
//
// The overload without a group strategy leaves `group_level` undefined (the
// class-only ablation of paper Table 3).
#include <torch/torch.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "distdiff/concepts/prototypes.hpp"
#include "distdiff/core/types.hpp"

namespace distdiff {

namespace detail {

template <PrototypeStrategy S>
at::Tensor run_strategy(const S& s, const at::Tensor& features, const at::Tensor& labels,
                        std::int64_t num_classes) {
  auto out = s.build(features, labels, num_classes);
  if (!out.defined() || out.dim() != 3 || out.size(0) != num_classes ||
      out.size(2) != features.size(1))
    throw std::runtime_error("build_prototypes: strategy '" + std::string(s.name()) +
                             "' returned a tensor that is not [C = " + std::to_string(num_classes) +
                             ", P, D = " + std::to_string(features.size(1)) + "]");
  return out;
}

}  // namespace detail

// Class-level prototypes only; group_level stays undefined.
template <PrototypeStrategy ClassStrategy>
Prototypes build_prototypes(const ClassStrategy& class_strategy, const at::Tensor& features,
                            const at::Tensor& labels, std::int64_t num_classes) {
  auto c = detail::run_strategy(class_strategy, features, labels, num_classes);
  if (c.size(1) != 1)
    throw std::invalid_argument("build_prototypes: the class-level strategy '" +
                                std::string(class_strategy.name()) + "' returned P = " +
                                std::to_string(c.size(1)) + " prototypes per class, expected 1");
  Prototypes p;
  p.class_level = c.squeeze(1).contiguous();
  return p;
}

// Class-level [C, D] and group-level [C, K, D] prototypes.
template <PrototypeStrategy ClassStrategy, PrototypeStrategy GroupStrategy>
Prototypes build_prototypes(const ClassStrategy& class_strategy,
                            const GroupStrategy& group_strategy, const at::Tensor& features,
                            const at::Tensor& labels, std::int64_t num_classes) {
  auto p = build_prototypes(class_strategy, features, labels, num_classes);
  p.group_level = detail::run_strategy(group_strategy, features, labels, num_classes).contiguous();
  return p;
}

}  // namespace distdiff
