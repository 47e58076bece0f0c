#pragma once
// ImageTransform — a (random) transform of one image tensor: training
// transforms (crop, flip, rotation, normalisation) and the transformation-based
// baselines (Cutout, GridMask, RandAugment).
//
// Contract
//   t.apply(image, rng) -> at::Tensor
//     image: float [3, H, W] with values in [0, 1] (before normalisation); the
//     output may change H and W. All randomness comes from `rng`, so a fixed
//     seed gives a fixed result.
//   t.name() -> string
//
// Minimal model:
//
//     struct Identity {
//       using component_tag = distdiff::image_transform_tag;
//       at::Tensor apply(const at::Tensor& x, distdiff::Rng&) const { return x; }
//       std::string name() const { return "identity"; }
//     };
#include <random>

#include "distdiff/concepts/component.hpp"

namespace distdiff {

using Rng = std::mt19937_64;
struct image_transform_tag {};

template <class T>
concept ImageTransform =
    HasTag<T, image_transform_tag> && Named<T> && requires(const T& t, const at::Tensor& x, Rng& rng) {
      { t.apply(x, rng) } -> std::same_as<at::Tensor>;
    };

}  // namespace distdiff
