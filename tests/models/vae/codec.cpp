// VaeEncoder / VaeDecoder: shapes, scaling factor, posterior sampling,
// gradients, runtime options and error paths.
#include <catch2/catch.hpp>

#include "models/vae/vae_test_util.hpp"

#include <distdiff/concepts/models.hpp>

#include <cmath>

using distdiff::models::AutoencoderKL;
using distdiff::models::VaeCodec;
using distdiff::models::VaeConfig;
using distdiff::models::VaeDecoder;
using distdiff::models::VaeEncoder;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace vae = distdiff::models::vae;

static_assert(distdiff::LatentEncoder<VaeEncoder>);
static_assert(distdiff::Decoder<VaeDecoder>);
static_assert(!distdiff::LatentEncoder<VaeDecoder>);
static_assert(!distdiff::Decoder<VaeEncoder>);

TEST_CASE("VaeCodec: tiny config maps 64x64 images to 32x32 latents and back", "[vae]") {
  const auto codec = VaeCodec::random(VaeConfig::tiny(), vae_test::cpu(), 1);
  CHECK(codec.encoder.downsample_factor() == 2);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(0);
  const auto x = vae_test::images(2, 3, 64, 64, 1);
  const auto z = codec.encoder.encode(x, gen);
  CHECK(z.sizes().vec() == std::vector<std::int64_t>{2, 4, 32, 32});
  const auto y = codec.decoder.decode(z);
  CHECK(y.sizes().vec() == std::vector<std::int64_t>{2, 3, 64, 64});
  CHECK(torch::isfinite(y).all().item<bool>());
  CHECK(codec.encoder.name().find("encoder") != std::string::npos);
  CHECK(codec.decoder.name().find("random seed 1") != std::string::npos);
  // Both components share one network.
  CHECK(codec.encoder.module().ptr() == codec.decoder.module().ptr());

  // Three levels: factor 4; non-square images work.
  VaeConfig c = VaeConfig::tiny();
  c.block_out_channels = {8, 16, 16};
  const auto codec3 = VaeCodec::random(c, vae_test::cpu(), 2);
  CHECK(codec3.encoder.downsample_factor() == 4);
  const auto z3 = codec3.encoder.encode_mean(vae_test::images(1, 3, 16, 24, 2));
  CHECK(z3.sizes().vec() == std::vector<std::int64_t>{1, 4, 4, 6});
  CHECK(codec3.decoder.decode(z3).sizes().vec() == std::vector<std::int64_t>{1, 3, 16, 24});
}

TEST_CASE("VaeCodec: the network is frozen, in eval mode, and leaves global RNG alone", "[vae]") {
  torch::manual_seed(123);
  const auto before = torch::rand({4});
  torch::manual_seed(123);
  const auto codec = VaeCodec::random(VaeConfig::tiny(), vae_test::cpu(), 5);
  CHECK(torch::equal(torch::rand({4}), before));
  for (const auto& p : codec.encoder.module()->parameters()) CHECK_FALSE(p.requires_grad());
  CHECK_FALSE(codec.encoder.module()->is_training());

  // Same seed, same weights; another seed, other weights.
  const auto again = VaeCodec::random(VaeConfig::tiny(), vae_test::cpu(), 5);
  const auto other = VaeCodec::random(VaeConfig::tiny(), vae_test::cpu(), 6);
  const auto a = vae_test::named_params(*codec.encoder.module());
  const auto b = vae_test::named_params(*again.encoder.module());
  const auto c = vae_test::named_params(*other.encoder.module());
  for (const auto& [k, t] : a) {
    INFO(k);
    CHECK(torch::equal(t, b.at(k)));
    CHECK_FALSE(torch::equal(t, c.at(k)));
  }
}

TEST_CASE("VaeCodec: the scaling factor is applied when encoding and undone when decoding", "[vae]") {
  VaeConfig cfg = VaeConfig::tiny();
  cfg.scaling_factor = 0.25;
  const auto codec = VaeCodec::random(cfg, vae_test::cpu(torch::kFloat64), 3);
  auto& model = codec.encoder.module();
  torch::NoGradGuard no_grad;
  const auto x = vae_test::images(1, 3, 16, 16, 4, torch::kFloat64);
  const auto post = model.ptr()->encode(x);
  CHECK(vae_test::max_abs_diff(codec.encoder.encode_mean(x), post.mean * 0.25) < 1e-14);

  auto g1 = at::make_generator<at::CPUGeneratorImpl>(77);
  auto g2 = at::make_generator<at::CPUGeneratorImpl>(77);
  const auto eps = torch::randn(post.mean.sizes(), g2, torch::TensorOptions().dtype(torch::kFloat32));
  const auto expected = (post.mean + post.stddev * eps.to(torch::kFloat64)) * 0.25;
  CHECK(vae_test::max_abs_diff(codec.encoder.encode(x, g1), expected) < 1e-14);

  const auto z = vae_test::images(1, 4, 8, 8, 5, torch::kFloat64);
  CHECK(vae_test::max_abs_diff(codec.decoder.decode(z), model.ptr()->decode(z / 0.25)) < 1e-14);
  CHECK(vae_test::max_abs_diff(codec.decoder.decode(z * 0.25), model.ptr()->decode(z)) < 1e-12);
  CHECK(VaeConfig::sd_v1_4().scaling_factor == 0.18215);
}

TEST_CASE("VaeEncoder::encode is deterministic for a seeded generator", "[vae]") {
  const auto codec = VaeCodec::random(VaeConfig::tiny(), vae_test::cpu(), 9);
  const auto x = vae_test::images(2, 3, 8, 8, 2);
  auto g1 = at::make_generator<at::CPUGeneratorImpl>(42);
  auto g2 = at::make_generator<at::CPUGeneratorImpl>(42);
  auto g3 = at::make_generator<at::CPUGeneratorImpl>(43);
  const auto a = codec.encoder.encode(x, g1);
  CHECK(torch::equal(a, codec.encoder.encode(x, g2)));
  CHECK_FALSE(torch::equal(a, codec.encoder.encode(x, g3)));
  // The generator advances: a second draw differs.
  CHECK_FALSE(torch::equal(a, codec.encoder.encode(x, g1)));
}

TEST_CASE("vae::DiagonalGaussian: closed-form mean and std over a large sample", "[vae]") {
  // mean 1.5 / -0.5, logvar log(0.25) / log(4): std 0.5 / 2.
  const std::int64_t n = 256;
  auto moments = torch::empty({1, 4, n, n}, torch::kFloat64);
  moments.select(1, 0).fill_(1.5);
  moments.select(1, 1).fill_(-0.5);
  moments.select(1, 2).fill_(std::log(0.25));
  moments.select(1, 3).fill_(std::log(4.0));
  const vae::DiagonalGaussian q(moments);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(2024);
  const auto s = q.sample(gen);
  REQUIRE(s.sizes().vec() == std::vector<std::int64_t>{1, 2, n, n});
  const double count = static_cast<double>(n * n);
  const double m0 = s.select(1, 0).mean().item<double>(), s0 = s.select(1, 0).std().item<double>();
  const double m1 = s.select(1, 1).mean().item<double>(), s1 = s.select(1, 1).std().item<double>();
  // 5 standard errors.
  CHECK(std::abs(m0 - 1.5) < 5 * 0.5 / std::sqrt(count));
  CHECK(std::abs(m1 + 0.5) < 5 * 2.0 / std::sqrt(count));
  CHECK(std::abs(s0 - 0.5) < 5 * 0.5 / std::sqrt(2 * count));
  CHECK(std::abs(s1 - 2.0) < 5 * 2.0 / std::sqrt(2 * count));
  CHECK(torch::equal(q.mode(), moments.slice(1, 0, 2)));
  // KL(N(m, s²) || N(0, 1)) = 0.5 (m² + s² - 1 - log s²), summed.
  const double kl = 0.5 * count * ((1.5 * 1.5 + 0.25 - 1 - std::log(0.25)) + (0.25 + 4 - 1 - std::log(4.0)));
  CHECK(q.kl().item<double>() == Approx(kl).epsilon(1e-12));
}

TEST_CASE("vae::DiagonalGaussian clamps logvar to [-30, 20] and checks its inputs", "[vae]") {
  auto moments = torch::zeros({1, 2, 1, 2}, torch::kFloat64);
  moments[0][1][0][0] = 100.0;
  moments[0][1][0][1] = -100.0;
  const vae::DiagonalGaussian q(moments);
  CHECK(q.logvar[0][0][0][0].item<double>() == 20.0);
  CHECK(q.logvar[0][0][0][1].item<double>() == -30.0);
  CHECK(q.stddev[0][0][0][0].item<double>() == Approx(std::exp(10.0)));
  CHECK(q.var[0][0][0][1].item<double>() == Approx(std::exp(-30.0)));
  CHECK_THROWS_AS(vae::DiagonalGaussian(torch::zeros({1, 3, 2, 2})), std::invalid_argument);
  CHECK_THROWS_AS(vae::DiagonalGaussian(torch::zeros({3, 2, 2})), std::invalid_argument);
  at::Generator undefined;
  CHECK_THROWS_AS(q.sample(undefined), std::invalid_argument);
}

TEST_CASE("VaeDecoder::decode matches central finite differences (float64)", "[vae]") {
  VaeConfig cfg = VaeConfig::tiny();
  cfg.block_out_channels = {8, 16};
  cfg.norm_num_groups = 4;
  const auto codec = VaeCodec::random(cfg, vae_test::cpu(torch::kFloat64), 17);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(4);
  const auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  const auto z0 = torch::randn({1, 4, 4, 4}, gen, opts);
  const auto w = torch::randn({1, 3, 8, 8}, gen, opts);  // loss = <w, decode(z)>
  auto loss = [&](const torch::Tensor& z) { return (codec.decoder.decode(z) * w).sum(); };

  auto z = z0.clone().requires_grad_(true);
  const auto grad = torch::autograd::grad({loss(z)}, {z})[0];
  REQUIRE(grad.sizes() == z0.sizes());
  REQUIRE(grad.abs().sum().item<double>() > 0);

  torch::NoGradGuard no_grad;
  const double h = 1e-6;
  // Several random directions and a few single coordinates.
  for (int trial = 0; trial < 4; ++trial) {
    const auto v = torch::randn(z0.sizes(), gen, opts);
    const double fd = (loss(z0 + h * v).item<double>() - loss(z0 - h * v).item<double>()) / (2 * h);
    const double an = (grad * v).sum().item<double>();
    CHECK(fd == Approx(an).epsilon(1e-6).margin(1e-8));
  }
  for (std::int64_t idx : {0, 17, 63}) {
    auto e = torch::zeros_like(z0);
    e.view(-1)[idx] = 1.0;
    const double fd = (loss(z0 + h * e).item<double>() - loss(z0 - h * e).item<double>()) / (2 * h);
    CHECK(fd == Approx(grad.view(-1)[idx].item<double>()).epsilon(1e-6).margin(1e-8));
  }
}

TEST_CASE("VaeCodec in bfloat16 on the CPU follows the float32 network", "[vae]") {
  const auto f32 = VaeCodec::random(VaeConfig::tiny(), vae_test::cpu(torch::kFloat32), 12);
  const auto bf16 = VaeCodec::random(VaeConfig::tiny(), vae_test::cpu(torch::kBFloat16), 12);
  const auto z = vae_test::images(1, 4, 8, 8, 6);
  const auto a = f32.decoder.decode(z);
  const auto b = bf16.decoder.decode(z);  // converts z to bf16 itself
  CHECK(b.scalar_type() == torch::kBFloat16);
  CHECK(vae_test::max_abs_diff(a, b) < 0.1 * a.abs().max().item<double>() + 0.05);
}

TEST_CASE("VaeCodec rejects bad inputs and runtime options with clear errors", "[vae]") {
  const auto codec = VaeCodec::random(VaeConfig::tiny(), vae_test::cpu(), 1);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(0);
  CHECK_THROWS_AS(codec.encoder.encode(torch::zeros({1, 4, 8, 8}), gen), std::invalid_argument);  // channels
  CHECK_THROWS_AS(codec.encoder.encode(torch::zeros({1, 3, 9, 8}), gen), std::invalid_argument);  // not /2
  CHECK_THROWS_AS(codec.encoder.encode_mean(torch::zeros({3, 8, 8})), std::invalid_argument);     // rank
  CHECK_THROWS_AS(codec.encoder.encode_mean(torch::Tensor()), std::invalid_argument);
  CHECK_THROWS_AS(codec.decoder.decode(torch::zeros({1, 3, 4, 4})), std::invalid_argument);
  CHECK_THROWS_WITH(codec.decoder.decode(torch::zeros({1, 3, 4, 4})),
                    Catch::Contains("latents must be [B, 4, h, w]"));
  at::Generator undefined;
  CHECK_THROWS_AS(codec.encoder.encode(torch::zeros({1, 3, 8, 8}), undefined), std::invalid_argument);

  CHECK_THROWS_WITH(VaeCodec::random(VaeConfig::tiny(), vae_test::cpu(torch::kFloat16), 1),
                    Catch::Contains("float16 is not supported on the CPU"));
  CHECK_THROWS_AS(VaeCodec::random(VaeConfig::tiny(), vae_test::cpu(torch::kInt32), 1), std::invalid_argument);
  VaeConfig bad = VaeConfig::tiny();
  bad.norm_num_groups = 5;
  CHECK_THROWS_WITH(VaeCodec::random(bad, vae_test::cpu(), 1), Catch::Contains("norm_num_groups"));
  CHECK_THROWS_AS(VaeCodec::from_module(AutoencoderKL(nullptr), vae_test::cpu(), "x"), std::invalid_argument);
}

}  // namespace DISTDIFF_UNITY_ID
