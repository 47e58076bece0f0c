#pragma once
// Pieces every pretraining loop shares: the step plan (epochs or a step
// count), the learning-rate schedule (linear warm-up, cosine decay), AdamW
// with weight decay on matrices only, the loss log with throughput and ETA,
// and a seeded module construction.
//
//   distdiff::pretrain::StepPlan plan = distdiff::pretrain::plan_steps(50000, 256, /*epochs=*/4, /*max_steps=*/0);
//   auto opt = distdiff::pretrain::make_adamw(*model, /*lr=*/1e-3, /*weight_decay=*/0.05);
//   distdiff::pretrain::LossMeter meter("clip", plan, /*log_every=*/50, on_log);
//   for (std::int64_t step = 0; step < plan.steps; ++step) {
//     distdiff::pretrain::set_lr(*opt, distdiff::pretrain::cosine_lr(1e-3, step, plan.steps, 200));
//     ...; meter.add(loss.item<double>(), /*samples=*/256, lr);
//   }
//   StageReport report = meter.finish();
#include <torch/torch.h>

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <numbers>
#include <stdexcept>
#include <string>
#include <vector>

#include "distdiff/core/threads.hpp"

namespace distdiff::pretrain {

// One logged point of a loss curve (the mean over the steps since the last one).
struct StepLog {
  std::string stage;
  std::int64_t step = 0;      // steps done
  std::int64_t steps = 0;     // planned steps
  std::int64_t epoch = 0;     // 1-based epoch the step belongs to
  std::int64_t epochs = 0;
  double loss = 0;            // mean loss over the logged window
  double lr = 0;
  double seconds = 0;         // since the stage started
  double eta_seconds = 0;
  double samples_per_second = 0;
};
using StepCallback = std::function<void(const StepLog&)>;

struct StageReport {
  std::string stage;
  std::int64_t steps = 0;
  std::int64_t samples = 0;
  double seconds = 0;
  std::vector<double> epoch_losses;   // mean loss of each epoch
  std::vector<StepLog> curve;         // every logged point
  double final_loss = 0;              // mean loss of the last logged window
};

struct StepPlan {
  std::int64_t steps = 0;
  std::int64_t steps_per_epoch = 0;
  std::int64_t epochs = 0;   // epochs touched (the last may be partial)
};

// max_steps > 0 wins over epochs; an epoch is floor(n / batch) steps (last
// partial batch dropped).
inline StepPlan plan_steps(std::int64_t n, std::int64_t batch, double epochs, std::int64_t max_steps) {
  if (batch <= 0) throw std::invalid_argument("plan_steps: batch size must be positive");
  if (n < batch)
    throw std::invalid_argument("plan_steps: " + std::to_string(n) + " samples are fewer than one batch of " +
                                std::to_string(batch));
  StepPlan p;
  p.steps_per_epoch = n / batch;
  p.steps = max_steps > 0 ? max_steps : std::int64_t(std::llround(epochs * double(p.steps_per_epoch)));
  if (p.steps <= 0) throw std::invalid_argument("plan_steps: no training steps (epochs and steps are 0)");
  p.epochs = (p.steps + p.steps_per_epoch - 1) / p.steps_per_epoch;
  return p;
}

// Linear warm-up over `warmup` steps, then cosine decay to lr · min_ratio.
inline double cosine_lr(double lr, std::int64_t step, std::int64_t steps, std::int64_t warmup, double min_ratio = 0.05) {
  if (warmup > 0 && step < warmup) return lr * double(step + 1) / double(warmup);
  const double span = double(std::max<std::int64_t>(1, steps - warmup));
  const double f = std::clamp(double(step - warmup) / span, 0.0, 1.0);
  return lr * (min_ratio + (1 - min_ratio) * 0.5 * (1 + std::cos(std::numbers::pi * f)));
}

// AdamW over a module: weight decay on tensors with >= 2 dims (matrices,
// convolution kernels) except embeddings; none on biases, norms, embeddings
// and scalars such as CLIP's logit_scale.
inline std::unique_ptr<torch::optim::AdamW> make_adamw(torch::nn::Module& module, double lr, double weight_decay,
                                                       double beta2 = 0.999) {
  std::vector<torch::Tensor> decay, no_decay;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) {
    if (!item.value().requires_grad()) continue;
    const bool embedding = item.key().find("embedding") != std::string::npos;
    (item.value().dim() >= 2 && !embedding ? decay : no_decay).push_back(item.value());
  }
  auto base = torch::optim::AdamWOptions(lr).betas({0.9, beta2}).weight_decay(0.0);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  if (!decay.empty())
    groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(
                                   torch::optim::AdamWOptions(lr).betas({0.9, beta2}).weight_decay(weight_decay)));
  if (!no_decay.empty()) groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(base));
  if (groups.empty()) throw std::invalid_argument("make_adamw: the module has no trainable parameters");
  return std::make_unique<torch::optim::AdamW>(std::move(groups), base);
}

inline void set_lr(torch::optim::Optimizer& opt, double lr) {
  for (auto& g : opt.param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
}

// Exponential moving average of a module's parameters (diffusion training's
// usual EMA); decay warms up as min(decay, (1 + k) / (10 + k)).
class ParameterEma {
 public:
  ParameterEma(torch::nn::Module& module, double decay) : decay_(decay) {
    torch::NoGradGuard no_grad;
    for (auto& p : module.parameters()) {
      params_.push_back(p);
      shadow_.push_back(p.detach().clone());
    }
  }
  void update() {
    torch::NoGradGuard no_grad;
    ++updates_;
    const double d = std::min(decay_, double(1 + updates_) / double(10 + updates_));
    for (std::size_t i = 0; i < params_.size(); ++i) shadow_[i].mul_(d).add_(params_[i].detach(), 1.0 - d);
  }
  // Writes the averages into the module's parameters.
  void copy_to_module() {
    torch::NoGradGuard no_grad;
    for (std::size_t i = 0; i < params_.size(); ++i) params_[i].copy_(shadow_[i]);
  }

 private:
  double decay_;
  std::int64_t updates_ = 0;
  std::vector<torch::Tensor> params_, shadow_;
};

// Accumulates losses, reports a StepLog every `log_every` steps and at the end
// of every epoch, and builds the StageReport.
class LossMeter {
 public:
  LossMeter(std::string stage, StepPlan plan, std::int64_t log_every, StepCallback on_log)
      : plan_(plan), log_every_(std::max<std::int64_t>(1, log_every)), on_log_(std::move(on_log)),
        t0_(std::chrono::steady_clock::now()) {
    report_.stage = std::move(stage);
  }

  // One finished step: its loss, the samples it used and the LR it ran at.
  void add(double loss, std::int64_t samples, double lr) {
    cpu_threads_tick();
    ++step_;
    report_.samples += samples;
    window_sum_ += loss;
    ++window_n_;
    epoch_sum_ += loss;
    ++epoch_n_;
    lr_ = lr;
    const bool epoch_end = step_ % plan_.steps_per_epoch == 0 || step_ == plan_.steps;
    if (step_ % log_every_ == 0 || epoch_end) emit();
    if (epoch_end) {
      report_.epoch_losses.push_back(epoch_sum_ / double(std::max<std::int64_t>(1, epoch_n_)));
      epoch_sum_ = 0;
      epoch_n_ = 0;
    }
  }

  std::int64_t epoch() const { return step_ / plan_.steps_per_epoch; }   // 0-based epoch of the next step

  StageReport finish() {
    if (window_n_ > 0) emit();
    report_.steps = step_;
    report_.seconds = elapsed();
    if (!report_.curve.empty()) report_.final_loss = report_.curve.back().loss;
    return report_;
  }

 private:
  double elapsed() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count(); }
  void emit() {
    StepLog s;
    s.stage = report_.stage;
    s.step = step_;
    s.steps = plan_.steps;
    s.epoch = (step_ - 1) / plan_.steps_per_epoch + 1;
    s.epochs = plan_.epochs;
    s.loss = window_sum_ / double(std::max<std::int64_t>(1, window_n_));
    s.lr = lr_;
    s.seconds = elapsed();
    s.eta_seconds = step_ > 0 ? s.seconds / double(step_) * double(plan_.steps - step_) : 0;
    s.samples_per_second = s.seconds > 0 ? double(report_.samples) / s.seconds : 0;
    window_sum_ = 0;
    window_n_ = 0;
    report_.curve.push_back(s);
    if (on_log_) on_log_(s);
  }

  StepPlan plan_;
  std::int64_t log_every_;
  StepCallback on_log_;
  std::chrono::steady_clock::time_point t0_;
  StageReport report_;
  std::int64_t step_ = 0, window_n_ = 0, epoch_n_ = 0;
  double window_sum_ = 0, epoch_sum_ = 0, lr_ = 0;
};

// Builds a module with LibTorch's default initialisation drawn from the CPU
// generator seeded with `seed`; the global generator's state is restored.
template <class Module, class... Args>
Module make_seeded(std::uint64_t seed, Args&&... args) {
  auto gen = at::detail::getDefaultCPUGenerator();
  torch::Tensor state;
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    state = gen.get_state();
    gen.set_current_seed(seed);
  }
  Module m(std::forward<Args>(args)...);
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(state);
  }
  return m;
}

}  // namespace distdiff::pretrain
