// Decoder gradient checkpointing: same values and gradients, fewer saved
// activations.
#include <catch2/catch.hpp>

#include "models/vae/vae_test_util.hpp"

#include <set>

using distdiff::models::AutoencoderKL;
using distdiff::models::VaeCodec;
using distdiff::models::VaeConfig;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {

// Nodes of the autograd graph reachable from t.
std::size_t graph_nodes(const torch::Tensor& t) {
  std::set<torch::autograd::Node*> seen;
  std::vector<torch::autograd::Node*> stack{t.grad_fn().get()};
  while (!stack.empty()) {
    auto* n = stack.back();
    stack.pop_back();
    if (n == nullptr || !seen.insert(n).second) continue;
    for (const auto& e : n->next_edges()) stack.push_back(e.function.get());
  }
  return seen.size();
}

}  // namespace

TEST_CASE("VaeDecoder: gradient checkpointing gives the same output and gradient w.r.t. z", "[vae]") {
  auto codec = VaeCodec::random(VaeConfig::tiny(), vae_test::cpu(torch::kFloat64), 51);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
  const auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  const auto z0 = torch::randn({1, 4, 4, 4}, gen, opts);
  const auto w = torch::randn({1, 3, 8, 8}, gen, opts);

  auto run = [&](bool checkpointing, std::size_t* nodes) {
    codec.decoder.gradient_checkpointing = checkpointing;
    auto z = z0.clone().requires_grad_(true);
    const auto y = codec.decoder.decode(z);
    if (nodes) *nodes = graph_nodes(y);
    const auto g = torch::autograd::grad({(y * w).sum()}, {z})[0];
    return std::pair{y.detach(), g};
  };
  std::size_t plain_nodes = 0, ckpt_nodes = 0;
  const auto [y_plain, g_plain] = run(false, &plain_nodes);
  const auto [y_ckpt, g_ckpt] = run(true, &ckpt_nodes);
  CHECK(vae_test::max_abs_diff(y_plain, y_ckpt) == 0.0);
  CHECK(vae_test::max_abs_diff(g_plain, g_ckpt) < 1e-12);
  CHECK(g_plain.abs().sum().item<double>() > 0);
  // The mid block and up blocks collapse into one node each.
  INFO("graph nodes: plain " << plain_nodes << ", checkpointed " << ckpt_nodes);
  CHECK(ckpt_nodes + 40 < plain_nodes);

  // Without grad mode nothing is recorded either way.
  {
    torch::NoGradGuard no_grad;
    codec.decoder.gradient_checkpointing = true;
    CHECK(torch::equal(codec.decoder.decode(z0), y_plain));
  }
}

TEST_CASE("vae::Decoder: checkpointing also accumulates parameter gradients", "[vae]") {
  AutoencoderKL model(VaeConfig::tiny());
  distdiff::models::vae::randomize_parameters(*model, 52);
  model->to(torch::kFloat64);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(2);
  const auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  const auto z = torch::randn({1, 4, 4, 4}, gen, opts).requires_grad_(true);
  const auto w = torch::randn({1, 3, 8, 8}, gen, opts);

  auto grads = [&](bool checkpointing) {
    model->zero_grad();
    model->decoder->gradient_checkpointing = checkpointing;
    (model->decode(z) * w).sum().backward();
    std::map<std::string, torch::Tensor> out;
    for (const auto& item : model->named_parameters())
      if (item.value().grad().defined()) out.emplace(item.key(), item.value().grad().clone());
    return out;
  };
  const auto plain = grads(false);
  const auto ckpt = grads(true);
  REQUIRE(plain.size() == ckpt.size());
  REQUIRE(plain.count("decoder.up_blocks.0.resnets.0.conv1.weight") == 1);
  REQUIRE(plain.count("decoder.mid_block.attentions.0.to_q.weight") == 1);
  for (const auto& [key, g] : plain) {
    INFO(key);
    REQUIRE(ckpt.count(key) == 1);
    CHECK(vae_test::max_abs_diff(g, ckpt.at(key)) < 1e-12);
  }
}

}  // namespace DISTDIFF_UNITY_ID
