#pragma once
// Training Stable Diffusion's UNet2DConditionModel from scratch for
// ε-prediction on scaled VAE latents, with SD v1-4's noise schedule
// (scaled_linear, β 0.00085 … 0.012, 1000 steps), conditioned on the frozen
// CLIP text tower's last hidden state, with caption dropout (the empty
// prompt) so that classifier-free guidance works; plus an EMA of the
// weights, a held-out denoising loss and a DDIM sampler for sanity pictures.
//
//   auto unet = make_seeded<models::UNet2DConditionModel>(seed, small_unet_config(64));
//   auto states = encode_captions(text_encoder, captions.texts);        // [K, 77, 64], frozen
//   auto report = train_unet(unet, latents, scaling, tones, captions, states, {.epochs = 6});
//   save_unet(unet, out / "sd" / "unet");                              // + write_scheduler_config(out / "sd")
//   auto pics = sample_images(unet, vae, scaling, cond, uncond, {});     // [B, 3, 32, 32] in [0, 1]
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "distdiff/data/detail/random.hpp"
#include "distdiff/detail/atomic_write.hpp"
#include "distdiff/models/clip_text_conditioner.hpp"
#include "distdiff/models/unet/config.hpp"
#include "distdiff/models/unet/unet2d_condition.hpp"
#include "distdiff/models/vae/autoencoder_kl.hpp"
#include "distdiff/models/weights/state_dict.hpp"
#include "distdiff/pretrain/captions.hpp"
#include "distdiff/pretrain/training_loop.hpp"
#include "distdiff/pretrain/vae_trainer.hpp"
#include "distdiff/sampler/ddim.hpp"

namespace distdiff::pretrain {

// The small world's UNet: SD v1's block pattern (cross-attention down blocks,
// a plain lowest level, mirrored up blocks) on 8x8 latents, three levels
// 8 -> 4 -> 2.
inline models::UNetConfig small_unet_config(std::int64_t cross_attention_dim = 64) {
  models::UNetConfig c;
  c.sample_size = 8;
  c.in_channels = 4;
  c.out_channels = 4;
  c.block_out_channels = {32, 64, 64};
  c.down_block_types = {"CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"};
  c.up_block_types = {"UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"};
  c.layers_per_block = 1;
  c.cross_attention_dim = cross_attention_dim;
  c.attention_head_dim = {4};
  c.norm_num_groups = 16;
  return c;
}

struct UNetTrainConfig {
  double epochs = 5;
  std::int64_t max_steps = 0;
  std::int64_t batch_size = 128;
  double lr = 1e-3;
  double weight_decay = 0.01;
  std::int64_t warmup_steps = 200;
  double caption_dropout = 0.1;    // probability of the empty prompt
  double ema_decay = 0.999;        // 0: no EMA; otherwise the EMA weights are left in the model
  DdimConfig schedule{};           // SD v1-4's training schedule
  std::uint64_t seed = 0;
  std::int64_t log_every = 25;

  nlohmann::json to_json() const {
    return {{"epochs", epochs}, {"max_steps", max_steps}, {"batch_size", batch_size}, {"lr", lr},
            {"weight_decay", weight_decay}, {"warmup_steps", warmup_steps}, {"caption_dropout", caption_dropout},
            {"ema_decay", ema_decay},
            {"schedule", {{"num_train_timesteps", schedule.num_train_timesteps}, {"beta_start", schedule.beta_start},
                          {"beta_end", schedule.beta_end}, {"beta_schedule", schedule.beta_schedule}}},
            {"seed", seed}};
  }
};

// The frozen text tower's last hidden state for every caption: [K, L, E] float32.
inline torch::Tensor encode_captions(const models::ClipTextConditioner& text, const std::vector<std::string>& texts,
                                     std::size_t batch = 64) {
  std::vector<torch::Tensor> parts;
  for (std::size_t b = 0; b < texts.size(); b += batch) {
    std::vector<std::string> chunk(texts.begin() + std::ptrdiff_t(b),
                                   texts.begin() + std::ptrdiff_t(std::min(texts.size(), b + batch)));
    parts.push_back(text.encode(chunk).to(torch::kCPU, torch::kFloat32));
  }
  return torch::cat(parts);
}

namespace detail {

inline torch::Tensor alphas_cumprod_tensor(const DdimConfig& schedule) {
  const DdimScheduler sched(schedule);
  return torch::tensor(sched.alphas_cumprod(), torch::kFloat64).to(torch::kFloat32);
}

// ε-prediction MSE for scaled latents z0, timesteps t [B] and noise eps.
inline torch::Tensor unet_batch_loss(models::UNet2DConditionModel& model, const torch::Tensor& z0,
                                     const torch::Tensor& t, const torch::Tensor& eps, const torch::Tensor& cond,
                                     const torch::Tensor& alphas_cumprod) {
  auto ab = alphas_cumprod.index_select(0, t).view({-1, 1, 1, 1});
  auto zt = ab.sqrt() * z0 + (1.0 - ab).sqrt() * eps;
  return torch::mse_loss(model->forward(zt, t, cond), eps);
}

inline torch::Tensor sample_posterior(const LatentSet& z, const torch::Tensor& rows, at::Generator& gen) {
  auto mean = z.mean.index_select(0, rows);
  auto sd = torch::exp(0.5 * z.logvar.index_select(0, rows));
  return mean + sd * torch::randn(mean.sizes(), gen, torch::kFloat32);
}

}  // namespace detail

// Trains `model` in place (left in eval mode, holding the EMA weights when
// cfg.ema_decay > 0). caption_states: encode_captions(text, captions.texts);
// tones: [N] int64 (image_tones of the images the latents came from).
inline StageReport train_unet(models::UNet2DConditionModel& model, const LatentSet& latents, double scaling_factor,
                              const torch::Tensor& tones, const CaptionTable& captions,
                              const torch::Tensor& caption_states, const UNetTrainConfig& cfg,
                              const StepCallback& on_log = {}) {
  using distdiff::detail::mix_seed;
  const auto N = latents.mean.size(0);
  const auto B = cfg.batch_size;
  const auto plan = plan_steps(N, B, cfg.epochs, cfg.max_steps);
  if (caption_states.size(0) != std::int64_t(captions.texts.size()))
    throw std::invalid_argument("train_unet: caption_states has " + std::to_string(caption_states.size(0)) +
                                " rows for " + std::to_string(captions.texts.size()) + " captions");
  const auto alphas = detail::alphas_cumprod_tensor(cfg.schedule);
  const auto T = cfg.schedule.num_train_timesteps;
  auto opt = make_adamw(*model, cfg.lr, cfg.weight_decay);
  std::unique_ptr<ParameterEma> ema;
  if (cfg.ema_decay > 0) ema = std::make_unique<ParameterEma>(*model, cfg.ema_decay);
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(mix_seed({cfg.seed, 21}));
  std::mt19937_64 rng(mix_seed({cfg.seed, 22}));
  const auto labels = latents.labels.contiguous();
  const auto* lab = labels.data_ptr<std::int64_t>();
  const auto tone_t = tones.to(torch::kLong).contiguous();
  const auto* tone = tone_t.data_ptr<std::int64_t>();
  LossMeter meter("unet", plan, cfg.log_every, on_log);
  std::vector<std::size_t> order;
  model->train();
  for (std::int64_t step = 0; step < plan.steps; ++step) {
    const auto epoch = step / plan.steps_per_epoch, in_epoch = step % plan.steps_per_epoch;
    if (in_epoch == 0) order = distdiff::detail::permutation(std::size_t(N), mix_seed({cfg.seed, 23, std::uint64_t(epoch)}));
    std::vector<std::int64_t> rows(static_cast<std::size_t>(B)), caps(static_cast<std::size_t>(B));
    for (std::int64_t b = 0; b < B; ++b) {
      const auto r = std::int64_t(order[std::size_t(in_epoch * B + b)]);
      rows[std::size_t(b)] = r;
      const double u = double(rng() >> 11) * 0x1.0p-53;
      caps[std::size_t(b)] = u < cfg.caption_dropout ? 0 : captions.sample(lab[r], tone[r], rng);
    }
    const double lr = cosine_lr(cfg.lr, step, plan.steps, cfg.warmup_steps);
    set_lr(*opt, lr);
    auto rows_t = torch::tensor(rows, torch::kLong);
    auto z0 = detail::sample_posterior(latents, rows_t, gen) * scaling_factor;
    auto t = torch::randint(0, T, {B}, gen, torch::kLong);
    auto eps = torch::randn(z0.sizes(), gen, torch::kFloat32);
    auto cond = caption_states.index_select(0, torch::tensor(caps, torch::kLong));
    auto loss = detail::unet_batch_loss(model, z0, t, eps, cond, alphas);
    opt->zero_grad();
    loss.backward();
    opt->step();
    if (ema) ema->update();
    meter.add(loss.item<double>(), B, lr);
  }
  if (ema) ema->copy_to_module();
  model->eval();
  return meter.finish();
}

// Mean ε-MSE on `latents` (posterior means, scaled) at the given timesteps,
// conditioned on each image's canonical caption; fixed noise from `seed`.
inline double heldout_denoising_loss(models::UNet2DConditionModel& model, const LatentSet& latents,
                                     double scaling_factor, const CaptionTable& captions,
                                     const torch::Tensor& caption_states,
                                     const std::vector<std::int64_t>& timesteps = {50, 250, 500, 750, 950},
                                     const DdimConfig& schedule = {}, std::uint64_t seed = 0,
                                     std::int64_t batch = 250) {
  torch::NoGradGuard no_grad;
  model->eval();
  const auto alphas = detail::alphas_cumprod_tensor(schedule);
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(distdiff::detail::mix_seed({seed, 24}));
  const auto N = latents.mean.size(0);
  std::vector<std::int64_t> canon(captions.num_classes());
  for (std::size_t c = 0; c < canon.size(); ++c) canon[c] = captions.canonical(std::int64_t(c));
  const auto canon_t = torch::tensor(canon, torch::kLong);
  double sum = 0;
  std::int64_t count = 0;
  for (auto ts : timesteps) {
    for (std::int64_t b = 0; b < N; b += batch) {
      const auto e = std::min(N, b + batch);
      auto z0 = latents.mean.slice(0, b, e) * scaling_factor;
      auto eps = torch::randn(z0.sizes(), gen, torch::kFloat32);
      auto t = torch::full({e - b}, ts, torch::kLong);
      auto cond = caption_states.index_select(0, canon_t.index_select(0, latents.labels.slice(0, b, e)));
      sum += detail::unet_batch_loss(model, z0, t, eps, cond, alphas).item<double>() * double(e - b);
      count += e - b;
    }
  }
  return sum / double(std::max<std::int64_t>(1, count));
}

struct SampleConfig {
  std::int64_t steps = 50;
  double guidance_scale = 5.0;
  DdimConfig schedule{};
  std::uint64_t seed = 0;
};

// Text-to-image DDIM sampling from pure noise with classifier-free guidance:
// cond [B, L, E], uncond [1, L, E]. Returns [B, 3, S, S] in [0, 1].
inline torch::Tensor sample_images(models::UNet2DConditionModel& unet, models::AutoencoderKL& vae,
                                   double scaling_factor, const torch::Tensor& cond, const torch::Tensor& uncond,
                                   const SampleConfig& cfg = {}) {
  torch::NoGradGuard no_grad;
  unet->eval();
  vae->eval();
  const DdimScheduler sched(cfg.schedule);
  const auto B = cond.size(0);
  const auto& uc = unet->config;
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(distdiff::detail::mix_seed({cfg.seed, 25}));
  auto z = torch::randn({B, uc.in_channels, uc.sample_size, uc.sample_size}, gen, torch::kFloat32);
  const auto ts = sched.timesteps(cfg.steps);
  auto context = torch::cat({uncond.expand({B, uncond.size(1), uncond.size(2)}), cond});
  for (std::size_t i = 0; i < ts.size(); ++i) {
    const auto t = ts[i];
    const auto t_prev = i + 1 < ts.size() ? ts[i + 1] : std::int64_t{-1};
    auto out = unet->forward(torch::cat({z, z}), torch::full({2 * B}, t, torch::kLong), context);
    auto parts = out.chunk(2, 0);
    auto eps = parts[0] + cfg.guidance_scale * (parts[1] - parts[0]);
    z = sched.step(z, eps, t, t_prev);
  }
  return ((vae->decode(z / scaling_factor) + 1.0) * 0.5).clamp(0.0, 1.0);
}

// A diffusers unet/ folder: config.json + diffusion_pytorch_model.safetensors.
inline void save_unet(const models::UNet2DConditionModel& model, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  models::save_module(*model, dir / "diffusion_pytorch_model.safetensors", {{"format", "pt"}});
  distdiff::detail::write_file_atomic(dir / "config.json", model->config.to_json().dump(2) + "\n", "save_unet");
}

// <sd_dir>/scheduler/scheduler_config.json (DDIMScheduler with SD v1-4's settings
// unless `schedule` says otherwise) and <sd_dir>/model_index.json.
inline void write_scheduler_config(const std::filesystem::path& sd_dir, const DdimConfig& s = {}) {
  std::filesystem::create_directories(sd_dir / "scheduler");
  const nlohmann::json sched{{"_class_name", "DDIMScheduler"}, {"num_train_timesteps", s.num_train_timesteps},
                             {"beta_start", s.beta_start}, {"beta_end", s.beta_end},
                             {"beta_schedule", s.beta_schedule}, {"steps_offset", s.steps_offset},
                             {"set_alpha_to_one", s.set_alpha_to_one}, {"clip_sample", false},
                             {"prediction_type", "epsilon"}};
  distdiff::detail::write_file_atomic(sd_dir / "scheduler" / "scheduler_config.json", sched.dump(2) + "\n",
                                      "write_scheduler_config");
  const nlohmann::json index{{"_class_name", "StableDiffusionPipeline"},
                             {"scheduler", {"diffusers", "DDIMScheduler"}},
                             {"text_encoder", {"transformers", "CLIPTextModel"}},
                             {"tokenizer", {"transformers", "CLIPTokenizer"}},
                             {"unet", {"diffusers", "UNet2DConditionModel"}},
                             {"vae", {"diffusers", "AutoencoderKL"}}};
  distdiff::detail::write_file_atomic(sd_dir / "model_index.json", index.dump(2) + "\n", "write_scheduler_config");
}

}  // namespace distdiff::pretrain
