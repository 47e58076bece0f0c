#pragma once
// Shared vocabulary of all concept families.
//
// A component opts in to a family by naming the family's tag:
//
//     struct MyEnergy { using component_tag = distdiff::energy_tag; ... };
//
// The tag is checked first, so a type never models a concept by accident, and
// the first failing requirement in a diagnostic is the readable one. Every
// component also names itself (`name()`), which the manifest records as
// provenance. This header and every other header in concepts/ include only
// standard headers and forward declarations: they never pull in LibTorch.
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace at {
class Tensor;
class Generator;
}  // namespace at

namespace distdiff {

struct Prototypes;     // core/types.hpp
struct EnergyInputs;   // core/types.hpp

// True when T declares `using component_tag = Tag;`.
template <class T, class Tag>
concept HasTag = requires { typename T::component_tag; } &&
                 std::same_as<typename T::component_tag, Tag>;

// Every component reports a human-readable name for manifests and tables.
template <class T>
concept Named = requires(const T& t) {
  { t.name() } -> std::convertible_to<std::string>;
};

// Each concept of a composition slot is a table of requirements,
//     #define DISTDIFF_UPDATE_RULE_REQUIREMENTS(X) X((condition on T), "`member`") ...
// from which both the concept (a conjunction, in table order) and the
// entry-point checks of composition/check.hpp (one static_assert per row,
// naming the slot and the member) are generated.
#define DISTDIFF_REQUIREMENT_AND(condition, member) condition &&

// A component's numbers for run.json and manifests: `params()` returning an
// nlohmann::json object ({"k": 3}, {"rho": 0.1}, …). Optional: a component
// without numbers may omit it (composition/params.hpp reads it when present).

}  // namespace distdiff
