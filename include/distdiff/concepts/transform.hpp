#pragma once
// LatentTransform — τ(z) and the ε-ball projection of Eq. 3.
//
// Contract
//   t.init(z, gen) -> std::vector<at::Tensor>
//     Fresh transform parameters for the latent z [B, C, h, w] (for the
//     residual multiplicative transform: e ~ U[0,1), b ~ N(0,1)), drawn from
//     the CPU generator `gen` (so CPU and CUDA runs draw the same numbers),
//     placed on z's device and dtype, as leaves with requires_grad.
//   t.apply(z, params) -> at::Tensor       τ(z), differentiable in params.
//   t.project(z_tilde, z, eps) -> at::Tensor
//     P_{z,ε}: the point of the L∞ ball of radius eps around z closest to
//     z_tilde (elementwise clamp to [z - eps, z + eps]).
//   t.name() -> string.
//
// Minimal model:
//
//     struct Shift {                      // τ(z) = z + b
//       using component_tag = distdiff::latent_transform_tag;
//       std::vector<at::Tensor> init(const at::Tensor& z, at::Generator& g) const;
//       at::Tensor apply(const at::Tensor& z, const std::vector<at::Tensor>& p) const;
//       at::Tensor project(const at::Tensor& zt, const at::Tensor& z, double eps) const;
//       std::string name() const { return "shift"; }
//     };
#include "distdiff/concepts/component.hpp"

namespace distdiff {

struct latent_transform_tag {};

template <class T>
concept LatentTransform =
    HasTag<T, latent_transform_tag> && Named<T> &&
    requires(const T& t, const at::Tensor& z, at::Generator& gen,
             const std::vector<at::Tensor>& params, double eps) {
      { t.init(z, gen) } -> std::same_as<std::vector<at::Tensor>>;
      { t.apply(z, params) } -> std::same_as<at::Tensor>;
      { t.project(z, z, eps) } -> std::same_as<at::Tensor>;
    };

}  // namespace distdiff
