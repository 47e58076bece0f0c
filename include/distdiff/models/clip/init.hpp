#pragma once
// init_clip_weights — deterministic random weights for a CLIP module (tests,
// ablations without downloads). Every parameter is drawn from a CPU generator
// seeded with `seed`, so the result does not depend on the module's device or on
// LibTorch's global RNG:
//
//   Linear / Conv2d weight   N(0, 1/fan_in)        bias  N(0, 0.02^2)
//   Embedding weight         N(0, 0.02^2)
//   LayerNorm weight         1 + N(0, 0.1^2)       bias  N(0, 0.1^2)
//   class_embedding          N(0, 1/hidden)
//   logit_scale              log(1/0.07)
//
// Layer-norm gains and all biases are non-trivial on purpose: a load that mixes up
// two such tensors changes the outputs.
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <string>

namespace distdiff::models {

inline void init_clip_weights(torch::nn::Module& module, std::uint64_t seed) {
  torch::NoGradGuard no_grad;
  at::Generator gen = at::detail::createCPUGenerator(seed);
  auto draw = [&](torch::Tensor& p, double mean, double std) {
    auto v = torch::empty(p.sizes(), torch::kFloat).normal_(mean, std, gen);
    p.copy_(v);
  };
  // Parameters are visited in registration order, which is fixed by the architecture.
  for (auto& item : module.named_modules("", /*include_self=*/true)) {
    auto& m = *item.value();
    if (auto* lin = m.as<torch::nn::LinearImpl>()) {
      draw(lin->weight, 0.0, 1.0 / std::sqrt(static_cast<double>(lin->weight.size(1))));
      if (lin->bias.defined()) draw(lin->bias, 0.0, 0.02);
    } else if (auto* conv = m.as<torch::nn::Conv2dImpl>()) {
      const double fan_in = static_cast<double>(conv->weight.numel() / conv->weight.size(0));
      draw(conv->weight, 0.0, 1.0 / std::sqrt(fan_in));
      if (conv->bias.defined()) draw(conv->bias, 0.0, 0.02);
    } else if (auto* emb = m.as<torch::nn::EmbeddingImpl>()) {
      draw(emb->weight, 0.0, 0.02);
    } else if (auto* ln = m.as<torch::nn::LayerNormImpl>()) {
      if (ln->weight.defined()) draw(ln->weight, 1.0, 0.1);
      if (ln->bias.defined()) draw(ln->bias, 0.0, 0.1);
    } else {
      for (auto& p : m.named_parameters(/*recurse=*/false)) {
        if (p.key() == "class_embedding") draw(p.value(), 0.0, 1.0 / std::sqrt(static_cast<double>(p.value().numel())));
        else if (p.key() == "logit_scale") p.value().fill_(std::log(1.0 / 0.07));
      }
    }
  }
}

}  // namespace distdiff::models
