#pragma once
// ClassMean — class-level prototypes p_c (paper §4.1): the mean feature vector
// of each class, P = 1.
//
//   features [N, D] --(L2-normalise rows if `normalize`)--> mean per class
//                   --(L2-normalise if `renormalize`)--> [C, 1, D]
//
// The reference implementation L2-normalises every CLIP feature, averages per
// class and re-normalises the prototypes when it loads them: both flags are on
// by default. The result has the features' dtype and device; the arithmetic is
// float64 on the CPU.
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <xtensor/xtensor.hpp>

#include <array>
#include <cstdint>
#include <string>

#include "distdiff/concepts/prototypes.hpp"
#include "distdiff/prototypes/detail/common.hpp"

namespace distdiff {

struct ClassMean {
  using component_tag = prototype_strategy_tag;

  bool normalize = true;     // L2-normalise each feature vector before averaging
  bool renormalize = true;   // L2-normalise each prototype after averaging

  at::Tensor build(const at::Tensor& features, const at::Tensor& labels,
                   std::int64_t num_classes) const {
    const auto split =
        detail::split_by_class(features, labels, num_classes, normalize, 1, "ClassMean");
    const std::size_t dim = split.features.shape(1);
    xt::xtensor<double, 3> out = xt::zeros<double>(
        std::array<std::size_t, 3>{static_cast<std::size_t>(num_classes), 1, dim});
    for (std::size_t c = 0; c < split.members.size(); ++c) {
      const auto& idx = split.members[c];
      for (const auto i : idx)
        for (std::size_t j = 0; j < dim; ++j) out(c, 0, j) += split.features(static_cast<std::size_t>(i), j);
      for (std::size_t j = 0; j < dim; ++j) out(c, 0, j) /= static_cast<double>(idx.size());
    }
    return detail::prototypes_to_tensor(out, renormalize, features);
  }

  std::string name() const { return "class-mean"; }
  nlohmann::json params() const { return {{"normalize", normalize}, {"renormalize", renormalize}}; }
};

static_assert(PrototypeStrategy<ClassMean>);

}  // namespace distdiff
