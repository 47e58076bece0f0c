#pragma once
// expand_main — the command-line tool behind every experiment .cpp:
//
//     int main(int argc, char** argv) {
//       return distdiff::expand_main(argc, argv, distdiff::paper(), "DistDiff (paper defaults)");
//     }
//
// Without --sd/--clip it runs the real architectures at tiny sizes with random
// weights on a procedural dataset (the quickstart); with them it is the real
// tool. `--help` lists every option.
#include <CLI/CLI.hpp>
#include <torch/torch.h>

#include <chrono>
#include <functional>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <thread>

#include "distdiff/composition/named.hpp"
#include "distdiff/core/threads.hpp"
#include "distdiff/data/any.hpp"
#include "distdiff/eval/zero_shot.hpp"
#include "distdiff/models/clip/clip_model.hpp"
#include "distdiff/models/clip/io.hpp"
#include "distdiff/models/small_world.hpp"
#include "distdiff/models/stable_diffusion.hpp"
#include "distdiff/pipeline/dataset_options.hpp"
#include "distdiff/pipeline/expand.hpp"

namespace distdiff {

inline RuntimeOptions parse_runtime(const std::string& device, const std::string& dtype) {
  RuntimeOptions rt = device == "auto" ? RuntimeOptions::best_available() : RuntimeOptions{};
  if (device == "cuda") {
    if (!torch::cuda::is_available())
      throw std::invalid_argument("--device cuda: this LibTorch has no CUDA or no GPU is visible");
    rt.device = torch::Device(torch::kCUDA, 0);
    rt.dtype = torch::kFloat16;
  } else if (device != "cpu" && device != "auto") {
    throw std::invalid_argument("--device must be auto, cpu or cuda");
  }
  if (dtype == "fp32") rt.dtype = torch::kFloat32;
  else if (dtype == "bf16") rt.dtype = torch::kBFloat16;
  else if (dtype == "fp16") {
    if (rt.device.is_cpu()) throw std::invalid_argument("--dtype fp16 needs CUDA (CPU lacks Half kernels): use fp32 or bf16");
    rt.dtype = torch::kFloat16;
  } else if (dtype != "auto") throw std::invalid_argument("--dtype must be auto, fp32, bf16 or fp16");
  return rt;
}

// CLIP text embeddings (text tower + projection) of one prompt per class, from
// the CLIPModel in clip_dir (its tokenizer files beside it), or a random tiny
// CLIP when clip_dir is empty.
inline torch::Tensor class_text_embeddings(const std::vector<std::string>& prompts,
                                           const std::filesystem::path& clip_dir, const RuntimeOptions& rt,
                                           std::int64_t feature_dim, std::uint64_t seed) {
  torch::NoGradGuard no_grad;
  models::ClipModel clip{nullptr};
  models::ClipTokenizer tok;
  if (clip_dir.empty()) {
    auto cfg = models::ClipModelConfig::tiny();
    cfg.projection_dim = feature_dim;
    clip = models::ClipModel(cfg);
    models::init_clip_weights(*clip, seed + 4);
    tok = models::byte_level_tokenizer();
  } else {
    clip = models::load_clip_model(clip_dir, rt);
    tok = models::ClipTokenizer::from_dir(clip_dir);
  }
  clip->to(rt.device, models::clip_compute_dtype(rt));
  return clip->text_embeds(tok.batch_encode(prompts).to(rt.device)).to(torch::kFloat32);
}

// Class text features for zero-shot energy terms (GIF-SD): "This is a photo of a {class}".
template <class Features>
torch::Tensor class_text_features(const std::vector<std::string>& classes, const std::filesystem::path& clip_dir,
                                  const RuntimeOptions& rt, std::int64_t feature_dim, std::uint64_t seed) {
  std::vector<std::string> prompts;
  for (const auto& c : classes) prompts.push_back(format_prompt("This is a photo of a {}", c));
  return class_text_embeddings(prompts, clip_dir, rt, feature_dim, seed);
}

// One run of a sweep: a name (its output subfolder) and a change to the method.
template <class Method>
struct Variant {
  std::string name;
  std::function<void(Method&)> apply;
};

// With variants, every variant runs in turn into <out>/<variant name>/ (the
// paper's Tables 4-6 vary M, K and the step list of one composition).
template <class Method>
int expand_main(int argc, char** argv, Preset<Method> preset, const std::string& title,
                const std::vector<Variant<Method>>& variants = {}) {
  CLI::App app{title + " — distribution-aware data expansion (distdiff)"};
  std::filesystem::path sd_dir, clip_dir;
  DatasetChoice data_choice;
  ExpandConfig cfg;
  GuidanceConfig& g = preset.guidance;
  std::string device = "auto", dtype = "auto";
  int threads = 0;
  std::optional<std::int64_t> k, m, lookahead;
  bool fresh = false;
  cfg.output_dir = "out";

  bool tiny_random = false;
  app.add_option("--sd", sd_dir, "diffusers Stable Diffusion v1-4 folder (unet/, vae/, text_encoder/, tokenizer/); "
                                 "default: the shipped small world's (models/small_world/sd)");
  app.add_option("--clip", clip_dir, "transformers CLIP folder (config.json, model.safetensors); "
                                     "default: the shipped small world's (models/small_world/clip)");
  app.add_flag("--tiny-random", tiny_random,
               "SD v1-4 / CLIP architectures at tiny sizes with RANDOM weights (tests, smoke runs; default "
               "dataset: shapes)");
  add_dataset_options(app, data_choice,
                      "default: fashion_mnist's target pool, 2 per class; shapes with --tiny-random");
  app.add_option("--out", cfg.output_dir, "output folder")->capture_default_str();
  app.add_option("--factor", cfg.expansion_factor, "generated images per seed image")->capture_default_str();
  app.add_option("--batch-size", cfg.batch_size, "images per guided batch")->capture_default_str();
  app.add_option("--image-size", cfg.image_size, "generation size (default: the models' native size, SD v1-4 512, "
                                                 "the small world 32; 32 with --tiny-random)");
  app.add_option("--max-seeds", cfg.max_seed_images, "expand only the first N images");
  app.add_option("--seed", cfg.seed, "random seed of the run")->capture_default_str();
  app.add_option("--grid", cfg.grid_seeds, "rows of grid.png (0: none)")->capture_default_str();
  app.add_flag("--no-seed-augment", [&](std::int64_t) { cfg.augment_seed = false; }, "no rotation/flip of the seed image");
  app.add_flag("--fresh", fresh, "refuse to resume an existing run in --out");
  bool no_agreement = false;
  app.add_flag("--no-class-agreement", no_agreement, "skip the zero-shot class agreement of the summary");
  app.add_option("--steps", g.num_inference_steps, "DDIM steps")->capture_default_str();
  app.add_option("--strength", g.strength, "img2img strength")->capture_default_str();
  app.add_option("--scale", g.guidance_scale, "classifier-free guidance scale")->capture_default_str();
  app.add_option("--rho", g.rho, "step size of the update rule (ρ)")->capture_default_str();
  app.add_option("--eps", g.epsilon, "radius of the ε-ball")->capture_default_str();
  app.add_option("--iterations", g.iterations, "optimisation iterations per guided step")->capture_default_str();
  app.add_option("--K", k, "group prototypes per class");
  app.add_option("--M", m, "optimisation step (single-step schedules)");
  app.add_option("--lookahead", lookahead, "look-ahead DDIM steps of the guided step");
  app.add_option("--device", device, "auto | cpu | cuda")->capture_default_str();
  app.add_option("--dtype", dtype, "auto | fp32 | bf16 | fp16")->capture_default_str();
  app.add_option("--threads", threads, "CPU threads (default: DISTDIFF_NUM_THREADS or all cores)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  try {
    set_cpu_threads(threads);
    std::cerr << "cpu: " << describe_cpu_threads() << "\n";
    if (tiny_random && (!sd_dir.empty() || !clip_dir.empty()))
      throw std::invalid_argument("--tiny-random uses no weights: drop --sd / --clip, or drop --tiny-random");
    if (!sd_dir.empty() != !clip_dir.empty())
      throw std::invalid_argument("give both --sd <stable diffusion folder> and --clip <clip folder>");
    if (!tiny_random && sd_dir.empty()) {
      const auto world = models::find_small_world();
      if (!world)
        throw std::invalid_argument(
            "no models: pass --sd and --clip (e.g. SD v1-4 and CLIP ViT-B/32 folders), or --tiny-random for "
            "random-weight tiny models; the shipped small world (models/small_world) was not found here "
            "(run from the distdiff folder or set DISTDIFF_SMALL_WORLD)");
      sd_dir = world->sd;
      clip_dir = world->clip;
      std::cerr << "models: the small world in " << world->root.string() << "\n";
    }
    const bool real = !tiny_random;
    resolve_dataset_alias(data_choice, std::cerr);
    if (app.count("--dataset") == 0) {   // the default workload
      data_choice.kind = tiny_random ? "shapes" : "fashion_mnist";
      if (!tiny_random) {
        if (app.count("--pool") == 0) data_choice.pool = "target";
        if (app.count("--shots") == 0) data_choice.shots = 2;
      }
    }
    const auto rt = parse_runtime(device, dtype);
    auto& method = preset.method;
    if (k) {
      if constexpr (requires { method.group_prototypes.k; }) method.group_prototypes.k = *k;
    } else if ((!real && data_choice.kind == "shapes") || (data_choice.shots > 0 && data_choice.shots < 3)) {
      // Few seed images per class: K groups need K images per class.
      if constexpr (requires { method.group_prototypes.k; }) {
        const std::int64_t small_k = data_choice.shots > 0 ? std::min<std::int64_t>(2, data_choice.shots) : 2;
        if (method.group_prototypes.k > small_k) {
          std::cerr << "  K = " << small_k << " group prototypes per class (the seed set is small; --K to change)\n";
          method.group_prototypes.k = small_k;
        }
      }
    }
    if constexpr (requires { method.schedule.m; }) {
      if (m) method.schedule.m = *m;
    } else if (m) {
      throw std::invalid_argument("--M: the schedule '" + method.schedule.name() + "' has no single step M");
    }
    if constexpr (requires { method.schedule.look_ahead; }) {
      if (lookahead) method.schedule.look_ahead = *lookahead;
    }
    if (app.count("--image-size") == 0 && !real) cfg.image_size = 32;
    if (app.count("--batch-size") == 0 && !real) cfg.batch_size = cfg.expansion_factor;
    cfg.resume = !fresh;
    cfg.guidance = g;

    const auto t0 = std::chrono::steady_clock::now();
    auto data = open_seed_dataset(data_choice);
    std::cerr << title << "\n  composition: " << method.describe() << "\n  dataset: " << data_choice.describe() << " ("
              << data.class_names().size() << " classes, " << data.size() << " images)\n";
    auto models = real ? models::load_stable_diffusion(sd_dir, clip_dir, rt) : models::tiny_random_models(rt, cfg.seed);
    // The models' native size: the UNet's latent size times the VAE's downsampling (SD v1-4: 64 x 8 = 512).
    if (app.count("--image-size") == 0 && real)
      cfg.image_size = models.denoiser.config().sample_size * models.encoder.downsample_factor();
    // Batches: the reference's one image for full-size models; networks with a
    // small latent (the small world's 8x8) leave the CPU idle at one image per
    // batch (2x faster at 10 on 2 cores; the energies are per image, summed).
    if (app.count("--batch-size") == 0 && real && models.denoiser.config().sample_size <= 16)
      cfg.batch_size = 2 * cfg.expansion_factor;
    std::cerr << "  settings: " << g.num_inference_steps << " DDIM steps, strength " << g.strength << ", CFG "
              << g.guidance_scale << ", rho " << g.rho << ", eps " << g.epsilon << ", x" << cfg.expansion_factor
              << ", " << cfg.image_size << "px, device " << rt.device.str() << " " << c10::toString(rt.dtype) << "\n";
    if (real) {
      method.scheduler = DdimScheduler(models::load_scheduler_config(sd_dir));
      cfg.extra_provenance = {{"sd", std::filesystem::absolute(sd_dir).string()},
                              {"clip", std::filesystem::absolute(clip_dir).string()},
                              {"data", data_choice.describe()}};
    } else {
      cfg.extra_provenance = {{"models", "tiny random (SD v1-4 / CLIP architectures, random weights)"},
                              {"data", data_choice.describe()}};
      std::cerr << "  models: SD v1-4 and CLIP ViT-B/32 architectures at tiny sizes with RANDOM weights.\n"
                   "          They exercise every code path but produce no meaningful pictures;\n"
                   "          pass --sd and --clip to use the published weights.\n";
    }
    if constexpr (Method::energy_type::needs_text_features) {
      cfg.class_text_features = class_text_features<decltype(models.features)>(
          data.class_names(), clip_dir, rt, models.features.feature_dim(), cfg.seed);
    }

    // With real weights: how many generated images the CLIP of --clip still
    // assigns to their seed's class (zero-shot), next to the same share on the
    // seed images. Needs a full CLIPModel folder (text tower + tokenizer).
    torch::Tensor class_text;
    ClassAgreement seed_agreement;
    if (real && !no_agreement) {
      try {
        std::vector<std::string> prompts;
        for (std::size_t k = 0; k < data.class_names().size(); ++k)
          prompts.push_back(data.prompt(static_cast<std::int64_t>(k)));
        class_text = class_text_embeddings(prompts, clip_dir, rt, models.features.feature_dim(), cfg.seed);
        seed_agreement = dataset_class_agreement(models.features, class_text, data, cfg.image_size,
                                                 cfg.max_seed_images >= 0 ? std::size_t(cfg.max_seed_images) : 0);
      } catch (const std::exception& e) {
        class_text = torch::Tensor();
        std::cerr << "  class agreement: not measured (" << e.what() << ")\n";
      }
    }

    auto run_one = [&](const Method& m, const ExpandConfig& c, const std::string& heading) {
      if (!heading.empty()) std::cerr << "\n== " << heading << ": " << m.describe() << "\n";
      const auto t1 = std::chrono::steady_clock::now();
      const auto report = expand(m, models, data, c);
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
      std::printf("\n%s%s: %lld images written to %s", std::string(Method::label).c_str(),
                  heading.empty() ? "" : (" [" + heading + "]").c_str(), (long long)report.images_generated,
                  c.output_dir.string().c_str());
      if (report.images_skipped) std::printf(" (%lld already there, resumed)", (long long)report.images_skipped);
      std::printf("\n  time: %.1f s (prototypes %.1f s), %.2f generated images/s\n", secs, report.prototype_seconds,
                  report.images_generated
                      ? double(report.images_generated) / std::max(1e-9, report.seconds - report.prototype_seconds)
                      : 0.0);
      if (report.mean_energy_before) {
        const double b = *report.mean_energy_before, a = *report.mean_energy_after;
        std::printf("  energy before -> after guidance (mean over the generated images): %.4f -> %.4f (%+.2f%%)\n",
                    b, a, b != 0 ? 100.0 * (a - b) / std::abs(b) : 0.0);
      }
      if (class_text.defined()) {
        const auto gen = generated_class_agreement(models.features, class_text, c.output_dir, data.class_names(),
                                                   c.image_size);
        std::printf("  class agreement (zero-shot, --clip's text tower on the dataset's prompts): %.1f%% of %lld "
                    "generated images keep their seed image's class (seed images: %.1f%% of %lld)\n",
                    100.0 * gen.share(), (long long)gen.images, 100.0 * seed_agreement.share(),
                    (long long)seed_agreement.images);
      }
      if (report.images_nonfinite_total)
        std::printf("  guidance: %lld images met a NaN or an infinity and kept the unguided latent of that step "
                    "(manifest field \"nonfinite\")\n",
                    (long long)report.images_nonfinite_total);
      std::printf("  outputs: %s/<class>/<seed>_<i>.png, manifest.jsonl, manifest.csv, run.json%s\n",
                  c.output_dir.string().c_str(), c.grid_seeds > 0 ? ", grid.png" : "");
    };
    if (variants.empty()) {
      run_one(method, cfg, "");
    } else {
      for (const auto& v : variants) {
        Method m = method;
        v.apply(m);
        ExpandConfig c = cfg;
        c.output_dir = cfg.output_dir / v.name;
        run_one(m, c, v.name);
      }
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("total time: %.1f s\n", secs);
    if (!real) std::printf("  note: random weights — the images are not meaningful pictures.\n");
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace distdiff
