#pragma once
// ClassDistance — D^c_θ(x, p_c) = ‖θ(x) − p_c‖₂ (paper Eq. 1): unsquared L2
// distance between the (L2-normalised) feature and its class prototype.
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <string>

#include "distdiff/concepts/energy.hpp"
#include "distdiff/core/types.hpp"

namespace distdiff {

struct ClassDistance {
  using component_tag = energy_tag;
  double weight = 1.0;
  bool normalize = true;   // L2-normalise θ(x) first (reference: yes)

  torch::Tensor energy(const EnergyInputs& in) const {
    const auto& protos = in.protos();
    TORCH_CHECK(protos.class_level.defined(), "ClassDistance: no class-level prototypes");
    TORCH_CHECK(in.features.dim() == 2 && in.features.size(1) == protos.class_level.size(1),
                "ClassDistance: features ", in.features.sizes(),
                " do not match class prototypes ", protos.class_level.sizes());
    const auto f = normalize ? torch::nn::functional::normalize(
                                   in.features, torch::nn::functional::NormalizeFuncOptions().dim(1))
                             : in.features;
    const auto p = protos.class_level.index_select(0, in.labels).to(f.scalar_type());
    return (f - p).norm(2, {1});
  }
  std::string name() const { return "class-distance"; }
  nlohmann::json params() const { return {{"weight", weight}, {"normalize", normalize}}; }
  static constexpr bool reads_class_prototypes = true;
  static constexpr bool reads_group_prototypes = false;
};

static_assert(EnergyTerm<ClassDistance>);

}  // namespace distdiff
