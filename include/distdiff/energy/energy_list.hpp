#pragma once
// energy_list<Terms...> — the compile-time list of energy terms of a
// composition. Total energy per sample = Σ weight_k · term_k (fold expression);
// the guided sampler reduces it over the batch with the mean.
#include <torch/torch.h>

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

template <class... Terms>
struct energy_list {
  std::tuple<Terms...> terms{};
  static constexpr std::size_t size = sizeof...(Terms);
  static constexpr bool needs_text_features = (uses_text_features<Terms> || ... || false);

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

  template <class T>
  T& get() { return std::get<T>(terms); }
  template <class T>
  const T& get() const { return std::get<T>(terms); }
};

}  // namespace distdiff
