#pragma once
// Sgd — stochastic gradient descent with momentum, Nesterov and weight decay,
// with PyTorch's exact update rule and its state addressable by parameter name
// (so a checkpoint stores it next to the model weights and restores it into a
// freshly built model):
//
//   g ← ∇ + weight_decay·p
//   buf ← g (first step) | momentum·buf + (1 − dampening)·g
//   g ← g + momentum·buf (nesterov) | buf
//   p ← p − lr·g
//
//   distdiff::train::Sgd opt(model.module().named_parameters(), {.lr = 0.1});
//   loss.backward(); opt.step(); opt.zero_grad();
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace distdiff::train {

struct SgdOptions {
  double lr = 0.1;
  double momentum = 0.9;
  double dampening = 0.0;
  double weight_decay = 1e-4;
  bool nesterov = false;
};

class Sgd {
 public:
  Sgd(const torch::OrderedDict<std::string, torch::Tensor>& named_parameters, SgdOptions options = {})
      : options_(options) {
    if (options_.nesterov && (options_.momentum <= 0 || options_.dampening != 0))
      throw std::invalid_argument("Sgd: Nesterov momentum requires momentum > 0 and zero dampening");
    if (options_.lr < 0 || options_.momentum < 0 || options_.weight_decay < 0)
      throw std::invalid_argument("Sgd: lr, momentum and weight_decay must be non-negative");
    for (const auto& item : named_parameters)
      if (item.value().requires_grad()) params_.emplace_back(item.key(), item.value());
  }

  void step() {
    torch::NoGradGuard no_grad;
    for (auto& [name, p] : params_) {
      if (!p.grad().defined()) continue;
      auto d = p.grad();
      if (options_.weight_decay != 0) d = d.add(p, options_.weight_decay);
      if (options_.momentum != 0) {
        auto it = buffers_.find(name);
        if (it == buffers_.end()) {
          it = buffers_.emplace(name, d.clone()).first;
        } else {
          it->second.mul_(options_.momentum).add_(d, 1.0 - options_.dampening);
        }
        d = options_.nesterov ? d.add(it->second, options_.momentum) : it->second;
      }
      p.add_(d, -options_.lr);
    }
  }

  void zero_grad() {
    for (auto& entry : params_) {
      auto& g = entry.second.mutable_grad();
      if (g.defined()) g = torch::Tensor();
    }
  }

  double lr() const { return options_.lr; }
  void set_lr(double lr) { options_.lr = lr; }
  const SgdOptions& options() const { return options_; }

  // Momentum buffers by parameter name (only parameters that have taken a step).
  const std::map<std::string, torch::Tensor>& momentum_buffers() const { return buffers_; }

  // Throws std::runtime_error unless every name is one of the optimised
  // parameters and every shape matches.
  void check_momentum_buffers(const std::map<std::string, torch::Tensor>& buffers) const {
    for (const auto& [name, buf] : buffers) {
      const torch::Tensor* param = find(name);
      if (!param) throw std::runtime_error("Sgd: momentum buffer for unknown parameter '" + name + "'");
      if (buf.sizes() != param->sizes())
        throw std::runtime_error("Sgd: momentum buffer '" + name + "' has shape " + shape(buf) +
                                 ", the parameter has " + shape(*param));
    }
  }

  // Replaces the momentum buffers (after check_momentum_buffers; nothing
  // changes when it throws). Buffers are copied to the parameter's device and dtype.
  void load_momentum_buffers(const std::map<std::string, torch::Tensor>& buffers) {
    check_momentum_buffers(buffers);
    std::map<std::string, torch::Tensor> fresh;
    for (const auto& [name, buf] : buffers) {
      const torch::Tensor* param = find(name);
      fresh.emplace(name, buf.to(param->device(), param->scalar_type()).clone());
    }
    buffers_ = std::move(fresh);
  }

 private:
  const torch::Tensor* find(const std::string& name) const {
    for (const auto& entry : params_)
      if (entry.first == name) return &entry.second;
    return nullptr;
  }
  static std::string shape(const torch::Tensor& t) {
    std::string s = "[";
    for (std::int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
    return s + "]";
  }

  SgdOptions options_;
  std::vector<std::pair<std::string, torch::Tensor>> params_;
  std::map<std::string, torch::Tensor> buffers_;
};

}  // namespace distdiff::train
