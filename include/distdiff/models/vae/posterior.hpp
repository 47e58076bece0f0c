#pragma once
// vae::DiagonalGaussian — the VAE posterior q(z|x) = N(mean, diag(exp(logvar)))
// from the encoder's moments [B, 2L, h, w] (first L channels: mean, last L:
// logvar). logvar is clamped to [-30, 20] as in diffusers.
//
// sample(gen) draws the N(0, 1) noise in fp32 ON THE CPU from `gen` (a CPU
// generator) and then moves it to the moments' device and dtype, so CPU and
// CUDA runs with the same seed draw the same numbers.
#include <ATen/core/Generator.h>
#include <torch/torch.h>

#include <stdexcept>

namespace distdiff::models::vae {

struct DiagonalGaussian {
  torch::Tensor mean;    // [B, L, h, w]
  torch::Tensor logvar;  // [B, L, h, w], clamped to [-30, 20]
  torch::Tensor stddev;  // exp(0.5 · logvar)
  torch::Tensor var;     // exp(logvar)

  explicit DiagonalGaussian(const torch::Tensor& moments) {
    if (!moments.defined() || moments.dim() != 4 || moments.size(1) % 2 != 0)
      throw std::invalid_argument(
          "vae::DiagonalGaussian: moments must be [B, 2L, h, w] (mean and logvar stacked on dim 1)");
    auto parts = moments.chunk(2, 1);
    mean = parts[0];
    logvar = torch::clamp(parts[1], -30.0, 20.0);
    stddev = torch::exp(0.5 * logvar);
    var = torch::exp(logvar);
  }

  // mean + stddev · ε, ε ~ N(0, 1) drawn from `gen` (must be a CPU generator).
  torch::Tensor sample(at::Generator& gen) const {
    if (!gen.defined() || gen.device().type() != c10::DeviceType::CPU)
      throw std::invalid_argument(
          "vae::DiagonalGaussian::sample: the generator must be a CPU generator (noise is drawn on the "
          "CPU, then moved to the latents' device)");
    auto eps = torch::randn(mean.sizes(), gen, torch::TensorOptions().dtype(torch::kFloat32))
                   .to(mean.device(), mean.scalar_type());
    return mean + stddev * eps;
  }

  torch::Tensor mode() const { return mean; }

  // KL(q ‖ N(0, I)) per sample: 0.5 · Σ (mean² + var − 1 − logvar) -> [B].
  torch::Tensor kl() const { return 0.5 * (mean.pow(2) + var - 1.0 - logvar).sum({1, 2, 3}); }
};

}  // namespace distdiff::models::vae
