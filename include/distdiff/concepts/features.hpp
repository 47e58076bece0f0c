#pragma once
// FeatureExtractor — θ(·) of the paper: images to feature vectors.
//
// Contract
//   f.extract(images) -> at::Tensor
//     images: float [B, 3, H, W] with values in [0, 1] (any H, W; the extractor
//     does its own resizing and normalisation). Returns [B, D], NOT normalised:
//     energy terms and prototype strategies decide about L2 normalisation.
//     Must be differentiable with respect to `images`: the guided step
//     back-propagates the energy through it.
//   f.feature_dim() -> integer D.
//   f.name() -> string.
// Optional
//   f.extract_real(images) -> at::Tensor
//     The prototype side: real images at their own size (one batch holds one
//     size), no gradient needed. An extractor whose prototypes and guidance see
//     different preprocessing has it (features/clip_image_features.hpp);
//     without it, compute_prototypes resizes real images to a square and calls extract().
//
// Minimal model (tests/concepts/concepts.cpp has it compiled):
//
//     struct MeanColour {
//       using component_tag = distdiff::feature_extractor_tag;
//       at::Tensor extract(const at::Tensor& x) const { return x.mean({2, 3}); }
//       std::int64_t feature_dim() const { return 3; }
//       std::string name() const { return "mean-colour"; }
//     };
#include "distdiff/concepts/component.hpp"

namespace distdiff {

struct feature_extractor_tag {};

#define DISTDIFF_FEATURE_EXTRACTOR_REQUIREMENTS(X)                                                  \
  X((HasTag<T, feature_extractor_tag>), "`using component_tag = distdiff::feature_extractor_tag;`")  \
  X((Named<T>), "`std::string name() const`")                                                        \
  X((requires(const T& f, const at::Tensor& images) {                                                \
      { f.extract(images) } -> std::same_as<at::Tensor>;                                             \
    }),                                                                                              \
    "`at::Tensor extract(const at::Tensor& images) const`")                                          \
  X((requires(const T& f) {                                                                          \
      { f.feature_dim() } -> std::convertible_to<std::int64_t>;                                      \
    }),                                                                                              \
    "`std::int64_t feature_dim() const`")

template <class T>
concept FeatureExtractor = DISTDIFF_FEATURE_EXTRACTOR_REQUIREMENTS(DISTDIFF_REQUIREMENT_AND) true;

}  // namespace distdiff
