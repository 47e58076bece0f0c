#pragma once
// Slot selectors for DistDiff<...>. Each names one slot of the composition and
// the component that fills it; every slot not named keeps the paper's default.
//
//     using NoGroupPrototypes = DistDiff<with_energy<ClassDistance>>;
//     using GradientUpdates   = DistDiff<with_update<GradientStep>>;
#include <algorithm>
#include <cstddef>
#include <string_view>
#include <type_traits>

namespace distdiff {

template <class... Terms>
struct energy_list;

namespace slot {
struct class_prototypes {};
struct group_prototypes {};
struct energy {};
struct transform {};
struct schedule {};
struct update {};
struct scheduler {};
struct features {};
struct label {};
}  // namespace slot

namespace detail {
// A string usable as a template argument: with_label<"table4-M20">.
template <std::size_t N>
struct fixed_string {
  char value[N]{};
  constexpr fixed_string(const char (&s)[N]) { std::copy_n(s, N, value); }
  constexpr std::string_view view() const { return {value, N - 1}; }
};
}  // namespace detail

template <class T>
struct with_class_prototypes { using slot = slot::class_prototypes; using type = T; };
template <class T>
struct with_group_prototypes { using slot = slot::group_prototypes; using type = T; };
template <class... Terms>
struct with_energy { using slot = slot::energy; using type = energy_list<Terms...>; };
template <class T>
struct with_transform { using slot = slot::transform; using type = T; };
template <class T>
struct with_schedule { using slot = slot::schedule; using type = T; };
template <class T>
struct with_update { using slot = slot::update; using type = T; };
template <class T>
struct with_scheduler { using slot = slot::scheduler; using type = T; };
template <class T>
struct with_features { using slot = slot::features; using type = T; };
// The composition's name in manifests and result tables.
template <detail::fixed_string Name>
struct with_label {
  using slot = slot::label;
  using type = void;
  static constexpr std::string_view value = Name.view();
};

namespace detail {

template <class T, class = void>
struct slot_of { using type = void; };
template <class T>
struct slot_of<T, std::void_t<typename T::slot>> { using type = typename T::slot; };

template <class T>
inline constexpr bool is_option = !std::is_void_v<typename slot_of<T>::type>;

// pick_t<Slot, DefaultOption, Opts...>: the option selecting Slot, else DefaultOption.
template <class Slot, class Default, class... Opts>
struct pick { using option = Default; };
template <class Slot, class Default, class O, class... Rest>
struct pick<Slot, Default, O, Rest...> {
  using option = std::conditional_t<std::is_same_v<typename slot_of<O>::type, Slot>, O,
                                    typename pick<Slot, Default, Rest...>::option>;
};
template <class Slot, class Default, class... Opts>
using pick_t = typename pick<Slot, Default, Opts...>::option;

template <class Slot, class... Opts>
inline constexpr std::size_t slot_count = (std::size_t(std::is_same_v<typename slot_of<Opts>::type, Slot>) + ... + 0);

template <class... Opts>
inline constexpr bool slots_unique =
    ((slot_count<typename slot_of<Opts>::type, Opts...> <= 1 || !is_option<Opts>) && ...);

template <class... Opts>
struct label_of { static constexpr std::string_view value = "distdiff"; };
template <class O, class... Rest>
struct label_of<O, Rest...> {
  static constexpr std::string_view value = [] {
    if constexpr (std::is_same_v<typename slot_of<O>::type, slot::label>) return O::value;
    else return label_of<Rest...>::value;
  }();
};

}  // namespace detail
}  // namespace distdiff
