#pragma once
// Diffusion timestep embeddings, as diffusers builds them.
//
//   timestep_embedding(t, dim, flip_sin_to_cos, freq_shift)   (diffusers `Timesteps`,
//   no parameters):  half = dim / 2,  f_j = exp(-ln(max_period) * j / (half - freq_shift)),
//   e = [sin(t f), cos(t f)]  ([cos, sin] when flip_sin_to_cos), zero-padded for odd dim.
//
//   TimestepEmbedding (diffusers `TimestepEmbedding`): linear_1 -> SiLU -> linear_2.
#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace distdiff::models::nn {

// Sinusoidal embedding of a 1-D tensor of timesteps: [B] -> [B, dim], float32 on
// the timesteps' device (the caller casts to the network's dtype).
inline torch::Tensor timestep_embedding(const torch::Tensor& timesteps, std::int64_t dim,
                                        bool flip_sin_to_cos, double downscale_freq_shift,
                                        double scale = 1.0, double max_period = 10000.0) {
  if (timesteps.dim() != 1)
    throw std::invalid_argument("timestep_embedding: timesteps must be 1-D [B], got " +
                                std::to_string(timesteps.dim()) + " dimensions");
  if (dim < 2) throw std::invalid_argument("timestep_embedding: dim must be at least 2");
  const std::int64_t half = dim / 2;
  if (static_cast<double>(half) - downscale_freq_shift <= 0.0)
    throw std::invalid_argument("timestep_embedding: dim / 2 - freq_shift must be positive");
  auto fopts = torch::TensorOptions().dtype(torch::kFloat32).device(timesteps.device());
  auto exponent = torch::arange(0, half, fopts) * (-std::log(max_period));
  exponent = exponent / (static_cast<double>(half) - downscale_freq_shift);
  auto freqs = torch::exp(exponent);
  auto args = timesteps.to(torch::kFloat32).unsqueeze(1) * freqs.unsqueeze(0) * scale;
  auto emb = flip_sin_to_cos ? torch::cat({torch::cos(args), torch::sin(args)}, -1)
                             : torch::cat({torch::sin(args), torch::cos(args)}, -1);
  if (dim % 2 == 1) emb = torch::constant_pad_nd(emb, {0, 1}, 0.0);
  return emb;
}

// linear_1 (in -> time_embed_dim), SiLU, linear_2 (time_embed_dim -> time_embed_dim).
class TimestepEmbeddingImpl : public torch::nn::Module {
 public:
  TimestepEmbeddingImpl(std::int64_t in_channels, std::int64_t time_embed_dim)
      : linear_1(register_module("linear_1", torch::nn::Linear(in_channels, time_embed_dim))),
        linear_2(register_module("linear_2", torch::nn::Linear(time_embed_dim, time_embed_dim))) {}

  torch::Tensor forward(const torch::Tensor& x) { return linear_2(torch::silu(linear_1(x))); }

  torch::nn::Linear linear_1;
  torch::nn::Linear linear_2;
};
TORCH_MODULE(TimestepEmbedding);

}  // namespace distdiff::models::nn
