#pragma once
// The networks DistDiff runs, bundled as a distdiff::ModelSet:
//   Stable Diffusion v1-4 (UNet, VAE, CLIP text encoder + tokenizer) from a
//   diffusers folder, and the CLIP ViT-B/32 image encoder θ from a transformers
//   folder.
//
//     auto models = distdiff::models::load_stable_diffusion(
//         "weights/stable-diffusion-v1-4", "weights/clip-vit-base-patch32",
//         distdiff::RuntimeOptions::best_available());
//
// For tests and the quickstart, the same architectures at tiny sizes with
// random weights: tiny_random_models(), and write_tiny_model_folders() which
// writes them in the published folder layouts so that the loading path above
// is the one exercised.
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "distdiff/core/model_set.hpp"
#include "distdiff/detail/atomic_write.hpp"
#include "distdiff/features/clip_image_features.hpp"
#include "distdiff/models/clip_text_conditioner.hpp"
#include "distdiff/models/unet_denoiser.hpp"
#include "distdiff/models/vae_codec.hpp"
#include "distdiff/models/weights/config.hpp"
#include "distdiff/models/weights/state_dict.hpp"
#include "distdiff/sampler/ddim.hpp"

namespace distdiff::models {

using StableDiffusionModels = ModelSet<UNetDenoiser, VaeEncoder, VaeDecoder, ClipTextConditioner, ClipImageFeatures>;

namespace detail {
inline void require_dir(const std::filesystem::path& p, const std::string& what) {
  if (!std::filesystem::is_directory(p))
    throw std::runtime_error("load_stable_diffusion: " + what + " folder '" + p.string() + "' does not exist");
}
}  // namespace detail

// sd_dir: a diffusers Stable Diffusion folder (unet/, vae/, text_encoder/,
// tokenizer/, scheduler/); clip_dir: a transformers CLIP folder.
inline StableDiffusionModels load_stable_diffusion(const std::filesystem::path& sd_dir,
                                                   const std::filesystem::path& clip_dir,
                                                   const RuntimeOptions& runtime) {
  detail::require_dir(sd_dir, "Stable Diffusion");
  for (const char* sub : {"unet", "vae", "text_encoder", "tokenizer"}) detail::require_dir(sd_dir / sub, sub);
  detail::require_dir(clip_dir, "CLIP");
  auto vae = VaeCodec::load(sd_dir / "vae", runtime);
  return StableDiffusionModels{UNetDenoiser::load(sd_dir / "unet", runtime), vae.encoder, vae.decoder,
                               ClipTextConditioner::load(sd_dir, runtime), ClipImageFeatures::load(clip_dir, runtime),
                               runtime};
}

// The DDIM configuration of a diffusers folder (scheduler/scheduler_config.json),
// or SD v1-4's defaults when the file is absent.
inline DdimConfig load_scheduler_config(const std::filesystem::path& sd_dir) {
  DdimConfig c;
  const auto f = sd_dir / "scheduler" / "scheduler_config.json";
  if (!std::filesystem::exists(f)) return c;
  const auto j = read_json_file(f);
  c.num_train_timesteps = j.value("num_train_timesteps", c.num_train_timesteps);
  c.beta_start = j.value("beta_start", c.beta_start);
  c.beta_end = j.value("beta_end", c.beta_end);
  c.beta_schedule = j.value("beta_schedule", c.beta_schedule);
  c.steps_offset = j.value("steps_offset", c.steps_offset);
  c.set_alpha_to_one = j.value("set_alpha_to_one", c.set_alpha_to_one);
  return c;
}

// A byte-level CLIP vocabulary (every byte, with and without "</w>", and the
// two special tokens; no merges): tokenises any text, 514 entries.
inline ClipTokenizer byte_level_tokenizer() {
  std::unordered_map<std::string, std::int64_t> vocab;
  std::int64_t id = 0;
  for (int b = 0; b < 256; ++b) {
    std::string u;
    detail::clip_utf8_append(detail::clip_byte_to_unicode()[std::size_t(b)], u);
    vocab.emplace(u, id);
    vocab.emplace(u + "</w>", id + 256);
    ++id;
  }
  vocab.emplace("<|startoftext|>", 512);
  vocab.emplace("<|endoftext|>", 513);
  return ClipTokenizer(std::move(vocab), {});
}

// Architecture sizes of the four networks: tiny (default) or the published ones.
struct ModelConfigs {
  UNetConfig unet = UNetConfig::tiny();
  VaeConfig vae = [] {
    auto c = VaeConfig::tiny();
    c.block_out_channels = {32, 32, 64};  // downsample factor 4
    return c;
  }();
  ClipTextConfig text = [] {
    auto c = ClipTextConfig::tiny(514);
    c.hidden_size = 32;  // = the tiny UNet's cross_attention_dim
    return c;
  }();
  ClipVisionConfig vision = ClipVisionConfig::tiny();

  // SD v1-4 (UNet 859,520,964; VAE 83,653,863; text 123,060,480 parameters) and CLIP ViT-B/32.
  static ModelConfigs sd_v1_4() {
    ModelConfigs c;
    c.unet = UNetConfig::sd_v1_4();
    c.vae = VaeConfig::sd_v1_4();
    c.text = ClipTextConfig::sd_v1_4_text();
    c.vision = ClipVisionConfig::vit_b_32();
    return c;
  }
};

// SD's and CLIP's architectures (tiny sizes unless `cfg` says otherwise), random weights (seeded).
// They produce no meaningful pictures: they exercise the real code paths.
inline StableDiffusionModels tiny_random_models(const RuntimeOptions& runtime, std::uint64_t seed = 0,
                                                const ModelConfigs& cfg = {}) {
  auto vae = VaeCodec::random(cfg.vae, runtime, seed + 1);
  return StableDiffusionModels{UNetDenoiser::random(cfg.unet, runtime, seed),
                               vae.encoder,
                               vae.decoder,
                               ClipTextConditioner::random(cfg.text, byte_level_tokenizer(), runtime, seed + 2),
                               ClipImageFeatures::random(cfg.vision, runtime, seed + 3),
                               runtime};
}

// Writes tiny random models in the published layouts: <sd_dir>/{unet, vae,
// text_encoder, tokenizer, scheduler} (diffusers) and <clip_dir> (transformers
// CLIPVisionModelWithProjection). load_stable_diffusion(sd_dir, clip_dir, …)
// then gives outputs identical to tiny_random_models(…, seed, cfg).
inline void write_tiny_model_folders(const std::filesystem::path& sd_dir, const std::filesystem::path& clip_dir,
                                     std::uint64_t seed = 0, const ModelConfigs& cfg = {}) {
  namespace fs = std::filesystem;
  const RuntimeOptions cpu{};
  const auto m = tiny_random_models(cpu, seed, cfg);
  fs::create_directories(sd_dir / "unet");
  save_module(*m.denoiser.module(), sd_dir / "unet" / "diffusion_pytorch_model.safetensors", {{"format", "pt"}});
  distdiff::detail::write_file_atomic(sd_dir / "unet" / "config.json", cfg.unet.to_json().dump(2), "write_tiny_model_folders");
  VaeCodec::random(cfg.vae, cpu, seed + 1).save(sd_dir / "vae");
  detail::clip_save_folder(*m.text.model, cfg.text.to_json(), sd_dir / "text_encoder");
  // tokenizer/: the byte-level vocabulary
  nlohmann::json vocab = nlohmann::json::object();
  for (int b = 0; b < 256; ++b) {
    std::string u;
    detail::clip_utf8_append(detail::clip_byte_to_unicode()[std::size_t(b)], u);
    vocab[u] = b;
    vocab[u + "</w>"] = b + 256;
  }
  vocab["<|startoftext|>"] = 512;
  vocab["<|endoftext|>"] = 513;
  distdiff::detail::write_file_atomic(sd_dir / "tokenizer" / "vocab.json", vocab.dump(), "write_tiny_model_folders");
  distdiff::detail::write_file_atomic(sd_dir / "tokenizer" / "merges.txt", "#version: 0.2\n", "write_tiny_model_folders");
  const nlohmann::json sched{{"_class_name", "DDIMScheduler"}, {"num_train_timesteps", 1000},
                             {"beta_start", 0.00085}, {"beta_end", 0.012}, {"beta_schedule", "scaled_linear"},
                             {"steps_offset", 1}, {"set_alpha_to_one", false}, {"clip_sample", false}};
  distdiff::detail::write_file_atomic(sd_dir / "scheduler" / "scheduler_config.json", sched.dump(2), "write_tiny_model_folders");
  detail::clip_save_folder(*m.features.model, cfg.vision.to_json(), clip_dir);
}

}  // namespace distdiff::models
