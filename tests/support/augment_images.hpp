#pragma once
// Test images for the augmentation tests: deterministic, non-constant, in [0, 1].
#include <torch/torch.h>

#include <cstdint>

namespace distdiff::test {

// Pixel (c, y, x) = ((c * 7 + y * W + x) * 37 mod 101) / 100: every pixel
// distinct within a channel for W * H <= 101, values in [0, 1].
inline at::Tensor augment_pattern(std::int64_t c, std::int64_t h, std::int64_t w) {
  auto idx = torch::arange(c * h * w, torch::kLong).view({c, h, w});
  return ((idx * 37 + 11) % 101).to(torch::kFloat) / 100.0;
}

// A smooth gradient plus a checker pattern, values inside [0.1, 0.9].
inline at::Tensor augment_natural(std::int64_t h, std::int64_t w) {
  auto y = torch::linspace(0.0, 1.0, h).view({1, h, 1});
  auto x = torch::linspace(0.0, 1.0, w).view({1, 1, w});
  auto ch = torch::tensor({0.2f, 0.5f, 0.8f}).view({3, 1, 1});
  auto checker = ((torch::arange(h).view({h, 1}) / 4 + torch::arange(w).view({1, w}) / 4) % 2).to(torch::kFloat);
  auto img = 0.1 + 0.5 * (0.5 * y + 0.3 * x + 0.2 * ch) + 0.3 * checker.unsqueeze(0);
  return img.expand({3, h, w}).contiguous().clamp(0.1, 0.9);
}

}  // namespace distdiff::test
