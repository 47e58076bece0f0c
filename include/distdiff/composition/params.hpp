#pragma once
// A component's name and numbers, read the same way for every slot:
//
//     detail::params_of(c)          // c.params() when it has one, else {}
//     detail::describe_component(c) // "signed-step(rho=0.1)"
//
// Compositions serialise themselves from these (DistDiff::params(), which
// run.json records and a resumed run must match).
#include <nlohmann/json.hpp>

#include <string>

namespace distdiff::detail {

template <class C>
nlohmann::json params_of(const C& c) {
  if constexpr (requires { c.params(); }) {
    nlohmann::json j = c.params();
    return j.is_null() ? nlohmann::json::object() : j;
  } else {
    return nlohmann::json::object();
  }
}

// "k=3,normalize=true" from {"k": 3, "normalize": true} (compact JSON values).
inline std::string format_params(const nlohmann::json& p) {
  std::string s;
  if (!p.is_object()) return p.dump();
  for (auto it = p.begin(); it != p.end(); ++it) {
    if (!s.empty()) s += ",";
    s += it.key() + "=" + (it->is_string() ? it->get<std::string>() : it->dump());
  }
  return s;
}

template <class C>
std::string describe_component(const C& c) {
  const auto p = params_of(c);
  const std::string name = c.name();
  return p.empty() ? name : name + "(" + format_params(p) + ")";
}

template <class C>
nlohmann::json serialise_component(const C& c) {
  return {{"name", std::string(c.name())}, {"params", params_of(c)}};
}

}  // namespace distdiff::detail
