// The FID Inception-v3 network: names and parameter count against the
// architecture, tiny-width forward passes, the FID-specific pools, loading.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <set>

#include "distdiff/eval/inception.hpp"
#include "distdiff/models/weights/state_dict.hpp"
#include "support/temp_dir.hpp"

using namespace distdiff;
using Catch::Contains;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {

// Every BasicConv2d of the network: name, in/out channels (unscaled), kernel.
struct ConvSpec {
  std::string name;
  std::int64_t in, out, kh, kw;
};

// The architecture written out independently from torchvision's Inception3 /
// pytorch-fid's FIDInception blocks, with channel counts scaled like the config.
std::vector<ConvSpec> architecture(const FidInceptionConfig& c) {
  std::vector<ConvSpec> v;
  auto ch = [&](std::int64_t x) { return c.ch(x); };
  auto add = [&](std::string n, std::int64_t i, std::int64_t o, std::int64_t kh, std::int64_t kw) {
    v.push_back({std::move(n), i, o, kh, kw});
  };
  add("Conv2d_1a_3x3", 3, ch(32), 3, 3);
  add("Conv2d_2a_3x3", ch(32), ch(32), 3, 3);
  add("Conv2d_2b_3x3", ch(32), ch(64), 3, 3);
  add("Conv2d_3b_1x1", ch(64), ch(80), 1, 1);
  add("Conv2d_4a_3x3", ch(80), ch(192), 3, 3);
  std::int64_t in = ch(192);
  auto block_a = [&](const std::string& n, std::int64_t pool) {
    add(n + ".branch1x1", in, ch(64), 1, 1);
    add(n + ".branch5x5_1", in, ch(48), 1, 1);
    add(n + ".branch5x5_2", ch(48), ch(64), 5, 5);
    add(n + ".branch3x3dbl_1", in, ch(64), 1, 1);
    add(n + ".branch3x3dbl_2", ch(64), ch(96), 3, 3);
    add(n + ".branch3x3dbl_3", ch(96), ch(96), 3, 3);
    add(n + ".branch_pool", in, ch(pool), 1, 1);
    in = ch(64) + ch(64) + ch(96) + ch(pool);
  };
  block_a("Mixed_5b", 32);
  block_a("Mixed_5c", 64);
  block_a("Mixed_5d", 64);
  add("Mixed_6a.branch3x3", in, ch(384), 3, 3);
  add("Mixed_6a.branch3x3dbl_1", in, ch(64), 1, 1);
  add("Mixed_6a.branch3x3dbl_2", ch(64), ch(96), 3, 3);
  add("Mixed_6a.branch3x3dbl_3", ch(96), ch(96), 3, 3);
  in = ch(384) + ch(96) + in;
  auto block_c = [&](const std::string& n, std::int64_t c7) {
    add(n + ".branch1x1", in, ch(192), 1, 1);
    add(n + ".branch7x7_1", in, ch(c7), 1, 1);
    add(n + ".branch7x7_2", ch(c7), ch(c7), 1, 7);
    add(n + ".branch7x7_3", ch(c7), ch(192), 7, 1);
    add(n + ".branch7x7dbl_1", in, ch(c7), 1, 1);
    add(n + ".branch7x7dbl_2", ch(c7), ch(c7), 7, 1);
    add(n + ".branch7x7dbl_3", ch(c7), ch(c7), 1, 7);
    add(n + ".branch7x7dbl_4", ch(c7), ch(c7), 7, 1);
    add(n + ".branch7x7dbl_5", ch(c7), ch(192), 1, 7);
    add(n + ".branch_pool", in, ch(192), 1, 1);
    in = 4 * ch(192);
  };
  block_c("Mixed_6b", 128);
  block_c("Mixed_6c", 160);
  block_c("Mixed_6d", 160);
  block_c("Mixed_6e", 192);
  add("Mixed_7a.branch3x3_1", in, ch(192), 1, 1);
  add("Mixed_7a.branch3x3_2", ch(192), ch(320), 3, 3);
  add("Mixed_7a.branch7x7x3_1", in, ch(192), 1, 1);
  add("Mixed_7a.branch7x7x3_2", ch(192), ch(192), 1, 7);
  add("Mixed_7a.branch7x7x3_3", ch(192), ch(192), 7, 1);
  add("Mixed_7a.branch7x7x3_4", ch(192), ch(192), 3, 3);
  in = ch(320) + ch(192) + in;
  auto block_e = [&](const std::string& n) {
    add(n + ".branch1x1", in, ch(320), 1, 1);
    add(n + ".branch3x3_1", in, ch(384), 1, 1);
    add(n + ".branch3x3_2a", ch(384), ch(384), 1, 3);
    add(n + ".branch3x3_2b", ch(384), ch(384), 3, 1);
    add(n + ".branch3x3dbl_1", in, ch(448), 1, 1);
    add(n + ".branch3x3dbl_2", ch(448), ch(384), 3, 3);
    add(n + ".branch3x3dbl_3a", ch(384), ch(384), 1, 3);
    add(n + ".branch3x3dbl_3b", ch(384), ch(384), 3, 1);
    add(n + ".branch_pool", in, ch(192), 1, 1);
    in = ch(320) + 4 * ch(384) + ch(192);
  };
  block_e("Mixed_7b");
  block_e("Mixed_7c");
  return v;
}

std::int64_t parameter_count(const torch::nn::Module& m) {
  std::int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

// The expected state dict (name -> shape) from the architecture table.
std::map<std::string, std::vector<std::int64_t>> expected_state(const FidInceptionConfig& c) {
  std::map<std::string, std::vector<std::int64_t>> out;
  for (const auto& s : architecture(c)) {
    out[s.name + ".conv.weight"] = {s.out, s.in, s.kh, s.kw};
    for (const char* b : {".bn.weight", ".bn.bias", ".bn.running_mean", ".bn.running_var"})
      out[s.name + b] = {s.out};
  }
  return out;
}

FidInceptionConfig tiny() {
  FidInceptionConfig c;
  c.width = 1.0 / 32;
  return c;
}

using distdiff::test::TempDir;

// Conv weights 1/fan_in (a channel average), BatchNorm the identity (up to eps):
// every BasicConv2d then averages its input over channels and window.
void make_averaging(torch::nn::Module& m) {
  torch::NoGradGuard g;
  for (auto& item : m.named_parameters()) {
    const auto& n = item.key();
    auto& p = item.value();
    if (n.size() >= 11 && n.compare(n.size() - 11, 11, "conv.weight") == 0)
      p.fill_(1.0 / double(p.size(1) * p.size(2) * p.size(3)));
    else if (n.size() >= 9 && n.compare(n.size() - 9, 9, "bn.weight") == 0)
      p.fill_(1.0);
    else
      p.fill_(0.0);
  }
}

}  // namespace

TEST_CASE("FID Inception at full width: torchvision names and parameter count", "[eval][inception]") {
  const FidInceptionConfig full;
  FidInceptionV3 net(full);
  const auto expected = expected_state(full);
  const auto state = models::state_dict(*net);
  REQUIRE(state.size() == expected.size());
  for (const auto& [name, shape] : expected) {
    INFO(name);
    REQUIRE(state.count(name) == 1);
    CHECK(state.at(name).sizes().vec() == shape);
  }
  std::int64_t from_architecture = 0;
  for (const auto& s : architecture(full)) from_architecture += s.in * s.out * s.kh * s.kw + 2 * s.out;
  const auto count = parameter_count(*net);
  CHECK(count == from_architecture);
  // torchvision's inception_v3 (with AuxLogits and a 1000-way fc) has 27,161,264
  // parameters (torchvision model table). AuxLogits: conv0 768->128 1x1 + BN,
  // conv1 128->768 5x5 + BN, fc 768->1000; main fc 2048->1000.
  const std::int64_t aux = (768 * 128 + 2 * 128) + (128 * 768 * 25 + 2 * 768) + (768 * 1000 + 1000);
  const std::int64_t fc = 2048 * 1000 + 1000;
  CHECK(count + aux + fc == 27161264);
  CHECK(net->feature_dim == 2048);
}

TEST_CASE("FID Inception at full width: one forward pass gives 2048-d features", "[eval][inception]") {
  FidInception net;
  auto gen = at::detail::createCPUGenerator(1);
  const auto f = net.features(torch::rand({1, 3, 64, 80}, gen, torch::kFloat32));
  CHECK(f.sizes() == torch::IntArrayRef({1, 2048}));
  CHECK(torch::isfinite(f).all().item<bool>());
  CHECK((f >= 0).all().item<bool>());   // average of ReLU outputs
}

TEST_CASE("FID Inception at tiny width: same topology and names, scaled shapes", "[eval][inception]") {
  const auto cfg = tiny();
  FidInception net(cfg);
  const auto expected = expected_state(cfg);
  const auto state = models::state_dict(*net.module());
  REQUIRE(state.size() == expected.size());
  for (const auto& [name, shape] : expected) {
    INFO(name);
    REQUIRE(state.count(name) == 1);
    CHECK(state.at(name).sizes().vec() == shape);
  }
  const auto full_names = expected_state(FidInceptionConfig{});
  for (const auto& [name, shape] : full_names) CHECK(state.count(name) == 1);
  const std::int64_t dim = cfg.ch(320) + 4 * cfg.ch(384) + cfg.ch(192);
  CHECK(net.feature_dim() == dim);

  auto gen = at::detail::createCPUGenerator(2);
  const auto images = torch::rand({3, 3, 120, 90}, gen, torch::kFloat32);
  const auto f = net.features(images);
  CHECK(f.sizes() == torch::IntArrayRef({3, dim}));
  CHECK(f.scalar_type() == torch::kFloat32);
  CHECK_FALSE(f.requires_grad());
  // deterministic, and each image independent of the others in the batch
  CHECK(torch::equal(f, net.features(images)));
  for (std::int64_t b = 0; b < 3; ++b)
    CHECK(torch::allclose(net.features(images.slice(0, b, b + 1))[0], f[b], 1e-5, 1e-6));
  // a 299x299 input is not resampled: features of the same image via float64 agree
  const auto x299 = torch::rand({1, 3, 299, 299}, gen, torch::kFloat32);
  CHECK(torch::allclose(net.features(x299), net.features(x299.to(torch::kFloat64)), 1e-5, 1e-6));
}

TEST_CASE("FID Inception: extract() is differentiable (a FeatureExtractor)", "[eval][inception]") {
  STATIC_REQUIRE(FeatureExtractor<FidInception>);
  FidInception net(tiny());
  auto gen = at::detail::createCPUGenerator(3);
  auto x = torch::rand({1, 3, 50, 50}, gen, torch::kFloat32).requires_grad_(true);
  net.extract(x).sum().backward();
  REQUIRE(x.grad().defined());
  CHECK(x.grad().abs().sum().item<double>() > 0);
  CHECK(net.name() == "fid-inception-v3");
  CHECK_THROWS_WITH(net.features(torch::rand({3, 50, 50})), Contains("[B, 3, H, W]"));
  CHECK_THROWS_WITH(net.features(torch::rand({1, 1, 50, 50})), Contains("[B, 3, H, W]"));
  CHECK_THROWS_WITH(net.features(torch::zeros({1, 3, 50, 50}, torch::kUInt8)), Contains("floating"));
}

TEST_CASE("FID blocks: average pools exclude padding, Mixed_7c max-pools", "[eval][inception]") {
  // With averaging convolutions and identity BatchNorm, a constant input gives a
  // constant branch_pool output only if the 3x3 average pool ignores the zero
  // padding (count_include_pad = false); torchvision's default would darken the border.
  const auto cfg = tiny();
  const std::int64_t in = 4;
  auto check_constant_pool_branch = [&](auto& block, std::int64_t pool_channels) {
    make_averaging(block);
    torch::NoGradGuard g;
    const auto x = torch::full({1, in, 9, 9}, 2.0);
    const auto y = block.forward(x);
    const auto pool = y.slice(1, y.size(1) - pool_channels);
    const double expected = 2.0 / std::sqrt(1.0 + 0.001);
    CHECK(torch::allclose(pool, torch::full_like(pool, expected), 1e-6, 1e-6));
  };
  inception::BlockA a(in, 32, cfg);
  check_constant_pool_branch(*a, cfg.ch(32));
  inception::BlockC c(in, 128, cfg);
  check_constant_pool_branch(*c, cfg.ch(192));
  inception::BlockE e1(in, /*max_pool_branch=*/false, cfg);
  check_constant_pool_branch(*e1, cfg.ch(192));

  // Mixed_7c: a single bright pixel spreads unchanged to its 3x3 neighbourhood.
  inception::BlockE e2(in, /*max_pool_branch=*/true, cfg);
  make_averaging(*e2);
  torch::NoGradGuard g;
  auto x = torch::zeros({1, in, 7, 7});
  x.select(2, 3).select(2, 3).fill_(1.0);   // pixel (3, 3), every channel
  const auto y = e2->forward(x);
  const auto pool = y.slice(1, y.size(1) - cfg.ch(192))[0][0];
  const double v = 1.0 / std::sqrt(1.0 + 0.001);
  for (int i = 0; i < 7; ++i)
    for (int j = 0; j < 7; ++j) {
      const bool near = std::abs(i - 3) <= 1 && std::abs(j - 3) <= 1;
      CHECK(pool[i][j].item<double>() == Approx(near ? v : 0.0).margin(1e-6));
    }
  // Mixed_7b (average) gives 1/9 of it in the same place
  inception::BlockE e1b(in, false, cfg);
  make_averaging(*e1b);
  const auto yb = e1b->forward(x);
  CHECK(yb.slice(1, yb.size(1) - cfg.ch(192))[0][0][3][3].item<double>() == Approx(v / 9).margin(1e-6));
}

TEST_CASE("FID Inception loads a safetensors export through the weights API", "[eval][inception]") {
  TempDir tmp;
  const auto cfg = tiny();
  FidInception original(cfg);
  {
    torch::NoGradGuard g;   // non-trivial BatchNorm statistics
    for (auto& b : original.module()->buffers()) b.uniform_(0.5, 1.5);
  }
  auto tensors = models::state_dict(*original.module());
  // what a pytorch-fid export also carries: the 1008-way classifier and BN counters
  tensors["fc.weight"] = torch::zeros({1008, original.feature_dim()});
  tensors["fc.bias"] = torch::zeros({1008});
  tensors["Conv2d_1a_3x3.bn.num_batches_tracked"] = torch::zeros({}, torch::kLong);
  const auto file = tmp.path / "pt_inception.safetensors";
  models::save_safetensors(file, tensors);

  const auto loaded = FidInception::load(file, RuntimeOptions{}, cfg);
  auto gen = at::detail::createCPUGenerator(4);
  const auto x = torch::rand({2, 3, 40, 40}, gen, torch::kFloat32);
  CHECK(torch::equal(loaded.features(x), original.features(x)));

  // a missing tensor and a wrong shape are errors naming the file
  tensors.erase("Mixed_6b.branch7x7_2.conv.weight");
  const auto missing = tmp.path / "missing.safetensors";
  models::save_safetensors(missing, tensors);
  CHECK_THROWS_WITH(FidInception::load(missing, RuntimeOptions{}, cfg),
                    Contains("missing.safetensors") && Contains("Mixed_6b.branch7x7_2.conv.weight"));
  // full-width network from tiny weights: shape mismatch
  CHECK_THROWS_WITH(FidInception::load(file), Contains("pt_inception.safetensors"));
  CHECK_THROWS_WITH(FidInception::load(tmp.path / "absent.safetensors"), Contains("absent.safetensors"));
}

}  // namespace DISTDIFF_UNITY_ID
