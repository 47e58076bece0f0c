#pragma once
// Helpers shared by the VAE tests.
#include <distdiff/models/vae.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <random>
#include <string>

#include "support/temp_dir.hpp"

namespace vae_test {

inline std::int64_t parameter_count(const torch::nn::Module& m) {
  std::int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

inline std::map<std::string, torch::Tensor> named_params(const torch::nn::Module& m) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& item : m.named_parameters()) out.emplace(item.key(), item.value());
  return out;
}

inline distdiff::RuntimeOptions cpu(torch::Dtype dtype = torch::kFloat32) {
  distdiff::RuntimeOptions o;
  o.device = torch::kCPU;
  o.dtype = dtype;
  return o;
}

// Images in [-1, 1] from a private generator.
inline torch::Tensor images(std::int64_t b, std::int64_t c, std::int64_t h, std::int64_t w,
                            std::uint64_t seed, torch::Dtype dtype = torch::kFloat32) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return (torch::rand({b, c, h, w}, gen, torch::TensorOptions().dtype(torch::kFloat32)) * 2 - 1).to(dtype);
}

inline double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

using distdiff::test::TempDir;  // scratch folders (tests/support/temp_dir.hpp)

}  // namespace vae_test
