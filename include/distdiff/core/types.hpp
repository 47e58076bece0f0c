#pragma once
// Value types shared by the guided sampler and its components.
#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace distdiff {

// Hierarchical prototypes of the real data (paper §4.1), in feature space.
struct Prototypes {
  torch::Tensor class_level;   // [C, D]     class means p_c
  torch::Tensor group_level;   // [C, K, D]  group means p_g (may be undefined)

  std::int64_t num_classes() const { return class_level.defined() ? class_level.size(0) : 0; }
  std::int64_t groups() const { return group_level.defined() ? group_level.size(1) : 0; }
  Prototypes to(const torch::Device& device, torch::Dtype dtype) const {
    Prototypes p;
    if (class_level.defined()) p.class_level = class_level.to(device, dtype);
    if (group_level.defined()) p.group_level = group_level.to(device, dtype);
    return p;
  }
};

// Everything an energy term may look at.
struct EnergyInputs {
  torch::Tensor features;              // [B, D] θ(x̂0), differentiable, not normalised
  torch::Tensor labels;                // [B] int64
  const Prototypes* prototypes = nullptr;
  torch::Tensor reference_features;    // [B, D] θ(seed image) — optional (GIF terms)
  torch::Tensor text_features;         // [C, D] class text embeddings — optional (GIF terms)

  const Prototypes& protos() const {
    TORCH_CHECK(prototypes != nullptr, "EnergyInputs: this energy term needs prototypes");
    return *prototypes;
  }
};

// Where and in which precision the networks run.
struct RuntimeOptions {
  torch::Device device = torch::kCPU;
  torch::Dtype dtype = torch::kFloat32;

  // CUDA when this LibTorch has it and a GPU is visible, else CPU (fp32).
  static RuntimeOptions best_available() {
    RuntimeOptions o;
    if (torch::cuda::is_available()) {
      o.device = torch::Device(torch::kCUDA, 0);
      o.dtype = torch::kFloat16;
    }
    return o;
  }
  torch::TensorOptions tensor_options() const { return torch::TensorOptions().device(device).dtype(dtype); }
};

}  // namespace distdiff
