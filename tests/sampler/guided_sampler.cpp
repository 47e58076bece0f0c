#include <catch2/catch.hpp>

#include "distdiff/composition/distdiff.hpp"
#include "distdiff/sampler/guided_sampler.hpp"
#include "distdiff/schedule.hpp"
#include "distdiff/update/gradient_step.hpp"
#include "support/spine_models.hpp"

using namespace distdiff;
using test::make_tiny_models;
using test::TinyModels;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {
Prototypes random_prototypes(std::int64_t classes, std::int64_t k, std::int64_t dim, torch::Dtype dtype) {
  torch::manual_seed(123);
  Prototypes p;
  p.class_level = torch::randn({classes, dim}, dtype);
  p.class_level = p.class_level / p.class_level.norm(2, {1}, true);
  p.group_level = torch::randn({classes, k, dim}, dtype);
  p.group_level = p.group_level / p.group_level.norm(2, {2}, true);
  return p;
}

GuidedBatch make_batch(std::int64_t B, std::uint64_t seed, torch::Dtype dtype = torch::kFloat32) {
  torch::manual_seed(seed + 1000);
  GuidedBatch b;
  b.images = torch::rand({B, 3, 16, 16}, dtype) * 2 - 1;
  b.labels = torch::arange(B, torch::kLong) % 3;
  for (std::int64_t i = 0; i < B; ++i) b.prompts.push_back("a photo of class " + std::to_string(i % 3));
  b.seed = seed;
  return b;
}
}  // namespace

TEST_CASE("GuidedSampler: M = 30 with look-ahead 2 fires at t = 621, the 14th denoising step", "[guided]") {
  const auto models = make_tiny_models(1);
  DistDiff<> method;
  GuidedSampler s(method, models, random_prototypes(3, 3, 6, torch::kFloat32), GuidanceConfig{});
  REQUIRE(s.guided_positions() == std::vector<std::int64_t>{18});
  CHECK(s.timesteps()[18] == 621);
  CHECK(18 - s.start_position() + 1 == 14);
  const auto out = s.run(make_batch(2, 5));
  REQUIRE(out.records.size() == 1);
  CHECK(out.records[0].ddim_index == 30);
  CHECK(out.records[0].timestep == 621);
  CHECK(out.images.sizes() == torch::IntArrayRef({2, 3, 16, 16}));
  CHECK(out.images.min().item<double>() >= 0.0);
  CHECK(out.images.max().item<double>() <= 1.0);

  method.schedule.look_ahead = 1;  // Algorithm 1 read literally: transform at M itself
  GuidedSampler s1(method, models, random_prototypes(3, 3, 6, torch::kFloat32), GuidanceConfig{});
  CHECK(s1.timesteps()[std::size_t(s1.guided_positions()[0])] == 601);
}

TEST_CASE("GuidedSampler: a step outside the img2img range is one clear error", "[guided]") {
  const auto models = make_tiny_models(1);
  DistDiff<> method;
  method.schedule.m = 44;  // with L = 2 needs DDIM index 45; strength 0.9 starts at 44
  CHECK_THROWS_WITH(GuidedSampler(method, models, random_prototypes(3, 3, 6, torch::kFloat32), GuidanceConfig{}),
                    Catch::Contains("starts at DDIM index 44"));
  method.schedule.m = 60;
  CHECK_THROWS_WITH(GuidedSampler(method, models, random_prototypes(3, 3, 6, torch::kFloat32), GuidanceConfig{}),
                    Catch::Contains("outside the 50-step"));
}

TEST_CASE("GuidedSampler: energy gradients w.r.t. e and b match finite differences", "[guided][gradcheck]") {
  const auto models = make_tiny_models(2, torch::kFloat64);
  DistDiff<> method;
  method.schedule = SingleStep{.m = 3, .look_ahead = 2};
  GuidanceConfig cfg;
  cfg.num_inference_steps = 10;
  cfg.strength = 1.0;
  cfg.guidance_scale = 3.0;
  GuidedSampler s(method, models, random_prototypes(3, 3, 6, torch::kFloat64), cfg);
  const auto batch = make_batch(2, 9, torch::kFloat64);
  const auto cond = s.condition(batch.prompts);
  EnergyContext ctx;
  ctx.labels = batch.labels;
  torch::manual_seed(4);
  const auto z = torch::randn({2, 4, 8, 8}, torch::kFloat64);
  const auto pos = s.guided_positions()[0];

  auto e = (torch::rand({1, 4, 1, 1}, torch::kFloat64)).requires_grad_(true);
  auto b = (torch::randn({1, 4, 1, 1}, torch::kFloat64)).requires_grad_(true);
  auto energy = [&](const torch::Tensor& ee, const torch::Tensor& bb) {
    return s.energy(method.transform.apply(z, {ee, bb}), pos, cond, ctx).mean();
  };
  const auto grads = torch::autograd::grad({energy(e, b)}, {e, b});
  torch::NoGradGuard no_grad;
  const double h = 1e-6;
  int checked = 0;
  for (int which = 0; which < 2; ++which)
    for (int c = 0; c < 4; ++c) {
      auto ep = e.detach().clone(), em = e.detach().clone(), bp = b.detach().clone(), bm = b.detach().clone();
      if (which == 0) ep.view(-1)[c] += h, em.view(-1)[c] -= h;
      else bp.view(-1)[c] += h, bm.view(-1)[c] -= h;
      const double fd = (energy(ep, bp).item<double>() - energy(em, bm).item<double>()) / (2 * h);
      const double ad = grads[std::size_t(which)].view(-1)[c].item<double>();
      CHECK(ad == Approx(fd).epsilon(1e-4).margin(1e-7));
      ++checked;
    }
  CHECK(checked == 8);
  CHECK(grads[0].abs().sum().item<double>() > 0);
}

TEST_CASE("GuidedSampler: same seed gives identical images, another seed differs", "[guided][determinism]") {
  const auto models = make_tiny_models(3);
  DistDiff<> method;
  GuidanceConfig cfg;
  cfg.num_inference_steps = 20;
  method.schedule.m = 10;
  GuidedSampler s(method, models, random_prototypes(3, 3, 6, torch::kFloat32), cfg);
  const auto a = s.run(make_batch(2, 42));
  const auto b = s.run(make_batch(2, 42));
  const auto c = s.run(make_batch(2, 43));
  CHECK(torch::equal(a.images, b.images));
  CHECK(torch::equal(a.records[0].energy_after, b.records[0].energy_after));
  CHECK_FALSE(torch::equal(a.images, c.images));
}

TEST_CASE("GuidedSampler: guidance lowers the energy", "[guided][energy]") {
  const auto models = make_tiny_models(4, torch::kFloat64);
  GuidanceConfig cfg;
  cfg.num_inference_steps = 20;
  cfg.guidance_scale = 5.0;

  SECTION("gradient step, per-sample parameters: every sample improves") {
    DistDiff<with_update<GradientStep>, with_transform<ResidualMultiplicative<PerSample>>> method;
    method.schedule.m = 10;
    method.update.rho = 1e-3;
    cfg.project_during_guidance = true;
    GuidedSampler s(method, models, random_prototypes(3, 3, 6, torch::kFloat64), cfg);
    for (std::uint64_t seed : {1, 2, 3}) {
      const auto out = s.run(make_batch(3, seed, torch::kFloat64));
      REQUIRE(out.records.size() == 1);
      const auto& r = out.records[0];
      CHECK((r.energy_after < r.energy_before).all().item<bool>());
    }
  }
  SECTION("gradient step, parameters shared across the batch: the batch mean improves") {
    DistDiff<with_update<GradientStep>> method;
    method.schedule.m = 10;
    method.update.rho = 1e-3;
    cfg.project_during_guidance = true;
    GuidedSampler s(method, models, random_prototypes(3, 3, 6, torch::kFloat64), cfg);
    for (std::uint64_t seed : {1, 2, 3}) {
      const auto out = s.run(make_batch(3, seed, torch::kFloat64));
      const auto& r = out.records[0];
      CHECK(r.energy_after.mean().item<double>() < r.energy_before.mean().item<double>());
    }
  }
  SECTION("the paper's signed step, several iterations: the batch energy drops") {
    DistDiff<> method;
    method.schedule.m = 10;
    method.update.rho = 0.05;
    cfg.iterations = 5;
    cfg.project_during_guidance = true;
    GuidedSampler s(method, models, random_prototypes(3, 3, 6, torch::kFloat64), cfg);
    double before = 0, after = 0;
    for (std::uint64_t seed : {1, 2, 3, 4}) {
      const auto out = s.run(make_batch(2, seed, torch::kFloat64));
      before += out.records[0].energy_before.mean().item<double>();
      after += out.records[0].energy_after.mean().item<double>();
    }
    CHECK(after < before);
  }
}

namespace {
// Plain img2img (NoGuidance) of a sampler whose scheduler is `Scheduler`,
// checked against the loop written out by hand with the seed latent noised at
// timestep ts[noise_position] (10 steps, strength 0.7: denoising starts at ts[3]).
template <class Scheduler>
torch::Tensor check_plain_img2img(std::size_t noise_position) {
  const auto models = make_tiny_models(5, torch::kFloat64);
  DistDiff<with_schedule<NoGuidance>, with_scheduler<Scheduler>> method;
  GuidanceConfig cfg;
  cfg.num_inference_steps = 10;
  cfg.strength = 0.7;
  cfg.guidance_scale = 4.0;
  GuidedSampler s(method, models, random_prototypes(3, 3, 6, torch::kFloat64), cfg);
  const auto batch = make_batch(2, 77, torch::kFloat64);
  const auto out = s.run(batch);
  CHECK(out.records.empty());

  // The same loop written out by hand.
  torch::NoGradGuard ng;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(77);
  const auto z0 = models.encoder.encode(batch.images, gen);
  const auto noise = at::randn(z0.sizes(), gen, torch::TensorOptions().dtype(torch::kFloat32)).to(torch::kFloat64);
  const DdimScheduler d;
  const auto ts = d.timesteps(10);  // 901 … 1
  const std::size_t start = 3;      // int(10 · 0.7) = 7 steps
  CHECK(s.start_noise_timestep() == ts[noise_position]);
  const double a0 = d.alpha_bar(ts[noise_position]);
  auto z = std::sqrt(a0) * z0 + std::sqrt(1 - a0) * noise;
  const auto c = models.text.encode(batch.prompts);
  const auto u = models.text.encode({"", ""});
  for (std::size_t p = start; p < ts.size(); ++p) {
    const auto eu = models.denoiser.predict_noise(z, ts[p], u);
    const auto ec = models.denoiser.predict_noise(z, ts[p], c);
    const auto eps = eu + 4.0 * (ec - eu);
    const double a = d.alpha_bar(ts[p]);
    const double ap = p + 1 < ts.size() ? d.alpha_bar(ts[p + 1]) : d.alpha_bar(0);
    const auto x0 = (z - std::sqrt(1 - a) * eps) / std::sqrt(a);
    z = std::sqrt(ap) * x0 + std::sqrt(1 - ap) * eps;
  }
  const auto expected = ((models.decoder.decode(z) + 1) / 2).clamp(0, 1).to(torch::kFloat32);
  CHECK(torch::allclose(out.images, expected, 1e-5, 1e-6));
  return out.images;
}
}  // namespace

TEST_CASE("GuidedSampler: NoGuidance is plain img2img with classifier-free guidance", "[guided][img2img]") {
  // diffusers: the seed latent is noised at the first denoising timestep, ts[3] = 601.
  const auto diffusers = check_plain_img2img<DdimScheduler>(3);
  // CompVis LDM (DistDiff v1): at the DDIM timestep above it, ts[2] = 701; denoising still starts at 601.
  const auto compvis = check_plain_img2img<CompVisDdimScheduler>(2);
  CHECK_FALSE(torch::allclose(diffusers, compvis, 1e-4, 1e-5));
}

TEST_CASE("GuidedSampler: transform without energy stays within the epsilon ball", "[guided]") {
  const auto models = make_tiny_models(6);
  GuidanceConfig cfg;
  cfg.num_inference_steps = 10;
  DistDiff<with_energy<>> transform_only;
  transform_only.schedule.m = 3;
  DistDiff<with_schedule<NoGuidance>> plain;
  const auto protos = random_prototypes(3, 3, 6, torch::kFloat32);
  const auto a = GuidedSampler(transform_only, models, protos, cfg).run(make_batch(2, 8));
  const auto b = GuidedSampler(plain, models, protos, cfg).run(make_batch(2, 8));
  REQUIRE(a.records.size() == 1);
  CHECK_FALSE(a.records[0].energy_before.defined());
  CHECK_FALSE(torch::equal(a.images, b.images));
}

TEST_CASE("GuidedSampler: malformed batches are rejected", "[guided]") {
  const auto models = make_tiny_models(7);
  GuidanceConfig cfg;
  cfg.num_inference_steps = 10;
  DistDiff<> method;
  method.schedule.m = 3;
  GuidedSampler s(method, models, random_prototypes(3, 3, 6, torch::kFloat32), cfg);
  auto batch = make_batch(2, 1);
  batch.prompts.pop_back();
  CHECK_THROWS_WITH(s.run(batch), Catch::Contains("prompts"));
  batch = make_batch(2, 1);
  batch.images = torch::rand({2, 1, 16, 16});
  CHECK_THROWS_WITH(s.run(batch), Catch::Contains("[B, 3, H, W]"));
}

}  // namespace DISTDIFF_UNITY_ID
