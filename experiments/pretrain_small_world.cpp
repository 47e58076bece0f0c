// pretrain_small_world — trains the "small world": CLIP (text + vision towers),
// Stable Diffusion's VAE and UNet at small sizes, from scratch, on the
// foundation split of a labelled dataset (Fashion-MNIST by default), and
// writes them in the published folder layouts so that every tool loads them
// like the real weights:
//
//   ./build/bin/pretrain_small_world --threads 2 --seed 0 --out models/small_world
//   ./build/bin/quickstart --sd models/small_world/sd --clip models/small_world/clip
//       --dataset fashion_mnist --image-size 32 ...
//
// Output (<out>):
//   sd/{text_encoder, tokenizer, vae, unet, scheduler, model_index.json}   diffusers SD layout
//   clip/            CLIPVisionModelWithProjection (θ of the guidance)
//   clip_model/      the whole CLIPModel + tokenizer (zero-shot, GIF-SD's text features)
//   training_log.txt, losses.csv, losses.svg, small_world.json (metrics), samples.png
//
// --stage clip|vae|unet runs one stage; the UNet stage reads the text encoder
// and VAE written by the earlier stages from <out>/sd. See docs/small-world.md.
#include <CLI/CLI.hpp>
#include <torch/version.h>

#include <distdiff/core/threads.hpp>
#include <distdiff/data/any.hpp>
#include <distdiff/data/detail/random.hpp>
#include <distdiff/io/grid.hpp>
#include <distdiff/io/tensor_image.hpp>
#include <distdiff/models/clip_text_conditioner.hpp>
#include <distdiff/models/stable_diffusion.hpp>
#include <distdiff/models/vae_codec.hpp>
#include <distdiff/pretrain.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace pt = distdiff::pretrain;
namespace dm = distdiff::models;
namespace fs = std::filesystem;
using distdiff::detail::mix_seed;

namespace {

struct Args {
  std::string stage = "all";
  std::string dataset = "fashion_mnist";
  fs::path root;
  fs::path out = "models/small_world";
  std::uint64_t seed = 0;
  std::uint64_t split_seed = 0;
  std::size_t target_per_class = 1000;
  int image_size = 32;
  int threads = 0;
  // architectures (defaults: the small_*_config() functions)
  std::int64_t text_width = 64;
  std::int64_t vision_width = 0, vision_layers = 0;
  std::vector<std::int64_t> vae_channels, unet_channels;
  std::int64_t unet_layers = 0;
  pt::ClipTrainConfig clip;
  pt::VaeTrainConfig vae;
  pt::UNetTrainConfig unet;
  std::int64_t eval_images = 1000;
  std::int64_t zero_shot_images = 0;
  int samples_per_class = 8;
  double sample_scale = 5.0;
};

std::string now_utc() {
  const auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&t));
  return buf;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// FNV-1a over an index list: a short fingerprint of a split for the log.
std::uint64_t fingerprint(const std::vector<std::size_t>& v) {
  std::uint64_t h = 1469598103934665603ULL;
  for (auto x : v) {
    h ^= std::uint64_t(x);
    h *= 1099511628211ULL;
  }
  return h;
}

// Total size of the *.safetensors files under `dir`.
std::uintmax_t weight_bytes(const fs::path& dir) {
  std::uintmax_t total = 0;
  if (!fs::exists(dir)) return 0;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".safetensors") total += e.file_size();
  return total;
}

// <out>/small_world.json: the metrics of every stage run so far (a stage run again replaces its entry).
void update_metrics(const fs::path& out, const std::string& stage, const nlohmann::json& value) {
  const auto path = out / "small_world.json";
  nlohmann::json j = nlohmann::json::object();
  if (fs::exists(path)) {
    std::ifstream in(path);
    try {
      in >> j;
    } catch (const std::exception&) {
      j = nlohmann::json::object();
    }
  }
  j[stage] = value;
  distdiff::detail::write_file_atomic(path, j.dump(2) + "\n", "pretrain_small_world");
}

pt::StepCallback progress() {
  return [](const pt::StepLog& s) { std::cerr << pt::format_step(s) << std::endl; };
}

void log_report(const pt::TrainingLog& log, const pt::StageReport& r) {
  for (std::size_t e = 0; e < r.epoch_losses.size(); ++e)
    log.line("  epoch " + std::to_string(e + 1) + "/" + std::to_string(r.epoch_losses.size()) + "  mean loss " +
             fmt("%.6f", r.epoch_losses[e]));
  log.line("  " + std::to_string(r.steps) + " steps, " + std::to_string(r.samples) + " samples, " +
           fmt("%.1f", r.seconds) + " s (" + fmt("%.1f", double(r.samples) / std::max(1e-9, r.seconds)) +
           " samples/s), final loss " + fmt("%.6f", r.final_loss));
  log.replace_stage_curve(r.stage, r.curve);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Train the small world (CLIP, SD VAE, SD UNet at small sizes) from scratch on a foundation split"};
  Args a;
  app.add_option("--stage", a.stage, "clip | vae | unet | all")->capture_default_str();
  app.add_option("--dataset", a.dataset, "a dataset name of open_dataset (fashion_mnist, image_folder, ...)")
      ->capture_default_str();
  app.add_option("--root", a.root, "dataset folder (default for fashion_mnist: " + distdiff::default_fashion_mnist_root().string() + ")");
  app.add_option("--out", a.out, "output folder")->capture_default_str();
  app.add_option("--seed", a.seed, "training seed (initial weights, batches, noise)")->capture_default_str();
  app.add_option("--split-seed", a.split_seed, "seed of the foundation / target-pool split")->capture_default_str();
  app.add_option("--target-per-class", a.target_per_class, "target-pool images per class (kept out of training)")
      ->capture_default_str();
  app.add_option("--image-size", a.image_size, "training image size")->capture_default_str();
  app.add_option("--threads", a.threads, "CPU threads (fix it for bit-reproducible runs; default: all cores)");
  app.add_option("--text-width", a.text_width, "text tower width = UNet cross_attention_dim")->capture_default_str();
  app.add_option("--vision-width", a.vision_width, "vision tower width (default 64)");
  app.add_option("--vision-layers", a.vision_layers, "vision tower layers (default 3)");
  app.add_option("--vae-channels", a.vae_channels, "VAE block_out_channels (default 16 32 32)");
  app.add_option("--unet-channels", a.unet_channels, "UNet block_out_channels (default 32 64 64)");
  app.add_option("--unet-layers", a.unet_layers, "UNet layers_per_block (default 1)");
  app.add_option("--clip-epochs", a.clip.epochs, "CLIP epochs")->capture_default_str();
  app.add_option("--clip-steps", a.clip.max_steps, "CLIP steps (overrides --clip-epochs)");
  app.add_option("--clip-batch", a.clip.batch_size, "CLIP batch size")->capture_default_str();
  app.add_option("--clip-lr", a.clip.lr, "CLIP peak learning rate")->capture_default_str();
  app.add_option("--vae-epochs", a.vae.epochs, "VAE epochs")->capture_default_str();
  app.add_option("--vae-steps", a.vae.max_steps, "VAE steps (overrides --vae-epochs)");
  app.add_option("--vae-batch", a.vae.batch_size, "VAE batch size")->capture_default_str();
  app.add_option("--vae-lr", a.vae.lr, "VAE peak learning rate")->capture_default_str();
  app.add_option("--vae-kl", a.vae.kl_weight, "VAE KL weight (per latent element)")->capture_default_str();
  app.add_option("--vae-loss", a.vae.loss, "VAE reconstruction loss: l1 | mse")->capture_default_str();
  app.add_option("--unet-epochs", a.unet.epochs, "UNet epochs")->capture_default_str();
  app.add_option("--unet-steps", a.unet.max_steps, "UNet steps (overrides --unet-epochs)");
  app.add_option("--unet-batch", a.unet.batch_size, "UNet batch size")->capture_default_str();
  app.add_option("--unet-lr", a.unet.lr, "UNet peak learning rate")->capture_default_str();
  app.add_option("--unet-ema", a.unet.ema_decay, "UNet EMA decay (0: off)")->capture_default_str();
  app.add_option("--caption-dropout", a.unet.caption_dropout, "UNet caption dropout")->capture_default_str();
  app.add_option("--eval-images", a.eval_images, "test images for the VAE PSNR and the UNet held-out loss")
      ->capture_default_str();
  app.add_option("--zero-shot-images", a.zero_shot_images, "test images for the CLIP zero-shot top-1 (0: all)")
      ->capture_default_str();
  app.add_option("--samples-per-class", a.samples_per_class, "samples.png: text-to-image samples per class (0: none)")
      ->capture_default_str();
  app.add_option("--sample-scale", a.sample_scale, "samples.png: classifier-free guidance scale")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  try {
    if (a.stage != "clip" && a.stage != "vae" && a.stage != "unet" && a.stage != "all")
      throw std::invalid_argument("--stage must be clip, vae, unet or all, got '" + a.stage + "'");
    distdiff::set_cpu_threads(a.threads);
    const auto t_start = std::chrono::steady_clock::now();
    const bool run_clip = a.stage == "clip" || a.stage == "all";
    const bool run_vae = a.stage == "vae" || a.stage == "all";
    const bool run_unet = a.stage == "unet" || a.stage == "all";
    a.clip.seed = mix_seed({a.seed, 100});
    a.vae.seed = mix_seed({a.seed, 200});
    a.unet.seed = mix_seed({a.seed, 300});

    const fs::path sd = a.out / "sd";
    fs::create_directories(sd);
    pt::TrainingLog log(a.out);
    std::string cmd;
    for (int i = 0; i < argc; ++i) cmd += (i ? " " : "") + std::string(argv[i]);
    log.line("==== " + now_utc() + "  pretrain_small_world, stage " + a.stage);
    log.line("command: " + cmd);
    log.line("seed " + std::to_string(a.seed) + ", split seed " + std::to_string(a.split_seed) + "; distdiff 0.1.0, LibTorch " +
             TORCH_VERSION + ", g++ " + __VERSION__ + "; cpu " + distdiff::describe_cpu_threads());
    std::cerr << "cpu: " << distdiff::describe_cpu_threads() << "\n";

    // Data: the foundation split of the training set; the test split for evaluation only.
    if (a.root.empty()) {
      if (a.dataset != "fashion_mnist") throw std::invalid_argument("--dataset " + a.dataset + " needs --root");
      a.root = distdiff::default_fashion_mnist_root();
    }
    const auto train = distdiff::open_dataset(a.dataset, a.root, distdiff::Split::train);
    const auto test = distdiff::open_dataset(a.dataset, a.root, distdiff::Split::test);
    const pt::FoundationSplitConfig split_cfg{a.target_per_class, 0, a.split_seed};
    const auto split = pt::split_foundation(train, split_cfg);
    log.line("data: " + train.name() + " at " + a.root.string() + ": " + std::to_string(train.size()) +
             " training images -> foundation split " + std::to_string(split.foundation.size()) +
             " (fingerprint " + std::to_string(fingerprint(split.foundation)) + "), target pool " +
             std::to_string(split.target.size()) + " (" + std::to_string(a.target_per_class) +
             " per class, fingerprint " + std::to_string(fingerprint(split.target)) + "); test " +
             std::to_string(test.size()) + " images (evaluation only)");
    std::cerr << "loading " << split.foundation.size() << " foundation images..." << std::endl;
    const auto images = pt::load_image_tensors(train, split.foundation, a.image_size);
    const auto tones = pt::image_tones(images, 3);
    const auto captions = pt::make_caption_table(train, {});
    log.line("captions: " + std::to_string(captions.texts.size() - 1) + " distinct, e.g. \"" +
             captions.texts[std::size_t(captions.canonical(0))] + "\", \"" + captions.texts.back() + "\"");
    std::vector<std::string> prompts;
    for (std::size_t c = 0; c < train.class_names().size(); ++c) prompts.push_back(train.prompt(std::int64_t(c)));
    // Held-out evaluation images: a seeded draw of eval_images test images.
    std::vector<std::size_t> eval_rows;
    {
      auto perm = distdiff::detail::permutation(test.size(), mix_seed({a.seed, 400}));
      perm.resize(std::min<std::size_t>(perm.size(), std::size_t(a.eval_images)));
      std::sort(perm.begin(), perm.end());
      eval_rows = perm;
    }

    // ---- CLIP
    if (run_clip) {
      auto cfg = pt::small_clip_config(514, a.text_width);
      if (a.vision_width > 0) cfg.vision.hidden_size = a.vision_width, cfg.vision.intermediate_size = 4 * a.vision_width;
      if (a.vision_layers > 0) cfg.vision.num_hidden_layers = a.vision_layers;
      cfg.vision.image_size = a.image_size;
      auto clip = pt::make_seeded<dm::ClipModel>(a.clip.seed, cfg);
      pt::init_clip_for_training(*clip, a.clip.seed);
      const auto tok = dm::byte_level_tokenizer();
      log.line("== clip: " + cfg.to_json().dump());
      log.line("   training: " + a.clip.to_json().dump());
      std::int64_t params = 0;
      for (const auto& p : clip->parameters()) params += p.numel();
      log.line("   parameters: " + std::to_string(params));
      const auto report = pt::train_clip(clip, tok, images, tones, captions, a.clip, progress());
      log_report(log, report);
      std::vector<std::size_t> zs_rows;
      if (a.zero_shot_images > 0 && std::size_t(a.zero_shot_images) < test.size()) {
        zs_rows = distdiff::detail::permutation(test.size(), mix_seed({a.seed, 401}));
        zs_rows.resize(std::size_t(a.zero_shot_images));
        std::sort(zs_rows.begin(), zs_rows.end());
      }
      const auto test_images = pt::load_image_tensors(test, zs_rows, a.image_size);
      const auto zs = pt::zero_shot(clip, tok, test_images, prompts);
      const auto test_stretched = pt::load_image_tensors(test, zs_rows, a.image_size, pt::Fit::Stretch);
      const auto zs_stretched = pt::zero_shot(clip, tok, test_stretched, prompts);
      std::string per_class;
      for (std::size_t c = 0; c < zs.per_class.size(); ++c)
        per_class += (c ? ", " : "") + train.class_names()[c] + " " + fmt("%.1f", zs.per_class[c]);
      log.line("   zero-shot top-1 on " + std::to_string(zs.images) + " test images (\"" + prompts[0] +
               "\" ...): " + fmt("%.2f", zs.top1) + "% (images resized instead of padded: " +
               fmt("%.2f", zs_stretched.top1) + "%); per class: " + per_class);
      std::cerr << "clip zero-shot top-1: " << fmt("%.2f", zs.top1) << "% (resized input " << fmt("%.2f", zs_stretched.top1)
                << "%), logit scale " << fmt("%.2f", clip->logit_scale.exp().item<double>()) << std::endl;
      pt::save_clip_folders(clip, sd / "text_encoder", a.out / "clip", a.out / "clip_model");
      pt::write_byte_level_tokenizer(sd / "tokenizer", cfg.text.max_position_embeddings);
      pt::write_byte_level_tokenizer(a.out / "clip_model", cfg.text.max_position_embeddings);
      update_metrics(a.out, "clip",
                     {{"zero_shot_top1", zs.top1}, {"zero_shot_top1_resized_input", zs_stretched.top1},
                      {"zero_shot_per_class", zs.per_class}, {"test_images", zs.images},
                      {"logit_scale", clip->logit_scale.exp().item<double>()}, {"parameters", params},
                      {"seconds", report.seconds}, {"steps", report.steps}, {"final_loss", report.final_loss}});
    }

    // ---- VAE
    if (run_vae) {
      auto cfg = pt::small_vae_config();
      if (!a.vae_channels.empty()) cfg.block_out_channels = a.vae_channels;
      cfg.sample_size = a.image_size;
      auto vae = pt::make_seeded<dm::AutoencoderKL>(a.vae.seed, cfg);
      log.line("== vae: " + cfg.to_json().dump());
      log.line("   training: " + a.vae.to_json().dump());
      std::int64_t params = 0;
      for (const auto& p : vae->parameters()) params += p.numel();
      log.line("   parameters: " + std::to_string(params));
      const auto report = pt::train_vae(vae, images, a.vae, progress());
      log_report(log, report);
      const auto latents = pt::encode_latents(vae, images);
      const double scale = pt::latent_scaling_factor(latents, a.vae.seed);
      const auto eval_images = pt::load_image_tensors(test, eval_rows, a.image_size);
      const auto psnr = pt::reconstruction_psnr(vae, eval_images);
      log.line("   latent scaling factor (1 / std of the foundation latents): " + fmt("%.5f", scale));
      log.line("   reconstruction PSNR on " + std::to_string(psnr.images) + " held-out test images: " +
               fmt("%.2f", psnr.mean_db) + " dB (mean of per-image PSNR), " + fmt("%.2f", psnr.pooled_db) +
               " dB (pooled MSE)");
      std::cerr << "vae PSNR " << fmt("%.2f", psnr.mean_db) << " dB, scaling factor " << fmt("%.5f", scale) << std::endl;
      pt::save_vae(vae, scale, sd / "vae");
      update_metrics(a.out, "vae",
                     {{"psnr_db", psnr.mean_db}, {"psnr_pooled_db", psnr.pooled_db}, {"psnr_images", psnr.images},
                      {"scaling_factor", scale}, {"parameters", params}, {"seconds", report.seconds},
                      {"steps", report.steps}, {"final_loss", report.final_loss}});
    }

    // ---- UNet (reads the text encoder and the VAE through the published-layout loaders)
    if (run_unet) {
      const distdiff::RuntimeOptions cpu{};
      const auto text = dm::ClipTextConditioner::load(sd, cpu);
      const auto codec = dm::VaeCodec::load(sd / "vae", cpu);
      dm::AutoencoderKL vae = codec.encoder.module();
      const double scale = codec.encoder.config().scaling_factor;
      const auto states = pt::encode_captions(text, captions.texts);
      std::cerr << "encoding " << images.size() << " latents..." << std::endl;
      const auto latents = pt::encode_latents(vae, images);
      auto cfg = pt::small_unet_config(text.hidden_size());
      if (!a.unet_channels.empty()) {
        cfg.block_out_channels = a.unet_channels;
        const auto n = a.unet_channels.size();
        cfg.down_block_types.assign(n, "CrossAttnDownBlock2D");
        cfg.up_block_types.assign(n, "CrossAttnUpBlock2D");
        if (n > 2) cfg.down_block_types.back() = "DownBlock2D", cfg.up_block_types.front() = "UpBlock2D";
      }
      if (a.unet_layers > 0) cfg.layers_per_block = a.unet_layers;
      cfg.sample_size = a.image_size / codec.encoder.downsample_factor();
      auto unet = pt::make_seeded<dm::UNet2DConditionModel>(a.unet.seed, cfg);
      log.line("== unet: " + cfg.to_json().dump());
      log.line("   training: " + a.unet.to_json().dump());
      std::int64_t params = 0;
      for (const auto& p : unet->parameters()) params += p.numel();
      log.line("   parameters: " + std::to_string(params) + "; latent scaling factor " + fmt("%.5f", scale));
      const auto report = pt::train_unet(unet, latents, scale, tones, captions, states, a.unet, progress());
      log_report(log, report);
      const auto eval_images = pt::load_image_tensors(test, eval_rows, a.image_size);
      const auto eval_latents = pt::encode_latents(vae, eval_images);
      const double heldout = pt::heldout_denoising_loss(unet, eval_latents, scale, captions, states);
      log.line("   held-out denoising loss (epsilon MSE at t = 50, 250, 500, 750, 950; " +
               std::to_string(eval_images.size()) + " test images, canonical prompts): " + fmt("%.5f", heldout));
      std::cerr << "unet held-out denoising loss " << fmt("%.5f", heldout) << std::endl;
      pt::save_unet(unet, sd / "unet");
      pt::write_scheduler_config(sd, a.unet.schedule);
      if (a.samples_per_class > 0) {
        std::vector<std::int64_t> ids;
        for (std::size_t c = 0; c < captions.num_classes(); ++c)
          for (int k = 0; k < a.samples_per_class; ++k) ids.push_back(captions.canonical(std::int64_t(c)));
        const auto cond = states.index_select(0, torch::tensor(ids, torch::kLong));
        pt::SampleConfig sc;
        sc.guidance_scale = a.sample_scale;
        sc.seed = a.seed;
        const auto pics = pt::sample_images(unet, vae, scale, cond, states.slice(0, 0, 1), sc);
        distdiff::write_grid(a.out / "samples.png", distdiff::to_images(pics), a.samples_per_class);
        log.line("   samples.png: " + std::to_string(a.samples_per_class) +
                 " text-to-image samples per class (rows: classes in label order; DDIM 50 steps, CFG " +
                 fmt("%.1f", a.sample_scale) + ")");
      }
      update_metrics(a.out, "unet",
                     {{"heldout_denoising_loss", heldout}, {"parameters", params}, {"seconds", report.seconds},
                      {"steps", report.steps}, {"final_loss", report.final_loss}});
    }

    log.render_svg();
    const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    const auto bytes = weight_bytes(a.out);
    log.line("stage " + a.stage + " done in " + fmt("%.1f", total) + " s; weights under " + a.out.string() + ": " +
             fmt("%.2f", double(bytes) / 1e6) + " MB (safetensors, float32)");
    std::cerr << "done in " << fmt("%.1f", total) << " s; weights " << fmt("%.2f", double(bytes) / 1e6) << " MB in "
              << a.out.string() << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
