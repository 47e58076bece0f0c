// UNetDenoiser: the Denoiser contract, runtime options, seeding, gradient
// checkpointing (same gradients, and it really checkpoints), and the round
// trip through a diffusers-style unet/ folder.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <unistd.h>

#include "distdiff/models/unet_denoiser.hpp"
#include "distdiff/models/weights/safetensors.hpp"
#include "distdiff/models/weights/state_dict.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using distdiff::RuntimeOptions;
using distdiff::models::UNetConfig;
using distdiff::models::UNetDenoiser;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {
using distdiff::test::TempDir;

void write_json(const fs::path& p, const nlohmann::json& j) {
  std::ofstream(p) << j.dump(2);
}

// Writes `unet`'s config.json and weights (optionally converted) into dir.
void write_unet_folder(const fs::path& dir, const UNetDenoiser& unet,
                       std::optional<torch::Dtype> file_dtype = std::nullopt) {
  fs::create_directories(dir);
  write_json(dir / "config.json", unet.config().to_json());
  auto tensors = distdiff::models::state_dict(*unet.module());
  if (file_dtype)
    for (auto& [k, t] : tensors) t = t.to(*file_dtype);
  distdiff::models::save_safetensors(dir / "diffusion_pytorch_model.safetensors", tensors);
}

struct Inputs {
  torch::Tensor z, cond;
};
Inputs inputs(std::int64_t batch = 2, std::int64_t side = 8) {
  torch::manual_seed(42);
  return {torch::randn({batch, 4, side, side}), torch::randn({batch, 7, 32})};
}

// True when some node reachable from `root` is the checkpoint function.
bool graph_has_checkpoint(const torch::Tensor& out) {
  // grad_fn() is a std::shared_ptr in LibTorch 1.x and a c10::intrusive_ptr in 2.x.
  std::vector<std::decay_t<decltype(out.grad_fn())>> stack{out.grad_fn()};
  std::set<torch::autograd::Node*> seen;
  while (!stack.empty()) {
    auto node = stack.back();
    stack.pop_back();
    if (!node || !seen.insert(node.get()).second) continue;
    if (node->name().find("Checkpoint") != std::string::npos) return true;
    for (const auto& e : node->next_edges()) stack.push_back(e.function);
  }
  return false;
}
}  // namespace

TEST_CASE("UNetDenoiser models Denoiser", "[unet][denoiser]") {
  STATIC_REQUIRE(distdiff::Denoiser<UNetDenoiser>);
  auto unet = UNetDenoiser::random(UNetConfig::tiny(), RuntimeOptions{}, 1);
  CHECK(unet.latent_channels() == 4);
  CHECK(unet.name() == "unet2d-condition[32-64]");
  CHECK_FALSE(unet.gradient_checkpointing());
  CHECK_FALSE(unet.module()->is_training());
  for (const auto& p : unet.module()->parameters()) CHECK_FALSE(p.requires_grad());

  auto [z, cond] = inputs();
  auto eps = unet.predict_noise(z, 500, cond);
  CHECK(eps.sizes() == z.sizes());
  CHECK(eps.scalar_type() == torch::kFloat32);
  // Inputs are converted to the network's dtype; the answer comes back in z's.
  auto eps64 = unet.predict_noise(z.to(torch::kFloat64), 500, cond.to(torch::kFloat64));
  CHECK(eps64.scalar_type() == torch::kFloat64);
  CHECK(torch::allclose(eps64.to(torch::kFloat32), eps));
  // Differentiable in z although the network is frozen.
  auto zg = z.clone().requires_grad_(true);
  unet.predict_noise(zg, 500, cond).square().sum().backward();
  REQUIRE(zg.grad().defined());
  CHECK(zg.grad().abs().sum().item<double>() > 0.0);
}

TEST_CASE("UNetDenoiser rejects bad inputs and runtimes", "[unet][denoiser]") {
  auto unet = UNetDenoiser::random(UNetConfig::tiny(), RuntimeOptions{}, 1);
  auto [z, cond] = inputs();
  CHECK_THROWS_AS(unet.predict_noise(torch::randn({2, 3, 8, 8}), 1, cond), std::invalid_argument);
  CHECK_THROWS_AS(unet.predict_noise(torch::randn({4, 8, 8}), 1, cond), std::invalid_argument);
  CHECK_THROWS_AS(unet.predict_noise(z, 1, torch::randn({1, 7, 32})), std::invalid_argument);
  CHECK_THROWS_AS(unet.predict_noise(z, 1, torch::randn({2, 7, 16})), std::invalid_argument);
  CHECK_THROWS_AS(unet.predict_noise(torch::Tensor(), 1, cond), std::invalid_argument);
  RuntimeOptions half_cpu;
  half_cpu.dtype = torch::kFloat16;
  CHECK_THROWS_AS(UNetDenoiser::random(UNetConfig::tiny(), half_cpu, 1), std::invalid_argument);
  RuntimeOptions ints;
  ints.dtype = torch::kInt32;
  CHECK_THROWS_AS(UNetDenoiser::random(UNetConfig::tiny(), ints, 1), std::invalid_argument);
  auto bad = UNetConfig::tiny();
  bad.norm_num_groups = 5;
  CHECK_THROWS_AS(UNetDenoiser::random(bad, RuntimeOptions{}, 1), std::invalid_argument);
}

TEST_CASE("UNetDenoiser::random is seeded and leaves the global generator alone", "[unet][denoiser]") {
  auto [z, cond] = inputs();
  torch::manual_seed(123);
  auto expected_next = torch::rand({4});
  torch::manual_seed(123);
  auto a = UNetDenoiser::random(UNetConfig::tiny(), RuntimeOptions{}, 7);
  CHECK(torch::equal(torch::rand({4}), expected_next));
  auto b = UNetDenoiser::random(UNetConfig::tiny(), RuntimeOptions{}, 7);
  auto c = UNetDenoiser::random(UNetConfig::tiny(), RuntimeOptions{}, 8);
  auto ea = a.predict_noise(z, 10, cond);
  CHECK(torch::equal(ea, b.predict_noise(z, 10, cond)));
  CHECK_FALSE(torch::allclose(ea, c.predict_noise(z, 10, cond)));
}

TEST_CASE("UNetDenoiser in bfloat16 on CPU stays close to float32", "[unet][denoiser]") {
  RuntimeOptions bf16;
  bf16.dtype = torch::kBFloat16;
  auto ref = UNetDenoiser::random(UNetConfig::tiny(), RuntimeOptions{}, 3);
  auto low = UNetDenoiser::random(UNetConfig::tiny(), bf16, 3);
  auto [z, cond] = inputs();
  auto e32 = ref.predict_noise(z, 300, cond);
  auto e16 = low.predict_noise(z, 300, cond);
  CHECK(e16.scalar_type() == torch::kFloat32);
  auto relative_error = [&](const torch::Tensor& e) { return ((e - e32).norm() / e32.norm()).item<double>(); };
  // The bound follows from bf16's precision, not from one CPU's result. bf16
  // keeps 8 significant bits: unit roundoff u = 2^-8 ~ 0.0039. The tiny UNet's
  // longest path runs through about D = 64 convolutions and linear layers
  // (conv_in; per down/mid/up block, resnets of 2 convs and transformers of
  // proj_in, q/k/v/out of 2 attentions, 2 feed-forward layers, proj_out;
  // conv_out), each rounding its input and weights once. Independent rounding
  // errors add in quadrature, sqrt(D) u = 8u ~ 0.031, and group norms and
  // residual sums amplify them by a small factor that depends on the CPU's
  // kernels (which accumulate in different orders and widths): 0.015 = 3.9u
  // was seen with AVX-512 bf16 kernels, 0.050 = 12.8u with AVX2 ones. Bound
  // 3 sqrt(D) u = 24u ~ 0.094 leaves about 2x over the worst of these and stays
  // an order of magnitude below the O(1) error of a broken path (weights lost
  // or read in the wrong dtype: 1.2 here), checked below.
  constexpr double u = 1.0 / 256;
  constexpr double depth = 64;
  const double bound = 3 * std::sqrt(depth) * u;
  const double rel = relative_error(e16);
  INFO("relative error " << rel << " (" << rel / u << "u), bound " << bound);
  CHECK(rel < bound);
  // A bf16 model that lost its weights (another seed stands in for them) is
  // far outside the bound, so the check above can fail.
  auto lost = UNetDenoiser::random(UNetConfig::tiny(), bf16, 4);
  const double rel_lost = relative_error(lost.predict_noise(z, 300, cond));
  INFO("relative error with other weights " << rel_lost);
  CHECK(rel_lost > 5 * bound);
}

TEST_CASE("Gradient checkpointing: same gradients, recomputed activations", "[unet][denoiser][checkpoint]") {
  RuntimeOptions f64;
  f64.dtype = torch::kFloat64;
  auto unet = UNetDenoiser::random(UNetConfig::tiny(), f64, 5);
  auto [z32, cond32] = inputs();
  auto z = z32.to(torch::kFloat64), cond = cond32.to(torch::kFloat64);
  auto grad_of = [&](bool checkpointing, bool* checkpointed) {
    unet.gradient_checkpointing() = checkpointing;
    auto zg = z.clone().requires_grad_(true);
    auto out = unet.predict_noise(zg, 700, cond);
    *checkpointed = graph_has_checkpoint(out);
    return torch::autograd::grad({(out * out).sum()}, {zg})[0];
  };
  bool used_plain = true, used_ckpt = false;
  auto g_plain = grad_of(false, &used_plain);
  auto g_ckpt = grad_of(true, &used_ckpt);
  CHECK_FALSE(used_plain);
  CHECK(used_ckpt);
  CHECK(torch::allclose(g_plain, g_ckpt, 1e-10, 1e-12));
  // Without grad mode the flag changes nothing.
  torch::NoGradGuard ng;
  auto with = unet.predict_noise(z, 700, cond);
  unet.gradient_checkpointing() = false;
  CHECK(torch::equal(with, unet.predict_noise(z, 700, cond)));
}

TEST_CASE("UNetDenoiser::load round trip through a unet/ folder", "[unet][denoiser][weights]") {
  TempDir tmp;
  auto original = UNetDenoiser::random(UNetConfig::tiny(), RuntimeOptions{}, 9);
  auto [z, cond] = inputs();
  auto expected = original.predict_noise(z, 250, cond);

  SECTION("float32 file: identical outputs") {
    write_unet_folder(tmp.path / "unet", original);
    auto loaded = UNetDenoiser::load(tmp.path / "unet", RuntimeOptions{});
    CHECK(loaded.config() == original.config());
    CHECK(torch::equal(loaded.predict_noise(z, 250, cond), expected));
    for (const auto& p : loaded.module()->parameters()) CHECK_FALSE(p.requires_grad());
  }
  SECTION("float16 file upcast on CPU: weights are the rounded originals") {
    write_unet_folder(tmp.path / "unet", original, torch::kFloat16);
    auto loaded = UNetDenoiser::load(tmp.path / "unet", RuntimeOptions{});
    auto src = distdiff::models::state_dict(*original.module());
    for (const auto& [k, t] : distdiff::models::state_dict(*loaded.module())) {
      INFO(k);
      CHECK(t.scalar_type() == torch::kFloat32);
      CHECK(torch::equal(t, src.at(k).to(torch::kFloat16).to(torch::kFloat32)));
    }
    auto got = loaded.predict_noise(z, 250, cond);
    CHECK(((got - expected).norm() / expected.norm()).item<double>() < 1e-2);
  }
  SECTION("errors name the problem") {
    CHECK_THROWS_AS(UNetDenoiser::load(tmp.path / "nowhere", RuntimeOptions{}), std::runtime_error);
    fs::create_directories(tmp.path / "empty");
    CHECK_THROWS_WITH(UNetDenoiser::load(tmp.path / "empty", RuntimeOptions{}),
                      Catch::Contains("config.json"));
    write_unet_folder(tmp.path / "unet", original);
    // No weights file.
    fs::create_directories(tmp.path / "noweights");
    fs::copy_file(tmp.path / "unet" / "config.json", tmp.path / "noweights" / "config.json");
    CHECK_THROWS_AS(UNetDenoiser::load(tmp.path / "noweights", RuntimeOptions{}), std::runtime_error);
    // A config that does not match the weights.
    auto cfg = original.config();
    cfg.cross_attention_dim = 16;
    write_json(tmp.path / "unet" / "config.json", cfg.to_json());
    CHECK_THROWS_AS(UNetDenoiser::load(tmp.path / "unet", RuntimeOptions{}), std::runtime_error);
    // A malformed config.
    std::ofstream(tmp.path / "unet" / "config.json") << "{ \"block_out_channels\": [32, ";
    CHECK_THROWS_WITH(UNetDenoiser::load(tmp.path / "unet", RuntimeOptions{}), Catch::Contains("config.json"));
    // A weights file with a tensor missing (strict loading).
    write_json(tmp.path / "unet" / "config.json", original.config().to_json());
    auto tensors = distdiff::models::state_dict(*original.module());
    tensors.erase("mid_block.attentions.0.proj_out.bias");
    distdiff::models::save_safetensors(tmp.path / "unet" / "diffusion_pytorch_model.safetensors", tensors);
    CHECK_THROWS_WITH(UNetDenoiser::load(tmp.path / "unet", RuntimeOptions{}),
                      Catch::Contains("mid_block.attentions.0.proj_out.bias"));
  }
}

}  // namespace DISTDIFF_UNITY_ID
