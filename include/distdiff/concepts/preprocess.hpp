#pragma once
// ImagePreprocessor — how images become the input of θ's network: the resize,
// crop and normalisation in front of the CLIP image tower. A features slot
// names two of them, one for the real images that make the prototypes and one
// for the decoded x̂0 that the guidance scores (features/clip_image_features.hpp).
//
// Contract
//   p(images, input_size) -> at::Tensor
//     images: float [B, 3, H, W] with values in [0, 1], any H, W. Returns the
//     network input [B, 3, S, S]; S is the preprocessor's own size when it has
//     one, else `input_size` (the tower's image size). Must be differentiable
//     with respect to `images`: the guidance back-propagates through it.
//   p.name() -> string;  p.params() -> JSON object of its numbers (optional).
//
// Minimal model (tests/concepts/concepts.cpp has it compiled):
//
//     struct Identity {
//       using component_tag = distdiff::image_preprocessor_tag;
//       at::Tensor operator()(const at::Tensor& x, std::int64_t) const { return x; }
//       std::string name() const { return "identity"; }
//     };
#include "distdiff/concepts/component.hpp"

namespace distdiff {

struct image_preprocessor_tag {};

#define DISTDIFF_IMAGE_PREPROCESSOR_REQUIREMENTS(X)                                                 \
  X((HasTag<T, image_preprocessor_tag>), "`using component_tag = distdiff::image_preprocessor_tag;`") \
  X((Named<T>), "`std::string name() const`")                                                        \
  X((requires(const T& p, const at::Tensor& images, std::int64_t size) {                             \
      { p(images, size) } -> std::same_as<at::Tensor>;                                               \
    }),                                                                                              \
    "`at::Tensor operator()(const at::Tensor& images, std::int64_t input_size) const`")

template <class T>
concept ImagePreprocessor = DISTDIFF_IMAGE_PREPROCESSOR_REQUIREMENTS(DISTDIFF_REQUIREMENT_AND) true;

}  // namespace distdiff
