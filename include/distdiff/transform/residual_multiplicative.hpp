#pragma once
// ResidualMultiplicative — τ(z) = (1 + e)·z + b with channel-level e and b
// (paper Eq. 3), and the L∞ projection onto the ε-ball around z.
//
// Structure (template parameter): who shares the parameters.
//   SharedAcrossBatch — e, b of shape [1, C, 1, 1]  (reference v1, paper)
//   PerSample         — e, b of shape [B, C, 1, 1]  (reference HEAD)
// Initialisation: e ~ U[0, 1), b ~ N(0, 1), drawn from a CPU generator.
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "distdiff/concepts/transform.hpp"

namespace distdiff {

struct SharedAcrossBatch {
  static constexpr const char* name = "shared";
  static std::int64_t rows(const torch::Tensor&) { return 1; }
};
struct PerSample {
  static constexpr const char* name = "per-sample";
  static std::int64_t rows(const torch::Tensor& z) { return z.size(0); }
};

template <class Granularity = SharedAcrossBatch>
struct ResidualMultiplicative {
  using component_tag = latent_transform_tag;
  double epsilon = 0.8;   // radius ε of the L∞ ball (paper; `--eps`)


  std::vector<torch::Tensor> init(const torch::Tensor& z, at::Generator& gen) const {
    TORCH_CHECK(z.dim() == 4, "ResidualMultiplicative: latent must be [B, C, h, w], got ", z.sizes());
    const std::vector<std::int64_t> shape{Granularity::rows(z), z.size(1), 1, 1};
    const auto cpu = torch::TensorOptions().dtype(torch::kFloat32);
    auto e = at::rand(shape, gen, cpu).to(z.device(), z.scalar_type());
    auto b = at::randn(shape, gen, cpu).to(z.device(), z.scalar_type());
    return {e.requires_grad_(true), b.requires_grad_(true)};
  }

  torch::Tensor apply(const torch::Tensor& z, const std::vector<torch::Tensor>& p) const {
    TORCH_CHECK(p.size() == 2, "ResidualMultiplicative: expects parameters {e, b}, got ", p.size());
    return (1 + p[0]) * z + p[1];
  }

  torch::Tensor project(const torch::Tensor& z_tilde, const torch::Tensor& z) const {
    TORCH_CHECK(epsilon >= 0, "ResidualMultiplicative: epsilon must be >= 0, got ", epsilon);
    return torch::max(torch::min(z_tilde, z + epsilon), z - epsilon);
  }

  std::string name() const { return std::string("residual-multiplicative/") + Granularity::name; }
  nlohmann::json params() const { return {{"epsilon", epsilon}}; }
};

static_assert(LatentTransform<ResidualMultiplicative<SharedAcrossBatch>>);
static_assert(LatentTransform<ResidualMultiplicative<PerSample>>);

}  // namespace distdiff
