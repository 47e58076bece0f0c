// Gradient checkpointing: same gradients as the plain graph, no activations
// kept by the forward pass, random state replayed on recomputation.
#include <catch2/catch.hpp>

#include "distdiff/models/grad_checkpoint.hpp"

using distdiff::models::checkpoint;
using distdiff::models::checkpointing_active;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {

namespace nn = torch::nn;

struct Mlp : nn::Module {
  Mlp() {
    fc1 = register_module("fc1", nn::Linear(6, 8));
    fc2 = register_module("fc2", nn::Linear(8, 5));
  }
  torch::Tensor forward(const std::vector<torch::Tensor>& in) {
    return fc2(torch::tanh(fc1(in[0])) * in[1]) + in[2].sum();
  }
  nn::Linear fc1{nullptr}, fc2{nullptr};
};

std::vector<torch::Tensor> leaf_inputs() {
  auto opts = torch::TensorOptions().dtype(torch::kFloat64).requires_grad(true);
  return {torch::randn({4, 6}, opts), torch::randn({4, 8}, opts), torch::randn({3}, opts)};
}

void zero_grads(nn::Module& m) {
  for (auto& p : m.parameters()) {
    if (p.grad().defined()) p.grad().zero_();
  }
}

}  // namespace

TEST_CASE("grad_checkpoint: gradients equal those without checkpointing", "[weights][checkpoint]") {
  torch::manual_seed(0);
  auto mlp = std::make_shared<Mlp>();
  mlp->to(torch::kFloat64);
  auto fn = [&](const std::vector<torch::Tensor>& in) { return mlp->forward(in); };
  const auto in_plain = leaf_inputs();
  std::vector<torch::Tensor> in_ckpt;
  for (const auto& t : in_plain) in_ckpt.push_back(t.detach().clone().requires_grad_(true));
  const torch::Tensor w = torch::randn({4, 5}, torch::kFloat64);

  (fn(in_plain) * w).sum().backward();
  std::vector<torch::Tensor> param_grads;
  for (const auto& p : mlp->parameters()) param_grads.push_back(p.grad().clone());
  zero_grads(*mlp);

  REQUIRE(checkpointing_active());
  const torch::Tensor out = checkpoint(fn, in_ckpt);
  REQUIRE(torch::allclose(out, fn(in_plain)));
  (out * w).sum().backward();
  for (std::size_t i = 0; i < in_plain.size(); ++i) {
    INFO("input " << i);
    REQUIRE(in_ckpt[i].grad().defined());
    REQUIRE(torch::allclose(in_ckpt[i].grad(), in_plain[i].grad(), 1e-12, 1e-12));
  }
  const auto params = mlp->parameters();
  for (std::size_t i = 0; i < params.size(); ++i) {
    INFO("parameter " << i);
    REQUIRE(torch::allclose(params[i].grad(), param_grads[i], 1e-12, 1e-12));
  }
}

TEST_CASE("grad_checkpoint: autograd::grad through checkpointed blocks matches finite differences",
          "[weights][checkpoint]") {
  // Frozen conv blocks, gradient with respect to the input only (guidance-style).
  torch::manual_seed(1);
  auto block1 = nn::Sequential(nn::Conv2d(nn::Conv2dOptions(2, 3, 3).padding(1)), nn::SiLU(),
                               nn::Conv2d(nn::Conv2dOptions(3, 2, 3).padding(1)));
  auto block2 = nn::Sequential(nn::GroupNorm(1, 2), nn::SiLU(), nn::Conv2d(2, 2, 1));
  block1->to(torch::kFloat64);
  block2->to(torch::kFloat64);
  for (auto& p : block1->parameters()) p.requires_grad_(false);
  for (auto& p : block2->parameters()) p.requires_grad_(false);
  auto f1 = [&](const std::vector<torch::Tensor>& in) { return in[0] + block1->forward(in[0]); };
  auto f2 = [&](const std::vector<torch::Tensor>& in) { return block2->forward(in[0]) * in[1]; };
  const torch::Tensor scale = torch::rand({1, 2, 1, 1}, torch::kFloat64) + 0.5;
  auto energy = [&](const torch::Tensor& x, bool ckpt) {
    torch::Tensor h = ckpt ? checkpoint(f1, {x}) : f1({x});
    h = ckpt ? checkpoint(f2, {h, scale}) : f2({h, scale});
    return (h * h).sum();
  };

  const torch::Tensor x0 = torch::randn({1, 2, 4, 4}, torch::kFloat64);
  const torch::Tensor xa = x0.clone().requires_grad_(true);
  const torch::Tensor xb = x0.clone().requires_grad_(true);
  const torch::Tensor ga = torch::autograd::grad({energy(xa, false)}, {xa})[0];
  const torch::Tensor gb = torch::autograd::grad({energy(xb, true)}, {xb})[0];
  REQUIRE(torch::allclose(ga, gb, 1e-12, 1e-12));

  // Central differences on a few coordinates.
  torch::NoGradGuard no_grad;
  const double eps = 1e-6;
  for (int k : {0, 5, 17, 31}) {
    torch::Tensor xp = x0.clone(), xm = x0.clone();
    xp.view({-1})[k] += eps;
    xm.view({-1})[k] -= eps;
    const double fd = (energy(xp, false).item<double>() - energy(xm, false).item<double>()) / (2 * eps);
    REQUIRE(gb.view({-1})[k].item<double>() == Approx(fd).epsilon(1e-6).margin(1e-8));
  }
}

TEST_CASE("grad_checkpoint: the forward pass keeps no graph", "[weights][checkpoint]") {
  torch::manual_seed(2);
  auto lin = nn::Linear(6, 6);
  int calls = 0;
  using WeakImpl = c10::weak_intrusive_ptr<c10::TensorImpl, c10::UndefinedTensorImpl>;
  std::optional<WeakImpl> intermediate;
  auto fn = [&](const std::vector<torch::Tensor>& in) {
    ++calls;
    torch::Tensor h = torch::sigmoid(lin(in[0]));  // saved by sigmoid's and mul's backward
    intermediate.emplace(h.getIntrusivePtr());
    return h * in[1];
  };
  const torch::Tensor x = torch::randn({3, 6}, torch::requires_grad());
  const torch::Tensor y = torch::randn({3, 6}, torch::requires_grad());

  // Without checkpointing the graph keeps the intermediate alive.
  torch::Tensor plain = fn({x, y});
  REQUIRE_FALSE(intermediate->expired());
  plain = torch::Tensor();
  REQUIRE(intermediate->expired());

  calls = 0;
  const torch::Tensor out = checkpoint(fn, {x, y});
  REQUIRE(calls == 1);
  REQUIRE(intermediate->expired());
  REQUIRE(out.requires_grad());
  const auto node = out.grad_fn();
  REQUIRE(node != nullptr);
  CAPTURE(node->name());
  REQUIRE_THAT(node->name(), Catch::Matchers::Contains("CheckpointFunction"));
  // The node's edges lead straight to the two inputs, not into fn's graph.
  REQUIRE(node->num_outputs() == 2);
  REQUIRE(node->next_edge(0).function == torch::autograd::impl::grad_accumulator(x));
  REQUIRE(node->next_edge(1).function == torch::autograd::impl::grad_accumulator(y));

  out.sum().backward();
  REQUIRE(calls == 2);  // recomputed once
  REQUIRE(x.grad().defined());
  REQUIRE(lin->weight.grad().defined());
}

TEST_CASE("grad_checkpoint: dropout masks are replayed and the RNG continues", "[weights][checkpoint]") {
  auto drop = nn::Dropout(0.5);
  drop->train();
  auto lin = nn::Linear(8, 8);
  auto fn = [&](const std::vector<torch::Tensor>& in) { return lin(drop(in[0])); };
  const torch::Tensor x0 = torch::randn({16, 8});

  torch::manual_seed(7);
  const torch::Tensor xa = x0.clone().requires_grad_(true);
  fn({xa}).pow(2).sum().backward();
  const torch::Tensor after_plain = torch::rand({4});

  torch::manual_seed(7);
  const torch::Tensor xb = x0.clone().requires_grad_(true);
  const torch::Tensor out = checkpoint(fn, {xb});
  torch::rand({3});  // the RNG moves on between forward and backward
  out.pow(2).sum().backward();
  REQUIRE(torch::equal(xa.grad(), xb.grad()));
  REQUIRE((xb.grad() == 0).any().item<bool>());  // dropout did drop something

  torch::manual_seed(7);
  const torch::Tensor xc = x0.clone().requires_grad_(true);
  const torch::Tensor out_c = checkpoint(fn, {xc});
  out_c.pow(2).sum().backward();
  REQUIRE(torch::equal(torch::rand({4}), after_plain));  // recomputation did not consume randomness
}

TEST_CASE("grad_checkpoint: grad mode off, no input requiring grad, nesting, in-place misuse",
          "[weights][checkpoint]") {
  torch::manual_seed(3);
  auto lin = nn::Linear(4, 4);
  int calls = 0;
  auto fn = [&](const std::vector<torch::Tensor>& in) {
    ++calls;
    return torch::relu(lin(in[0]));
  };
  const torch::Tensor x = torch::randn({2, 4});

  {
    torch::NoGradGuard no_grad;
    REQUIRE_FALSE(checkpointing_active());
    const torch::Tensor out = checkpoint(fn, {x.clone().requires_grad_(true)});
    REQUIRE(out.grad_fn() == nullptr);
    REQUIRE(torch::allclose(out, torch::relu(lin(x))));
  }

  // No input requires grad: fn runs with its graph and parameters still get gradients.
  lin->zero_grad();
  const torch::Tensor out = checkpoint(fn, {x});
  REQUIRE(out.requires_grad());
  out.sum().backward();
  const torch::Tensor g_ckpt = lin->weight.grad().clone();
  lin->zero_grad();
  fn({x}).sum().backward();
  REQUIRE(torch::allclose(lin->weight.grad(), g_ckpt));

  // Nested checkpoints.
  const torch::Tensor xa = torch::randn({2, 4}, torch::requires_grad());
  const torch::Tensor xb = xa.detach().clone().requires_grad_(true);
  auto outer = [&](const std::vector<torch::Tensor>& in) {
    return checkpoint(fn, {in[0] * 2}).tanh() + fn({in[0]});
  };
  outer({xa}).pow(2).sum().backward();
  checkpoint(outer, {xb}).pow(2).sum().backward();
  REQUIRE(torch::allclose(xa.grad(), xb.grad(), 1e-6, 1e-6));

  // Modifying a saved input in place before backward is caught.
  const torch::Tensor leaf = torch::randn({2, 4}, torch::requires_grad());
  torch::Tensor input = leaf * 1.0;
  const torch::Tensor y = checkpoint(fn, {input});
  {
    torch::NoGradGuard no_grad;
    input.add_(1.0);
  }
  REQUIRE_THROWS(y.sum().backward());
}

}  // namespace DISTDIFF_UNITY_ID
