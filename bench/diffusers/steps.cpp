// The project's side of bench/diffusers/side_by_side.py: times one case on
// model folders and prints one JSON line, which the driver pairs with
// diffusers' timing of the same case on the same folders (same LibTorch
// kernels, same thread count, each side in its own process, interleaved).
//
//   bench_diffusers_steps --write-models DIR [--full]     # DIR/sd (diffusers) and DIR/clip (transformers)
//   bench_diffusers_steps --sd DIR/sd --clip DIR/clip --case unet --latent 8 --iters 5 --threads 2
//
// Cases (batch B = --batch images):
//   unet    one denoising step's network call as GuidedSampler::noise_prediction
//           makes it: the CFG batch [z, z] of 2B latents with [uncond, cond].
//   guided  one guided step of Paper (SingleStep, look-ahead 2) through
//           GuidedSampler::energy: two CFG UNet calls with gradients, a DDIM
//           step, ẑ0, the VAE decoder, θ (CLIP vision tower, the folder's
//           preprocessing), the energy, and the gradient in z.
//   decode  the VAE decoder alone (no gradient), one [B, 4, h, w] latent.
//
// Output: {"side":"distdiff","case":…,"times":[seconds per iteration…],
// "load_s":…,"threads":…}. Timing inputs are drawn from LibTorch's CPU
// generator with seed 0, as the Python side draws them.
#include <CLI/CLI.hpp>
#include <torch/csrc/autograd/profiler_legacy.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "distdiff/composition/named.hpp"
#include "distdiff/core/threads.hpp"
#include "distdiff/core/toolchain.hpp"
#include "distdiff/models/stable_diffusion.hpp"
#include "distdiff/sampler/guided_sampler.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

}  // namespace

int main(int argc, char** argv) {
  using namespace distdiff;
  CLI::App app{"distdiff's side of the diffusers side-by-side benchmark (bench/diffusers/side_by_side.py)"};
  std::string write_dir, sd_dir, clip_dir, case_name = "unet", profile;
  bool full = false;
  std::int64_t latent = 8, batch = 1, iters = 5, warmup = 1, timestep = 601, steps = 50, sample_steps = 10;
  int threads = 1;
  double guidance_scale = 50.0;
  app.add_option("--write-models", write_dir, "write random models to DIR/sd and DIR/clip, then exit");
  app.add_flag("--full", full, "with --write-models: SD v1-4 + CLIP ViT-B/32 sizes (else the tiny ones)");
  app.add_option("--sd", sd_dir, "diffusers Stable Diffusion folder");
  app.add_option("--clip", clip_dir, "transformers CLIP vision folder");
  app.add_option("--case", case_name)->check(CLI::IsMember({"unet", "guided", "decode", "sample"}))->capture_default_str();
  app.add_option("--latent", latent, "latent height = width")->capture_default_str();
  app.add_option("--batch", batch, "images (the CFG batch is twice this)")->capture_default_str();
  app.add_option("--iters", iters, "timed iterations")->capture_default_str()->check(CLI::Range(1, 1000));
  app.add_option("--warmup", warmup, "untimed iterations first")->capture_default_str();
  app.add_option("--threads", threads, "CPU threads")->capture_default_str()->check(CLI::Range(1, 1024));
  app.add_option("--timestep", timestep, "unet case: the timestep")->capture_default_str();
  app.add_option("--guidance-scale", guidance_scale)->capture_default_str();
  app.add_option("--sample-steps", sample_steps, "sample case: DDIM steps (strength 0.9 of them run)")->capture_default_str();
  app.add_option("--profile", profile, "after the timed iterations, one more under LibTorch's profiler: chrome trace to FILE");
  CLI11_PARSE(app, argc, argv);

  set_cpu_threads(threads);
  if (!write_dir.empty()) {
    const std::filesystem::path d(write_dir);
    models::write_tiny_model_folders(d / "sd", d / "clip", 0,
                                     full ? models::ModelConfigs::sd_v1_4() : models::ModelConfigs{});
    std::printf("wrote %s/sd and %s/clip (%s)\n", write_dir.c_str(), write_dir.c_str(), full ? "full" : "tiny");
    return 0;
  }
  if (sd_dir.empty() || clip_dir.empty()) {
    std::fprintf(stderr, "bench_diffusers_steps: --sd and --clip are required (or --write-models)\n");
    return 2;
  }

  const RuntimeOptions rt{};
  auto t0 = Clock::now();
  const auto models = models::load_stable_diffusion(sd_dir, clip_dir, rt);
  const double load_s = seconds_since(t0);

  // Inputs in the order the Python side draws them.
  torch::manual_seed(0);
  const auto L = models.text.max_length;
  const auto E = models.denoiser.config().cross_attention_dim;
  const auto C = models.denoiser.latent_channels();
  auto z = torch::randn({batch, C, latent, latent});
  Conditioning cond;
  cond.cond = torch::randn({batch, L, E});
  cond.uncond = torch::randn({batch, L, E});
  const auto D = models.features.feature_dim();
  namespace F = torch::nn::functional;
  Prototypes protos;
  protos.class_level = F::normalize(torch::randn({2, D}), F::NormalizeFuncOptions().dim(1));
  protos.group_level = F::normalize(torch::randn({2, 3, D}), F::NormalizeFuncOptions().dim(2));

  GuidanceConfig g;
  g.num_inference_steps = steps;
  g.guidance_scale = guidance_scale;
  g.measure_energy = false;
  Paper method;
  GuidedSampler sampler(method, models, protos, g);
  EnergyContext ctx;
  ctx.labels = torch::zeros({batch}, torch::kLong);
  const std::int64_t position = sampler.guided_positions().empty() ? 0 : sampler.guided_positions().front();

  GuidanceConfig gs = g;
  gs.num_inference_steps = sample_steps;
  GuidedSampler plain(PlainImg2Img{}, models, protos, gs);
  GuidedBatch images;
  images.images = torch::rand({batch, 3, latent * 8, latent * 8}) * 2 - 1;
  images.labels = torch::zeros({batch}, torch::kLong);
  images.prompts.assign(std::size_t(batch), "a photo of a circle.");
  auto once = [&] {
    if (case_name == "sample") return plain.run(images).images.sum().item<double>();
    if (case_name == "unet") {
      torch::NoGradGuard no_grad;
      return sampler.noise_prediction(z, timestep, cond).sum().item<double>();
    }
    if (case_name == "decode") {
      torch::NoGradGuard no_grad;
      return models.decoder.decode(z).sum().item<double>();
    }
    auto zg = z.detach().requires_grad_(true);
    const auto e = sampler.energy(zg, position, cond, ctx);
    const auto grad = torch::autograd::grad({e.mean()}, {zg});
    return grad[0].abs().sum().item<double>();
  };
  double check = 0;
  std::vector<double> warmup_times;  // reported apart: first-call costs (oneDNN primitives, packed weights)
  for (std::int64_t i = 0; i < warmup; ++i) {
    t0 = Clock::now();
    check = once();
    warmup_times.push_back(seconds_since(t0));
  }
  std::vector<double> times;
  for (std::int64_t i = 0; i < iters; ++i) {
    t0 = Clock::now();
    check = once();
    times.push_back(seconds_since(t0));
  }
  if (!profile.empty()) {
    torch::autograd::profiler::RecordProfile record(profile);
    check = once();
  }
  const nlohmann::json out{{"side", "distdiff"},  {"case", case_name}, {"latent", latent},
                           {"batch", batch},      {"threads", threads}, {"times", times},
                           {"warmup_times", warmup_times}, {"load_s", load_s},    {"check", check},    {"position", position},
                           {"toolchain", describe_toolchain()}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
