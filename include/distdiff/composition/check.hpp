#pragma once
// Entry-point checks of a composition: one static_assert per requirement, each
// naming the slot and what is missing. Entry points call
//     detail::report_composition<C>();
//     if constexpr (detail::composition_valid<C>) { … }
// so a wrong composition gives the readable messages and nothing else.
#include <type_traits>

#include "distdiff/concepts.hpp"
#include "distdiff/composition/options.hpp"

namespace distdiff {
namespace detail {

template <class T>
struct energy_terms_valid : std::false_type {};
template <class... Ts>
struct energy_terms_valid<energy_list<Ts...>> : std::bool_constant<(EnergyTerm<Ts> && ...)> {};

template <class C>
concept HasAllSlots = requires {
  typename C::class_prototypes_type;
  typename C::group_prototypes_type;
  typename C::energy_type;
  typename C::transform_type;
  typename C::schedule_type;
  typename C::update_type;
  typename C::scheduler_type;
  typename C::features_type;
};

template <class C>
inline constexpr bool composition_valid = [] {
  if constexpr (!HasAllSlots<C>) {
    return false;
  } else {
    return PrototypeStrategy<typename C::class_prototypes_type> &&
           PrototypeStrategy<typename C::group_prototypes_type> &&
           energy_terms_valid<typename C::energy_type>::value &&
           LatentTransform<typename C::transform_type> &&
           GuidanceSchedule<typename C::schedule_type> && UpdateRule<typename C::update_type> &&
           NoiseScheduler<typename C::scheduler_type> && FeatureExtractor<typename C::features_type>;
  }
}();

// One static_assert per row of the concept's requirement table
// (concepts/*.hpp), each naming the slot, the concept and the member; the
// compiler's "In instantiation of … [with T = <component>]" line above it
// names the component.
#define DISTDIFF_DETAIL_SLOT_CHECK(function, table)                                            \
  template <class T>                                                                          \
  constexpr void function() {                                                                 \
    table(DISTDIFF_DETAIL_SLOT_ASSERT_##function)                                             \
  }
#define DISTDIFF_DETAIL_ASSERT(slot_text, concept_text, condition, member)                    \
  static_assert(condition, "DistDiff: slot `" slot_text "` (concept " concept_text         \
                           "): the component lacks " member);

#define DISTDIFF_DETAIL_SLOT_ASSERT_check_class_prototypes(c, m) \
  DISTDIFF_DETAIL_ASSERT("class_prototypes", "PrototypeStrategy, concepts/prototypes.hpp", c, m)
#define DISTDIFF_DETAIL_SLOT_ASSERT_check_group_prototypes(c, m) \
  DISTDIFF_DETAIL_ASSERT("group_prototypes", "PrototypeStrategy, concepts/prototypes.hpp", c, m)
#define DISTDIFF_DETAIL_SLOT_ASSERT_check_energy_term(c, m) \
  DISTDIFF_DETAIL_ASSERT("energy", "EnergyTerm of with_energy<...>, concepts/energy.hpp", c, m)
#define DISTDIFF_DETAIL_SLOT_ASSERT_check_transform(c, m) \
  DISTDIFF_DETAIL_ASSERT("transform", "LatentTransform, concepts/transform.hpp", c, m)
#define DISTDIFF_DETAIL_SLOT_ASSERT_check_schedule(c, m) \
  DISTDIFF_DETAIL_ASSERT("schedule", "GuidanceSchedule, concepts/schedule.hpp", c, m)
#define DISTDIFF_DETAIL_SLOT_ASSERT_check_update(c, m) \
  DISTDIFF_DETAIL_ASSERT("update", "UpdateRule, concepts/update.hpp", c, m)
#define DISTDIFF_DETAIL_SLOT_ASSERT_check_scheduler(c, m) \
  DISTDIFF_DETAIL_ASSERT("scheduler", "NoiseScheduler, concepts/sampler.hpp", c, m)
#define DISTDIFF_DETAIL_SLOT_ASSERT_check_features(c, m) \
  DISTDIFF_DETAIL_ASSERT("features", "FeatureExtractor, concepts/features.hpp", c, m)

DISTDIFF_DETAIL_SLOT_CHECK(check_class_prototypes, DISTDIFF_PROTOTYPE_STRATEGY_REQUIREMENTS)
DISTDIFF_DETAIL_SLOT_CHECK(check_group_prototypes, DISTDIFF_PROTOTYPE_STRATEGY_REQUIREMENTS)
DISTDIFF_DETAIL_SLOT_CHECK(check_energy_term, DISTDIFF_ENERGY_TERM_REQUIREMENTS)
DISTDIFF_DETAIL_SLOT_CHECK(check_transform, DISTDIFF_LATENT_TRANSFORM_REQUIREMENTS)
DISTDIFF_DETAIL_SLOT_CHECK(check_schedule, DISTDIFF_GUIDANCE_SCHEDULE_REQUIREMENTS)
DISTDIFF_DETAIL_SLOT_CHECK(check_update, DISTDIFF_UPDATE_RULE_REQUIREMENTS)
DISTDIFF_DETAIL_SLOT_CHECK(check_scheduler, DISTDIFF_NOISE_SCHEDULER_REQUIREMENTS)
DISTDIFF_DETAIL_SLOT_CHECK(check_features, DISTDIFF_FEATURE_EXTRACTOR_REQUIREMENTS)

template <class T>
struct check_energy_terms {
  static constexpr void run() {
    static_assert(sizeof(T) == 0, "DistDiff: slot `energy` must hold with_energy<Terms...> (an energy_list)");
  }
};
template <class... Ts>
struct check_energy_terms<energy_list<Ts...>> {
  static constexpr void run() { (check_energy_term<Ts>(), ...); }
};

// Entry points call this first: a wrong composition gives these messages,
// in slot order, and nothing else (the entry point's body is discarded with
// `if constexpr (detail::composition_valid<C>)`).
template <class C>
constexpr void report_composition() {
  static_assert(HasAllSlots<C>,
                "distdiff: the method must be a composition such as DistDiff<...> "
                "(it lacks the slot type aliases class_prototypes_type, energy_type, ...)");
  if constexpr (HasAllSlots<C>) {
    check_class_prototypes<typename C::class_prototypes_type>();
    check_group_prototypes<typename C::group_prototypes_type>();
    check_energy_terms<typename C::energy_type>::run();
    check_transform<typename C::transform_type>();
    check_schedule<typename C::schedule_type>();
    check_update<typename C::update_type>();
    check_scheduler<typename C::scheduler_type>();
    check_features<typename C::features_type>();
  }
}

// The model set: one message per part.
template <class M>
concept HasModelParts = requires(const M& m) {
  m.denoiser;
  m.encoder;
  m.decoder;
  m.text;
  m.features;
};

template <class M>
inline constexpr bool models_valid = [] {
  if constexpr (!HasModelParts<M>) {
    return false;
  } else {
    return Denoiser<std::remove_cvref_t<decltype(std::declval<M>().denoiser)>> &&
           LatentEncoder<std::remove_cvref_t<decltype(std::declval<M>().encoder)>> &&
           Decoder<std::remove_cvref_t<decltype(std::declval<M>().decoder)>> &&
           TextEncoder<std::remove_cvref_t<decltype(std::declval<M>().text)>> &&
           FeatureExtractor<std::remove_cvref_t<decltype(std::declval<M>().features)>>;
  }
}();

template <class M>
constexpr void report_models() {
  static_assert(HasModelParts<M>,
                "distdiff: the model set needs members denoiser, encoder, decoder, text and features "
                "(use distdiff::ModelSet<...>)");
  if constexpr (HasModelParts<M>) {
    static_assert(Denoiser<std::remove_cvref_t<decltype(std::declval<M>().denoiser)>>,
                  "distdiff: ModelSet::denoiser must model distdiff::Denoiser (concepts/models.hpp)");
    static_assert(LatentEncoder<std::remove_cvref_t<decltype(std::declval<M>().encoder)>>,
                  "distdiff: ModelSet::encoder must model distdiff::LatentEncoder (concepts/models.hpp)");
    static_assert(Decoder<std::remove_cvref_t<decltype(std::declval<M>().decoder)>>,
                  "distdiff: ModelSet::decoder must model distdiff::Decoder (concepts/models.hpp)");
    static_assert(TextEncoder<std::remove_cvref_t<decltype(std::declval<M>().text)>>,
                  "distdiff: ModelSet::text must model distdiff::TextEncoder (concepts/models.hpp)");
    static_assert(FeatureExtractor<std::remove_cvref_t<decltype(std::declval<M>().features)>>,
                  "distdiff: ModelSet::features must model distdiff::FeatureExtractor (concepts/features.hpp)");
  }
}

}  // namespace detail
}  // namespace distdiff
