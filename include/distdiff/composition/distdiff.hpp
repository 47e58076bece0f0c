#pragma once
// DistDiff<Options...> — the paper's method as a composition of policies.
//
//     DistDiff<> method;                 // the paper: class + group prototypes,
//     method.group_prototypes.k = 3;     // agglomerative (average) groups, K = 3,
//     method.schedule.m = 30;            // one optimisation step at M = 30, …
//
// Slots (type alias / instance member) and their defaults:
//   class_prototypes  ClassMean                                 (§4.1)
//   group_prototypes  AgglomerativeGroups<AverageLinkage>        (§4.1, K = 3)
//   energy            energy_list<ClassDistance, GroupDistance>  (Eq. 1 + 2)
//   transform         ResidualMultiplicative<SharedAcrossBatch>  (Eq. 3)
//   schedule          SingleStep{M = 30, look-ahead 2}           (Table 4)
//   update            SignedStep (ρ in GuidanceConfig)           (reference v1)
//   scheduler         DdimScheduler                              (§5.2)
// The numbers (K, M, ρ, ε, steps, strength, CFG scale) are runtime values:
// members of the slot instances, or of GuidanceConfig.
//
// The composition is checked where it is used (GuidedSampler, expand), with one
// message per missing requirement: see composition/check.hpp.
#include <string>
#include <string_view>

#include "distdiff/composition/options.hpp"
#include "distdiff/energy/class_distance.hpp"
#include "distdiff/energy/energy_list.hpp"
#include "distdiff/energy/group_distance.hpp"
#include "distdiff/prototypes/agglomerative.hpp"
#include "distdiff/prototypes/class_mean.hpp"
#include "distdiff/sampler/ddim.hpp"
#include "distdiff/schedule/single_step.hpp"
#include "distdiff/transform/residual_multiplicative.hpp"
#include "distdiff/update/signed_step.hpp"

namespace distdiff {

template <class... Options>
struct DistDiff {
  static_assert((detail::is_option<Options> && ...),
                "DistDiff<...>: every argument must be a slot selector such as with_energy<...>, "
                "with_update<...>, with_schedule<...> (see docs/compositions.md)");
  static_assert(detail::slots_unique<Options...>,
                "DistDiff<...>: the same slot is selected twice");

  using class_prototypes_type = typename detail::pick_t<slot::class_prototypes, with_class_prototypes<ClassMean>, Options...>::type;
  using group_prototypes_type =
      typename detail::pick_t<slot::group_prototypes, with_group_prototypes<AgglomerativeGroups<>>, Options...>::type;
  using energy_type =
      typename detail::pick_t<slot::energy, with_energy<ClassDistance, GroupDistance>, Options...>::type;
  using transform_type =
      typename detail::pick_t<slot::transform, with_transform<ResidualMultiplicative<>>, Options...>::type;
  using schedule_type = typename detail::pick_t<slot::schedule, with_schedule<SingleStep>, Options...>::type;
  using update_type = typename detail::pick_t<slot::update, with_update<SignedStep>, Options...>::type;
  using scheduler_type = typename detail::pick_t<slot::scheduler, with_scheduler<DdimScheduler>, Options...>::type;
  static constexpr std::string_view label = detail::label_of<Options...>::value;

  class_prototypes_type class_prototypes{};
  group_prototypes_type group_prototypes{};
  energy_type energy{};
  transform_type transform{};
  schedule_type schedule{};
  update_type update{};
  scheduler_type scheduler{};

  // One line naming every slot's component, for manifests.
  std::string describe() const {
    return std::string(label) + " [class=" + class_prototypes.name() + ", group=" +
           group_prototypes.name() + ", energy=" + energy.name() + ", transform=" +
           transform.name() + ", schedule=" + schedule.name() + ", update=" + update.name() +
           ", sampler=" + scheduler.name() + "]";
  }
};

}  // namespace distdiff
