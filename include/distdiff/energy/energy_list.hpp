#pragma once
// energy_list<Terms...> — the compile-time list of energy terms of a
// composition. Total energy per sample = Σ weight_k · term_k (fold expression);
// the guided sampler reduces it over the batch with the mean.
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <tuple>
#include <vector>

#include "distdiff/concepts/energy.hpp"
#include "distdiff/core/types.hpp"

namespace distdiff {

// Specialised to true (energy/gif.hpp) for terms that read text features.
template <class T>
inline constexpr bool uses_text_features = false;

namespace detail {
// Which prototypes a term reads: its `reads_class_prototypes` /
// `reads_group_prototypes` constants; a term that declares neither is taken
// to read both.
template <class T>
constexpr bool term_reads_class() {
  if constexpr (requires { T::reads_class_prototypes; }) return T::reads_class_prototypes;
  else return true;
}
template <class T>
constexpr bool term_reads_group() {
  if constexpr (requires { T::reads_group_prototypes; }) return T::reads_group_prototypes;
  else return true;
}
// A term whose energy depends on the other images of its batch declares
// `static constexpr bool reads_batch = true;` (GifDivergence).
template <class T>
constexpr bool term_reads_batch() {
  if constexpr (requires { T::reads_batch; }) return T::reads_batch;
  else return false;
}
}  // namespace detail

template <class... Terms>
struct energy_list {
  std::tuple<Terms...> terms{};
  static constexpr std::size_t size = sizeof...(Terms);
  static constexpr bool needs_text_features = (uses_text_features<Terms> || ... || false);
  // Prototypes are built only for what some term reads.
  static constexpr bool reads_class_prototypes = (detail::term_reads_class<Terms>() || ... || false);
  static constexpr bool reads_group_prototypes = (detail::term_reads_group<Terms>() || ... || false);
  static constexpr bool reads_batch = (detail::term_reads_batch<Terms>() || ... || false);
  // Names of the terms that read the batch (for the batch-size warning).
  static std::string batch_terms() {
    std::string out;
    ((detail::term_reads_batch<Terms>() ? (out += (out.empty() ? "" : ", ") + Terms{}.name(), 0) : 0), ...);
    return out;
  }

  // Σ weight·energy, [B]; undefined tensor when the list is empty.
  torch::Tensor total(const EnergyInputs& in) const {
    if constexpr (size == 0) {
      return torch::Tensor();
    } else {
      return std::apply([&](const auto&... t) { return ((t.weight * t.energy(in)) + ...); }, terms);
    }
  }

  // Each weighted term separately, for reporting.
  std::vector<torch::Tensor> parts(const EnergyInputs& in) const {
    std::vector<torch::Tensor> out;
    std::apply([&](const auto&... t) { (out.push_back(t.weight * t.energy(in)), ...); }, terms);
    return out;
  }

  std::string name() const {
    std::string s;
    std::apply([&](const auto&... t) { ((s += (s.empty() ? "" : "+") + t.name()), ...); }, terms);
    return s.empty() ? std::string("none") : s;
  }

  // Every term's name and numbers, in order.
  nlohmann::json params() const {
    auto out = nlohmann::json::array();
    std::apply([&](const auto&... t) { (out.push_back(term_params(t)), ...); }, terms);
    return out;
  }

  template <class T>
  T& get() { return std::get<T>(terms); }
  template <class T>
  const T& get() const { return std::get<T>(terms); }

 private:
  template <class T>
  static nlohmann::json term_params(const T& t) {
    nlohmann::json j{{"name", t.name()}};
    if constexpr (requires { t.params(); }) j["params"] = t.params();
    else j["params"] = {{"weight", double(t.weight)}};
    return j;
  }
};

}  // namespace distdiff
