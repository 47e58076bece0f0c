#pragma once
// GIF-SD's guidance terms (Zhang et al. 2022, "Expanding small-scale datasets
// with guided imagination"), as energies (lower is better = the negated GIF
// objectives). They need the features of the seed image
// (EnergyInputs::reference_features) and CLIP text features of the class
// names (EnergyInputs::text_features, [C, D]; GIF prompts "This is a photo of
// a {label}"); zero-shot logits are 100 · f̂ · T̂ᵀ.
//
//   GifEntropyGain       −(H(softmax(l_aug)) − H(softmax(l_orig)))     informativeness
//   GifClassConsistency  −p_aug[argmax l_orig]                          class consistency
//   GifDivergence        −KL(m ‖ softmax(f̂_i)),  m = batch mean of softmax(f̂)   diversity
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <string>

#include "distdiff/concepts/energy.hpp"
#include "distdiff/core/types.hpp"
#include "distdiff/energy/energy_list.hpp"

namespace distdiff {
namespace detail {

inline torch::Tensor unit_rows(const torch::Tensor& x) {
  return torch::nn::functional::normalize(x, torch::nn::functional::NormalizeFuncOptions().dim(-1));
}

inline torch::Tensor zero_shot_logits(const torch::Tensor& features, const torch::Tensor& text, double scale) {
  TORCH_CHECK(text.defined(), "GIF energy terms need EnergyInputs::text_features (class text embeddings [C, D])");
  TORCH_CHECK(text.dim() == 2 && text.size(1) == features.size(1), "GIF energy terms: text features ",
              text.sizes(), " do not match image features ", features.sizes());
  return scale * unit_rows(features).matmul(unit_rows(text.to(features.scalar_type())).t());
}

inline torch::Tensor reference_of(const EnergyInputs& in) {
  TORCH_CHECK(in.reference_features.defined(),
              "GIF energy terms need EnergyInputs::reference_features (features of the seed images)");
  TORCH_CHECK(in.reference_features.sizes() == in.features.sizes(), "GIF energy terms: reference features ",
              in.reference_features.sizes(), " do not match features ", in.features.sizes());
  return in.reference_features.to(in.features.scalar_type());
}

inline torch::Tensor entropy(const torch::Tensor& logits) {
  const auto logp = torch::log_softmax(logits, 1);
  return -(logp.exp() * logp).sum(1);
}

}  // namespace detail

struct GifEntropyGain {
  using component_tag = energy_tag;
  double weight = 1.0;
  double logit_scale = 100.0;
  torch::Tensor energy(const EnergyInputs& in) const {
    const auto aug = detail::zero_shot_logits(in.features, in.text_features, logit_scale);
    torch::Tensor orig;
    {
      torch::NoGradGuard no_grad;
      orig = detail::zero_shot_logits(detail::reference_of(in), in.text_features, logit_scale);
    }
    return -(detail::entropy(aug) - detail::entropy(orig));
  }
  std::string name() const { return "gif-entropy-gain"; }
  nlohmann::json params() const { return {{"weight", weight}}; }
  static constexpr bool reads_class_prototypes = false;
  static constexpr bool reads_group_prototypes = false;
};

struct GifClassConsistency {
  using component_tag = energy_tag;
  double weight = 1.0;
  double logit_scale = 100.0;
  torch::Tensor energy(const EnergyInputs& in) const {
    const auto aug = torch::softmax(detail::zero_shot_logits(in.features, in.text_features, logit_scale), 1);
    torch::Tensor top;
    {
      torch::NoGradGuard no_grad;
      top = detail::zero_shot_logits(detail::reference_of(in), in.text_features, logit_scale).argmax(1);
    }
    return -aug.gather(1, top.view({-1, 1})).squeeze(1);
  }
  std::string name() const { return "gif-class-consistency"; }
  nlohmann::json params() const { return {{"weight", weight}}; }
  static constexpr bool reads_class_prototypes = false;
  static constexpr bool reads_group_prototypes = false;
};

struct GifDivergence {
  using component_tag = energy_tag;
  double weight = 1.0;
  torch::Tensor energy(const EnergyInputs& in) const {
    const auto logp = torch::log_softmax(detail::unit_rows(in.features), 1);
    const auto m = logp.exp().mean(0, true);
    return -(m * (m.log() - logp)).sum(1);
  }
  std::string name() const { return "gif-divergence"; }
  nlohmann::json params() const { return {{"weight", weight}}; }
  static constexpr bool reads_class_prototypes = false;
  static constexpr bool reads_group_prototypes = false;
  // Compares each image with its batch's mean: identically 0 for a batch of one
  // (expand warns at start when batch_size is 1).
  static constexpr bool reads_batch = true;
};

static_assert(EnergyTerm<GifEntropyGain>);
static_assert(EnergyTerm<GifClassConsistency>);
static_assert(EnergyTerm<GifDivergence>);

}  // namespace distdiff

namespace distdiff {
// Terms that read EnergyInputs::text_features (the pipeline then computes the
// class text features).
template <>
inline constexpr bool uses_text_features<GifEntropyGain> = true;
template <>
inline constexpr bool uses_text_features<GifClassConsistency> = true;
}  // namespace distdiff
