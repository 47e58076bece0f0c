#pragma once
// vae::randomize_parameters — deterministic random weights for a freshly
// built network, from a private generator (the global RNG is untouched):
//   weights with ≥ 2 dims (conv, linear): U(−b, b), b = 1/√fan_in
//     (PyTorch's default bound), their biases likewise;
//   1-D weights without a matrix partner (GroupNorm scale): 1 + U(−0.1, 0.1),
//   their biases: U(−0.1, 0.1).
// Parameters are visited in name order, so a seed fixes every value.
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <string>

namespace distdiff::models::vae {

inline void randomize_parameters(torch::nn::Module& module, std::uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  std::map<std::string, torch::Tensor> params;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) params.emplace(item.key(), item.value());
  auto uniform = [&](const torch::Tensor& like, double low, double high) {
    return torch::rand(like.sizes(), gen, torch::TensorOptions().dtype(torch::kFloat64)) * (high - low) + low;
  };
  torch::NoGradGuard no_grad;
  for (auto& [name, p] : params) {
    const auto dot = name.rfind('.');
    const std::string owner = dot == std::string::npos ? "" : name.substr(0, dot + 1);
    const std::string leaf = dot == std::string::npos ? name : name.substr(dot + 1);
    torch::Tensor value;
    if (p.dim() >= 2) {
      const double bound = 1.0 / std::sqrt(static_cast<double>(p[0].numel()));
      value = uniform(p, -bound, bound);
    } else if (leaf == "bias" && params.count(owner + "weight") && params.at(owner + "weight").dim() >= 2) {
      const double bound = 1.0 / std::sqrt(static_cast<double>(params.at(owner + "weight")[0].numel()));
      value = uniform(p, -bound, bound);
    } else if (leaf == "weight") {
      value = uniform(p, 0.9, 1.1);
    } else {
      value = uniform(p, -0.1, 0.1);
    }
    p.copy_(value);
  }
}

}  // namespace distdiff::models::vae
