#pragma once
// GroupDistance — D^g_θ(x, p_g) = ‖θ(x) − p_g^j‖₂ with j the group prototype of
// x's class most cosine-similar to θ(x) (paper Eq. 2). The choice of j is not
// differentiated (argmax), the distance is.
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <string>

#include "distdiff/concepts/energy.hpp"
#include "distdiff/core/types.hpp"

namespace distdiff {

struct GroupDistance {
  using component_tag = energy_tag;
  double weight = 1.0;
  bool normalize = true;

  torch::Tensor energy(const EnergyInputs& in) const {
    const auto& protos = in.protos();
    TORCH_CHECK(protos.group_level.defined(),
                "GroupDistance: no group-level prototypes (give the composition a group strategy)");
    TORCH_CHECK(in.features.dim() == 2 && in.features.size(1) == protos.group_level.size(2),
                "GroupDistance: features ", in.features.sizes(),
                " do not match group prototypes ", protos.group_level.sizes());
    namespace F = torch::nn::functional;
    const auto f = normalize ? F::normalize(in.features, F::NormalizeFuncOptions().dim(1)) : in.features;
    const auto g = protos.group_level.index_select(0, in.labels).to(f.scalar_type());  // [B,K,D]
    torch::Tensor j;
    {
      torch::NoGradGuard no_grad;
      const auto cos = F::cosine_similarity(f.unsqueeze(1), g, F::CosineSimilarityFuncOptions().dim(2));
      j = cos.argmax(1);  // [B]
    }
    const auto chosen = g.gather(1, j.view({-1, 1, 1}).expand({-1, 1, g.size(2)})).squeeze(1);
    return (f - chosen).norm(2, {1});
  }
  std::string name() const { return "group-distance"; }
  nlohmann::json params() const { return {{"weight", weight}, {"normalize", normalize}}; }
  static constexpr bool reads_class_prototypes = false;
  static constexpr bool reads_group_prototypes = true;
};

static_assert(EnergyTerm<GroupDistance>);

}  // namespace distdiff
