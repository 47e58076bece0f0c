#pragma once
// DistDiff<Options...> — the paper's method as a composition of policies.
//
//     DistDiff<> method;                 // the paper: class + group prototypes,
//     method.group_prototypes.k = 3;     // agglomerative (average) groups, K = 3,
//     method.schedule.m = 30;            // one optimisation step at M = 30, …
//     method.update.rho = 0.1;           // ρ of the signed step
//
// Slots (type alias / instance member) and their defaults:
//   class_prototypes  ClassMean                                 (§4.1)
//   group_prototypes  AgglomerativeGroups<AverageLinkage>       (§4.1, K = 3)
//   energy            energy_list<ClassDistance, GroupDistance>  (Eq. 1 + 2)
//   transform         ResidualMultiplicative<SharedAcrossBatch>  (Eq. 3, ε = 0.8)
//   schedule          SingleStep{M = 30, look-ahead 2}           (Table 4)
//   update            SignedStep{ρ = 0.1}                        (reference v1)
//   scheduler         DdimScheduler                              (§5.2)
//   features          ModelSetFeatures (θ = the model set's extractor: CLIP for SD)
// Each number has one home: the component that reads it (K in the group
// strategy, M in the schedule, ρ in the update rule, ε in the transform).
// GuidanceConfig (composition/preset.hpp) keeps the sampler's own numbers.
//
// params() serialises the whole composition (every slot's name and numbers);
// run.json records it and a resumed run must match it. The composition is
// checked where it is used (expand_main, expand, GuidedSampler), with one
// message per missing member: see composition/check.hpp.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "distdiff/composition/options.hpp"
#include "distdiff/composition/params.hpp"
#include "distdiff/energy/class_distance.hpp"
#include "distdiff/energy/energy_list.hpp"
#include "distdiff/energy/group_distance.hpp"
#include "distdiff/features/model_set_features.hpp"
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
  using features_type = typename detail::pick_t<slot::features, with_features<ModelSetFeatures>, Options...>::type;
  static constexpr std::string_view label = detail::label_of<Options...>::value;

  class_prototypes_type class_prototypes{};
  group_prototypes_type group_prototypes{};
  energy_type energy{};
  transform_type transform{};
  schedule_type schedule{};
  update_type update{};
  scheduler_type scheduler{};
  features_type features{};

  // One line naming every slot's component and its numbers, for manifests.
  std::string describe() const {
    return std::string(label) + " [class=" + detail::describe_component(class_prototypes) +
           ", group=" + detail::describe_component(group_prototypes) + ", energy=" + describe_energy() +
           ", transform=" + detail::describe_component(transform) +
           ", schedule=" + detail::describe_component(schedule) + ", update=" + detail::describe_component(update) +
           ", sampler=" + detail::describe_component(scheduler) + ", features=" + detail::describe_component(features) +
           "]";
  }

  // The serialised composition: label and, per slot, the component's name and numbers.
  nlohmann::json params() const {
    return {{"label", std::string(label)},
            {"class_prototypes", detail::serialise_component(class_prototypes)},
            {"group_prototypes", detail::serialise_component(group_prototypes)},
            {"energy", energy.params()},
            {"transform", detail::serialise_component(transform)},
            {"schedule", detail::serialise_component(schedule)},
            {"update", detail::serialise_component(update)},
            {"scheduler", detail::serialise_component(scheduler)},
            {"features", detail::serialise_component(features)}};
  }

 private:
  std::string describe_energy() const {
    std::string s;
    for (const auto& t : energy.params()) {
      if (!s.empty()) s += "+";
      s += t["name"].template get<std::string>() + "(" + detail::format_params(t["params"]) + ")";
    }
    return s.empty() ? std::string("none") : s;
  }
};

}  // namespace distdiff
