#pragma once
// Training Stable Diffusion's AutoencoderKL from scratch on small images:
// reconstruction (L1 or MSE, images in [-1, 1]) of a posterior SAMPLE plus a
// small KL term, the latent scaling factor (1 / std of the latents, the role
// 0.18215 plays for SD v1), the reconstruction PSNR, and the diffusers writer.
//
//   auto vae = make_seeded<models::AutoencoderKL>(seed, small_vae_config());
//   auto report = train_vae(vae, images, {.epochs = 2});
//   LatentSet z = encode_latents(vae, images);
//   double s = latent_scaling_factor(z, seed);      // stored as scaling_factor in vae/config.json
//   PsnrResult p = reconstruction_psnr(vae, test_images);
//   save_vae(vae, s, out / "sd" / "vae");           // loads with models::VaeCodec::load
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "distdiff/data/detail/random.hpp"
#include "distdiff/detail/atomic_write.hpp"
#include "distdiff/models/vae/autoencoder_kl.hpp"
#include "distdiff/models/vae/config.hpp"
#include "distdiff/models/weights/state_dict.hpp"
#include "distdiff/pretrain/image_tensors.hpp"
#include "distdiff/pretrain/training_loop.hpp"

namespace distdiff::pretrain {

// The small world's VAE: three levels (downsample factor 4), so 32x32 images
// have 4x8x8 latents, as 512x512 images have 4x64x64 ones in SD v1.
inline models::VaeConfig small_vae_config() {
  models::VaeConfig c;
  c.in_channels = 3;
  c.out_channels = 3;
  c.latent_channels = 4;
  c.block_out_channels = {16, 32, 32};
  c.layers_per_block = 1;
  c.norm_num_groups = 8;
  c.sample_size = 32;
  c.scaling_factor = 1.0;   // set from the trained latents (latent_scaling_factor)
  return c;
}

struct VaeTrainConfig {
  double epochs = 1;
  std::int64_t max_steps = 0;
  std::int64_t batch_size = 64;
  double lr = 1e-3;
  double weight_decay = 0.0;
  std::int64_t warmup_steps = 100;
  double kl_weight = 1e-4;          // × KL per latent element (mean over the batch)
  std::string loss = "l1";          // "l1" or "mse" (per pixel, images in [-1, 1])
  AugmentConfig augment{};
  std::uint64_t seed = 0;
  std::int64_t log_every = 25;

  nlohmann::json to_json() const {
    return {{"epochs", epochs}, {"max_steps", max_steps}, {"batch_size", batch_size}, {"lr", lr},
            {"weight_decay", weight_decay}, {"warmup_steps", warmup_steps}, {"kl_weight", kl_weight},
            {"loss", loss},
            {"augment", {{"zoom", augment.zoom}, {"shift", augment.shift}, {"flip", augment.flip}}},
            {"seed", seed}};
  }
};

namespace detail {
inline torch::Tensor vae_batch_loss(models::AutoencoderKL& model, const torch::Tensor& x, at::Generator& gen,
                                    const VaeTrainConfig& cfg) {
  auto post = model->encode(x);
  auto rec = model->decode(post.sample(gen));
  auto diff = rec - x;
  auto rec_loss = cfg.loss == "mse" ? diff.pow(2).mean() : diff.abs().mean();
  auto kl = post.kl().mean() / double(post.mean[0].numel());
  return rec_loss + cfg.kl_weight * kl;
}
}  // namespace detail

// Trains `model` in place (left in eval mode).
inline StageReport train_vae(models::AutoencoderKL& model, const ImageTensors& data, const VaeTrainConfig& cfg,
                             const StepCallback& on_log = {}) {
  using distdiff::detail::mix_seed;
  if (cfg.loss != "l1" && cfg.loss != "mse")
    throw std::invalid_argument("train_vae: loss must be \"l1\" or \"mse\", got \"" + cfg.loss + "\"");
  const auto N = data.size();
  const auto B = cfg.batch_size;
  const auto plan = plan_steps(N, B, cfg.epochs, cfg.max_steps);
  auto opt = make_adamw(*model, cfg.lr, cfg.weight_decay);
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(mix_seed({cfg.seed, 11}));
  LossMeter meter("vae", plan, cfg.log_every, on_log);
  std::vector<std::size_t> order;
  model->train();
  for (std::int64_t step = 0; step < plan.steps; ++step) {
    const auto epoch = step / plan.steps_per_epoch, in_epoch = step % plan.steps_per_epoch;
    if (in_epoch == 0) order = distdiff::detail::permutation(std::size_t(N), mix_seed({cfg.seed, 12, std::uint64_t(epoch)}));
    std::vector<std::int64_t> rows(static_cast<std::size_t>(B));
    for (std::int64_t b = 0; b < B; ++b) rows[std::size_t(b)] = std::int64_t(order[std::size_t(in_epoch * B + b)]);
    const double lr = cosine_lr(cfg.lr, step, plan.steps, cfg.warmup_steps);
    set_lr(*opt, lr);
    auto x = augment_batch(data.batch01(torch::tensor(rows, torch::kLong)), gen, cfg.augment) * 2.0 - 1.0;
    auto loss = detail::vae_batch_loss(model, x, gen, cfg);
    opt->zero_grad();
    loss.backward();
    opt->step();
    meter.add(loss.item<double>(), B, lr);
  }
  model->eval();
  return meter.finish();
}

// Unscaled posteriors of a whole image set (no augmentation).
struct LatentSet {
  torch::Tensor mean;     // [N, L, h, w] float32
  torch::Tensor logvar;   // [N, L, h, w] float32
  torch::Tensor labels;   // [N] int64
};

inline LatentSet encode_latents(models::AutoencoderKL& model, const ImageTensors& data, std::int64_t batch = 500) {
  torch::NoGradGuard no_grad;
  model->eval();
  std::vector<torch::Tensor> means, logvars;
  for (std::int64_t b = 0; b < data.size(); b += batch) {
    auto post = model->encode(data.range01(b, std::min(data.size(), b + batch)) * 2.0 - 1.0);
    means.push_back(post.mean.contiguous());
    logvars.push_back(post.logvar.contiguous());
  }
  return {torch::cat(means), torch::cat(logvars), data.labels};
}

// 1 / std of one posterior sample per image over every element.
inline double latent_scaling_factor(const LatentSet& z, std::uint64_t seed) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(distdiff::detail::mix_seed({seed, 13}));
  auto sample = z.mean + torch::exp(0.5 * z.logvar) * torch::randn(z.mean.sizes(), gen, torch::kFloat32);
  return 1.0 / sample.std().item<double>();
}

struct PsnrResult {
  double mean_db = 0;     // mean over images of each image's PSNR
  double pooled_db = 0;   // PSNR of the MSE pooled over all pixels
  std::int64_t images = 0;
};

// Reconstruction through the posterior mean, pixels compared in [0, 1]
// (reconstructions clamped), 3 channels.
inline PsnrResult reconstruction_psnr(models::AutoencoderKL& model, const ImageTensors& data, std::int64_t batch = 250) {
  torch::NoGradGuard no_grad;
  model->eval();
  std::vector<torch::Tensor> mses;
  for (std::int64_t b = 0; b < data.size(); b += batch) {
    auto x = data.range01(b, std::min(data.size(), b + batch));
    auto rec = ((model->forward(x * 2.0 - 1.0) + 1.0) * 0.5).clamp(0.0, 1.0);
    mses.push_back((rec - x).pow(2).flatten(1).mean(1).to(torch::kDouble));
  }
  auto mse = torch::cat(mses).clamp_min(1e-10);
  PsnrResult r;
  r.images = mse.size(0);
  r.mean_db = (-10.0 * torch::log10(mse)).mean().item<double>();
  r.pooled_db = -10.0 * std::log10(mse.mean().item<double>());
  return r;
}

// A diffusers vae/ folder: config.json (with `scaling_factor`) and
// diffusion_pytorch_model.safetensors (float32).
inline void save_vae(const models::AutoencoderKL& model, double scaling_factor, const std::filesystem::path& dir) {
  auto cfg = model->config();
  cfg.scaling_factor = scaling_factor;
  cfg.validate("save_vae");
  std::filesystem::create_directories(dir);
  models::save_module(*model, dir / "diffusion_pytorch_model.safetensors", {{"format", "pt"}});
  distdiff::detail::write_file_atomic(dir / "config.json", cfg.to_json().dump(2) + "\n", "save_vae");
}

}  // namespace distdiff::pretrain
