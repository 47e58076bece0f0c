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
template <class T>
struct energy_terms_tagged : std::false_type {};
template <class... Ts>
struct energy_terms_tagged<energy_list<Ts...>> : std::bool_constant<(HasTag<Ts, energy_tag> && ...)> {};

template <class C>
concept HasAllSlots = requires {
  typename C::class_prototypes_type;
  typename C::group_prototypes_type;
  typename C::energy_type;
  typename C::transform_type;
  typename C::schedule_type;
  typename C::update_type;
  typename C::scheduler_type;
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
           NoiseScheduler<typename C::scheduler_type>;
  }
}();

// Tag present but structure missing, per family (only reported when the tag is right).
template <class T, class Tag, bool Models>
inline constexpr bool tagged_but_broken = HasTag<T, Tag> && !Models;

template <class C>
constexpr void report_composition() {
  static_assert(HasAllSlots<C>,
                "distdiff: the method must be a composition such as DistDiff<...> "
                "(it lacks the slot type aliases class_prototypes_type, energy_type, ...)");
  if constexpr (HasAllSlots<C>) {
    using CP = typename C::class_prototypes_type;
    using GP = typename C::group_prototypes_type;
    using E = typename C::energy_type;
    using TR = typename C::transform_type;
    using S = typename C::schedule_type;
    using U = typename C::update_type;
    using N = typename C::scheduler_type;
    static_assert(HasTag<CP, prototype_strategy_tag>,
                  "DistDiff: slot `class_prototypes` needs a PrototypeStrategy: its type lacks "
                  "`using component_tag = distdiff::prototype_strategy_tag;` (docs/concepts.md)");
    static_assert(!tagged_but_broken<CP, prototype_strategy_tag, PrototypeStrategy<CP>>,
                  "DistDiff: slot `class_prototypes`: needs `at::Tensor build(const at::Tensor& features, "
                  "const at::Tensor& labels, std::int64_t num_classes) const` and `std::string name() const`");
    static_assert(HasTag<GP, prototype_strategy_tag>,
                  "DistDiff: slot `group_prototypes` needs a PrototypeStrategy: its type lacks "
                  "`using component_tag = distdiff::prototype_strategy_tag;` (docs/concepts.md)");
    static_assert(!tagged_but_broken<GP, prototype_strategy_tag, PrototypeStrategy<GP>>,
                  "DistDiff: slot `group_prototypes`: needs `at::Tensor build(const at::Tensor& features, "
                  "const at::Tensor& labels, std::int64_t num_classes) const` and `std::string name() const`");
    static_assert(energy_terms_tagged<E>::value,
                  "DistDiff: slot `energy`: every term of with_energy<...> must be an EnergyTerm; one "
                  "lacks `using component_tag = distdiff::energy_tag;` (docs/concepts.md)");
    static_assert(!energy_terms_tagged<E>::value || energy_terms_valid<E>::value,
                  "DistDiff: slot `energy`: every term needs `at::Tensor energy(const distdiff::EnergyInputs&) "
                  "const`, a `double weight` member and `std::string name() const`");
    static_assert(HasTag<TR, latent_transform_tag>,
                  "DistDiff: slot `transform` needs a LatentTransform: its type lacks "
                  "`using component_tag = distdiff::latent_transform_tag;` (docs/concepts.md)");
    static_assert(!tagged_but_broken<TR, latent_transform_tag, LatentTransform<TR>>,
                  "DistDiff: slot `transform`: needs init(z, gen), apply(z, params), project(z_tilde, z, eps) "
                  "and name() as documented in concepts/transform.hpp");
    static_assert(HasTag<S, guidance_schedule_tag>,
                  "DistDiff: slot `schedule` needs a GuidanceSchedule: its type lacks "
                  "`using component_tag = distdiff::guidance_schedule_tag;` (docs/concepts.md)");
    static_assert(!tagged_but_broken<S, guidance_schedule_tag, GuidanceSchedule<S>>,
                  "DistDiff: slot `schedule`: needs `std::vector<std::int64_t> steps() const`, "
                  "`std::int64_t lookahead() const` and `std::string name() const`");
    static_assert(HasTag<U, update_rule_tag>,
                  "DistDiff: slot `update` needs an UpdateRule: its type lacks "
                  "`using component_tag = distdiff::update_rule_tag;` (docs/concepts.md)");
    static_assert(!tagged_but_broken<U, update_rule_tag, UpdateRule<U>>,
                  "DistDiff: slot `update`: needs `at::Tensor update(const at::Tensor& param, const "
                  "at::Tensor& grad, double rho) const` and `std::string name() const`");
    static_assert(HasTag<N, noise_scheduler_tag>,
                  "DistDiff: slot `scheduler` needs a NoiseScheduler: its type lacks "
                  "`using component_tag = distdiff::noise_scheduler_tag;` (docs/concepts.md)");
    static_assert(!tagged_but_broken<N, noise_scheduler_tag, NoiseScheduler<N>>,
                  "DistDiff: slot `scheduler`: needs timesteps, alpha_bar, add_noise, predict_x0, step "
                  "and name as documented in concepts/sampler.hpp");
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
