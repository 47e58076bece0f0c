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
//   t.project(z_tilde, z) -> at::Tensor
//     P_{z,ε}: the point of the L∞ ball of radius ε around z closest to
//     z_tilde (elementwise clamp to [z - ε, z + ε]). ε is the transform's own
//     number (a member).
//   t.name() -> string.
//
// Minimal model:
//
//     struct Shift {                      // τ(z) = z + b
//       using component_tag = distdiff::latent_transform_tag;
//       std::vector<at::Tensor> init(const at::Tensor& z, at::Generator& g) const;
//       at::Tensor apply(const at::Tensor& z, const std::vector<at::Tensor>& p) const;
//       double epsilon = 0.8;
//       at::Tensor project(const at::Tensor& zt, const at::Tensor& z) const;
//       std::string name() const { return "shift"; }
//     };
#include "distdiff/concepts/component.hpp"

namespace distdiff {

struct latent_transform_tag {};

#define DISTDIFF_LATENT_TRANSFORM_REQUIREMENTS(X)                                                   \
  X((HasTag<T, latent_transform_tag>), "`using component_tag = distdiff::latent_transform_tag;`")    \
  X((Named<T>), "`std::string name() const`")                                                        \
  X((requires(const T& t, const at::Tensor& z, at::Generator& gen) {                                 \
      { t.init(z, gen) } -> std::same_as<std::vector<at::Tensor>>;                                   \
    }),                                                                                              \
    "`std::vector<at::Tensor> init(const at::Tensor& z, at::Generator& gen) const`")                 \
  X((requires(const T& t, const at::Tensor& z, const std::vector<at::Tensor>& params) {              \
      { t.apply(z, params) } -> std::same_as<at::Tensor>;                                            \
    }),                                                                                              \
    "`at::Tensor apply(const at::Tensor& z, const std::vector<at::Tensor>& params) const`")          \
  X((requires(const T& t, const at::Tensor& z) {                                                     \
      { t.project(z, z) } -> std::same_as<at::Tensor>;                                               \
    }),                                                                                              \
    "`at::Tensor project(const at::Tensor& z_tilde, const at::Tensor& z) const`")

template <class T>
concept LatentTransform = DISTDIFF_LATENT_TRANSFORM_REQUIREMENTS(DISTDIFF_REQUIREMENT_AND) true;

}  // namespace distdiff
