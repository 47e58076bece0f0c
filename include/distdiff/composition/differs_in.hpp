#pragma once
// differs_in<A, B, Slots...> — true when compositions A and B hold different
// component types in exactly the named slots and the same types in every
// other slot. Named compositions state their difference from Paper with it:
//
//     using ClassPrototypesOnly = DistDiff<with_energy<ClassDistance>, with_label<"class-prototypes-only">>;
//     static_assert(differs_in<ClassPrototypesOnly, Paper, slot::energy>);
//
// An ablation that by mistake also changes a second slot (or names a slot it
// does not change) fails to compile. Labels are not slots of the comparison.
#include <type_traits>

#include "distdiff/composition/options.hpp"

namespace distdiff {
namespace detail {

template <class C, class Slot>
struct slot_type;
template <class C> struct slot_type<C, slot::class_prototypes> { using type = typename C::class_prototypes_type; };
template <class C> struct slot_type<C, slot::group_prototypes> { using type = typename C::group_prototypes_type; };
template <class C> struct slot_type<C, slot::energy> { using type = typename C::energy_type; };
template <class C> struct slot_type<C, slot::transform> { using type = typename C::transform_type; };
template <class C> struct slot_type<C, slot::schedule> { using type = typename C::schedule_type; };
template <class C> struct slot_type<C, slot::update> { using type = typename C::update_type; };
template <class C> struct slot_type<C, slot::scheduler> { using type = typename C::scheduler_type; };
template <class C> struct slot_type<C, slot::features> { using type = typename C::features_type; };

template <class A, class B, class Slot>
inline constexpr bool slot_differs = !std::is_same_v<typename slot_type<A, Slot>::type, typename slot_type<B, Slot>::type>;

template <class A, class B, class Slot, class... Named>
inline constexpr bool slot_as_stated = slot_differs<A, B, Slot> == (std::is_same_v<Slot, Named> || ...);

}  // namespace detail

template <class A, class B, class... Slots>
inline constexpr bool differs_in =
    detail::slot_as_stated<A, B, slot::class_prototypes, Slots...> &&
    detail::slot_as_stated<A, B, slot::group_prototypes, Slots...> &&
    detail::slot_as_stated<A, B, slot::energy, Slots...> && detail::slot_as_stated<A, B, slot::transform, Slots...> &&
    detail::slot_as_stated<A, B, slot::schedule, Slots...> && detail::slot_as_stated<A, B, slot::update, Slots...> &&
    detail::slot_as_stated<A, B, slot::scheduler, Slots...> && detail::slot_as_stated<A, B, slot::features, Slots...>;

}  // namespace distdiff
