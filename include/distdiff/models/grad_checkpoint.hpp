#pragma once
// Gradient checkpointing for LibTorch (which has none in C++): trade compute
// for memory by not keeping a block's activations for the backward pass.
//
//   torch::Tensor h = distdiff::models::checkpointing_active()
//       ? distdiff::models::checkpoint(
//             [&](const std::vector<torch::Tensor>& in) { return block->forward(in[0], in[1]); },
//             {x, emb})
//       : block->forward(x, emb);
//
// checkpoint(fn, inputs) runs fn without recording a graph and saves only the
// inputs. On backward it re-runs fn with grad enabled (restoring the CPU and
// CUDA random number generators first, so dropout draws the same masks) and
// back-propagates the incoming gradient through the recomputed graph.
// Gradients reach:
//   - the inputs that require grad (returned through the graph as usual, so
//     torch::autograd::grad() with respect to them works);
//   - parameters captured by fn that require grad, by accumulation into their
//     .grad (as loss.backward() does; torch::autograd::grad() does not return
//     them; pass such tensors as inputs when their gradient is needed there).
// When no input requires grad there is nothing to attach the recomputation
// to, so fn simply runs normally (with its graph); pass at least one input
// that requires grad to save memory. Under grad mode off, fn runs as is.
// fn must return one tensor and should not modify its inputs in place.
#include <torch/torch.h>

#include <algorithm>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

namespace distdiff::models {

using CheckpointFn = std::function<torch::Tensor(const std::vector<torch::Tensor>&)>;

namespace detail {

struct CheckpointFnHolder : torch::CustomClassHolder {
  explicit CheckpointFnHolder(CheckpointFn f) : fn(std::move(f)) {}
  CheckpointFn fn;
  // Generator states at forward time: the CPU one and those of the CUDA
  // devices the inputs live on.
  std::vector<std::pair<at::Generator, at::Tensor>> rng_states;
};

inline std::vector<std::pair<at::Generator, at::Tensor>> checkpoint_rng_states(
    const std::vector<torch::Tensor>& inputs) {
  std::vector<at::Generator> gens{at::globalContext().defaultGenerator(torch::kCPU)};
  for (const auto& t : inputs) {
    if (t.defined() && t.is_cuda()) {
      at::Generator g = at::globalContext().defaultGenerator(t.device());
      bool seen = false;
      for (const auto& h : gens) seen = seen || h == g;
      if (!seen) gens.push_back(g);
    }
  }
  std::vector<std::pair<at::Generator, at::Tensor>> out;
  for (auto& g : gens) {
    std::lock_guard<std::mutex> lock(g.mutex());
    out.emplace_back(g, g.get_state());
  }
  return out;
}

inline void checkpoint_set_rng_states(const std::vector<std::pair<at::Generator, at::Tensor>>& states) {
  for (const auto& [g, state] : states) {
    at::Generator gen = g;
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(state);
  }
}

struct CheckpointFunction : torch::autograd::Function<CheckpointFunction> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx,
                               const c10::intrusive_ptr<CheckpointFnHolder>& holder,
                               torch::TensorList input_list) {
    // Function::apply already disabled grad mode: fn records no graph.
    const std::vector<torch::Tensor> inputs = input_list.vec();
    holder->rng_states = checkpoint_rng_states(inputs);
    ctx->saved_data["fn"] = c10::IValue::make_capsule(holder);
    ctx->save_for_backward(inputs);
    torch::Tensor out = holder->fn(inputs);
    TORCH_CHECK(out.defined(), "checkpoint: the checkpointed function returned an undefined tensor");
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    const auto capsule = ctx->saved_data["fn"].toCapsule();
    auto* holder = static_cast<CheckpointFnHolder*>(capsule.get());
    const auto saved = ctx->get_saved_variables();
    std::vector<torch::Tensor> inputs;
    inputs.reserve(saved.size());
    for (const auto& t : saved) {
      inputs.push_back(t.defined() ? t.detach().requires_grad_(t.requires_grad()) : t);
    }

    // Recompute with the forward pass's random state, then restore ours.
    const auto current = checkpoint_rng_states(inputs);
    checkpoint_set_rng_states(holder->rng_states);
    torch::Tensor out;
    try {
      torch::AutoGradMode enable(true);
      out = holder->fn(inputs);
    } catch (...) {
      checkpoint_set_rng_states(current);
      throw;
    }
    checkpoint_set_rng_states(current);

    if (out.requires_grad()) {
      torch::autograd::backward({out}, {grad_outputs.at(0)});
    }
    torch::autograd::variable_list grads;
    grads.reserve(inputs.size() + 1);
    grads.emplace_back();  // for `holder`, not a tensor
    for (const auto& t : inputs) {
      grads.push_back(t.defined() && t.requires_grad() ? t.grad() : torch::Tensor());
    }
    return grads;
  }
};

}  // namespace detail

// True when a checkpointed call would record a backward pass (grad mode on).
inline bool checkpointing_active() { return torch::GradMode::is_enabled(); }

// fn(inputs), recomputed during backward instead of storing its activations.
inline torch::Tensor checkpoint(const CheckpointFn& fn, const std::vector<torch::Tensor>& inputs) {
  TORCH_CHECK(static_cast<bool>(fn), "checkpoint: empty function");
  const bool any_requires_grad = std::any_of(inputs.begin(), inputs.end(), [](const torch::Tensor& t) {
    return t.defined() && t.requires_grad();
  });
  if (!torch::GradMode::is_enabled() || !any_requires_grad) return fn(inputs);
  auto holder = c10::make_intrusive<detail::CheckpointFnHolder>(fn);
  return detail::CheckpointFunction::apply(holder, torch::TensorList(inputs));
}

}  // namespace distdiff::models
