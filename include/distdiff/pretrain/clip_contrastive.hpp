#pragma once
// Contrastive CLIP pretraining (Radford et al. 2021) of a models::ClipModel —
// both towers, both projections and the learnable logit scale — on captioned
// images, the zero-shot evaluation, and the writers of the published folder
// layouts:
//
//   models::ClipModel clip = make_seeded<models::ClipModel>(seed, small_clip_config());
//   init_clip_for_training(*clip, seed);
//   auto report = train_clip(clip, models::byte_level_tokenizer(), images, tones, captions, {.epochs = 4});
//   auto zs = zero_shot(clip, tok, test_images, prompts);          // zs.top1 in percent
//   save_clip_folders(clip, sd / "text_encoder", out / "clip");    // + write_byte_level_tokenizer(sd / "tokenizer")
//
// Loss: symmetric InfoNCE over the batch, logits = exp(logit_scale) · cos(image_i, text_j),
// logit_scale learnable and clamped to log(100) as in CLIP. A batch of a small
// labelled dataset repeats captions; pairs with the same caption are each
// other's positives (uniform soft targets), which is CLIP's loss whenever the
// captions are distinct. The images enter in [0, 1] at the tower's size without
// normalisation; save_clip_folders writes that into preprocessor_config.json
// (do_normalize false), which ClipImageFeatures::load reads.
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "distdiff/data/detail/random.hpp"
#include "distdiff/detail/atomic_write.hpp"
#include "distdiff/models/clip/clip_model.hpp"
#include "distdiff/models/clip/config.hpp"
#include "distdiff/models/clip/init.hpp"
#include "distdiff/models/clip/io.hpp"
#include "distdiff/models/clip/text_model.hpp"
#include "distdiff/models/clip/tokenizer.hpp"
#include "distdiff/models/clip/vision_model.hpp"
#include "distdiff/pretrain/captions.hpp"
#include "distdiff/pretrain/image_tensors.hpp"
#include "distdiff/pretrain/training_loop.hpp"
#include "distdiff/preprocess/clip_image_processor.hpp"

namespace distdiff::pretrain {

// The small world's CLIP: a ViT on 32x32 images in 4x4 patches and a text
// tower whose width (64) is the small UNet's cross_attention_dim, on the
// byte-level tokenizer (514 entries).
inline models::ClipModelConfig small_clip_config(std::int64_t vocab_size = 514, std::int64_t text_hidden = 64) {
  models::ClipModelConfig c;
  c.text.vocab_size = vocab_size;
  c.text.hidden_size = text_hidden;
  c.text.intermediate_size = 4 * text_hidden;
  c.text.num_attention_heads = 4;
  c.text.num_hidden_layers = 3;
  c.text.max_position_embeddings = 77;
  c.vision.hidden_size = 64;
  c.vision.intermediate_size = 256;
  c.vision.num_attention_heads = 4;
  c.vision.num_hidden_layers = 3;
  c.vision.image_size = 32;
  c.vision.patch_size = 4;
  c.projection_dim = 64;
  c.text.projection_dim = c.vision.projection_dim = c.projection_dim;
  c.logit_scale_init_value = std::log(1.0 / 0.07);
  return c;
}

// Training initialisation: init_clip_weights (seeded, N(0, 1/fan_in) weights,
// N(0, 0.02²) embeddings), then layer norms at (1, 0) and biases at 0.
inline void init_clip_for_training(torch::nn::Module& module, std::uint64_t seed) {
  models::init_clip_weights(module, seed);
  torch::NoGradGuard no_grad;
  for (auto& item : module.named_modules("", /*include_self=*/true)) {
    auto& m = *item.value();
    if (auto* ln = m.as<torch::nn::LayerNormImpl>()) {
      if (ln->weight.defined()) ln->weight.fill_(1.0);
      if (ln->bias.defined()) ln->bias.zero_();
    } else if (auto* lin = m.as<torch::nn::LinearImpl>()) {
      if (lin->bias.defined()) lin->bias.zero_();
    }
  }
}

struct ClipTrainConfig {
  double epochs = 3;               // passes over the images (ignored when max_steps > 0)
  std::int64_t max_steps = 0;
  std::int64_t batch_size = 256;
  double lr = 1e-3;                // peak; linear warm-up, cosine decay
  double weight_decay = 0.1;
  std::int64_t warmup_steps = 100;
  double max_logit_scale = 100.0;  // exp(logit_scale) is clamped to this
  AugmentConfig augment{};
  std::uint64_t seed = 0;
  std::int64_t log_every = 25;

  nlohmann::json to_json() const {
    return {{"epochs", epochs}, {"max_steps", max_steps}, {"batch_size", batch_size}, {"lr", lr},
            {"weight_decay", weight_decay}, {"warmup_steps", warmup_steps}, {"max_logit_scale", max_logit_scale},
            {"augment", {{"zoom", augment.zoom}, {"shift", augment.shift}, {"flip", augment.flip}}},
            {"seed", seed}};
  }
};

namespace detail {

// Symmetric InfoNCE with soft targets: rows/columns sharing a caption id are positives.
inline torch::Tensor clip_contrastive_loss(const torch::Tensor& logits, const torch::Tensor& caption_ids) {
  auto same = caption_ids.unsqueeze(0).eq(caption_ids.unsqueeze(1)).to(logits.scalar_type());
  auto targets = same / same.sum(1, /*keepdim=*/true);
  auto li = -(targets * torch::log_softmax(logits, 1)).sum(1).mean();
  auto lt = -(targets * torch::log_softmax(logits.t(), 1)).sum(1).mean();
  return 0.5 * (li + lt);
}

// One contrastive step's loss for images x ([B, 3, S, S] in [0, 1]) and caption ids.
inline torch::Tensor clip_batch_loss(models::ClipModel& model, const torch::Tensor& x,
                                     const std::vector<std::int64_t>& caption_ids, const torch::Tensor& all_tokens) {
  namespace F = torch::nn::functional;
  std::map<std::int64_t, std::int64_t> slot;
  std::vector<std::int64_t> unique, inverse;
  inverse.reserve(caption_ids.size());
  for (auto id : caption_ids) {
    auto [it, fresh] = slot.emplace(id, std::int64_t(unique.size()));
    if (fresh) unique.push_back(id);
    inverse.push_back(it->second);
  }
  auto tokens = all_tokens.index_select(0, torch::tensor(unique, torch::kLong));
  auto img = F::normalize(model->image_embeds(x), F::NormalizeFuncOptions().dim(-1));
  auto txt = F::normalize(model->text_embeds(tokens), F::NormalizeFuncOptions().dim(-1))
                 .index_select(0, torch::tensor(inverse, torch::kLong));
  auto logits = model->logit_scale.exp() * torch::matmul(img, txt.t());
  return clip_contrastive_loss(logits, torch::tensor(caption_ids, torch::kLong));
}

}  // namespace detail

// Trains `model` in place (left in eval mode). tones: [N] int64 from image_tones().
inline StageReport train_clip(models::ClipModel& model, const models::ClipTokenizer& tokenizer,
                              const ImageTensors& data, const torch::Tensor& tones, const CaptionTable& captions,
                              const ClipTrainConfig& cfg, const StepCallback& on_log = {}) {
  using distdiff::detail::mix_seed;
  const auto N = data.size();
  const auto B = cfg.batch_size;
  const auto plan = plan_steps(N, B, cfg.epochs, cfg.max_steps);
  const auto all_tokens = tokenizer.batch_encode(captions.texts, model->config.text.max_position_embeddings);
  auto opt = make_adamw(*model, cfg.lr, cfg.weight_decay, /*beta2=*/0.98);
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(mix_seed({cfg.seed, 1}));
  std::mt19937_64 rng(mix_seed({cfg.seed, 2}));
  const auto* lab = data.labels.data_ptr<std::int64_t>();
  const auto tone_t = tones.to(torch::kLong).contiguous();
  const auto* tone = tone_t.data_ptr<std::int64_t>();
  const double max_log_scale = std::log(cfg.max_logit_scale);
  LossMeter meter("clip", plan, cfg.log_every, on_log);
  std::vector<std::size_t> order;
  model->train();
  for (std::int64_t step = 0; step < plan.steps; ++step) {
    const auto epoch = step / plan.steps_per_epoch, in_epoch = step % plan.steps_per_epoch;
    if (in_epoch == 0) order = distdiff::detail::permutation(std::size_t(N), mix_seed({cfg.seed, 3, std::uint64_t(epoch)}));
    std::vector<std::int64_t> rows(static_cast<std::size_t>(B)), caps(static_cast<std::size_t>(B));
    for (std::int64_t b = 0; b < B; ++b) {
      const auto r = std::int64_t(order[std::size_t(in_epoch * B + b)]);
      rows[std::size_t(b)] = r;
      caps[std::size_t(b)] = captions.sample(lab[r], tone[r], rng);
    }
    const double lr = cosine_lr(cfg.lr, step, plan.steps, cfg.warmup_steps);
    set_lr(*opt, lr);
    auto x = augment_batch(data.batch01(torch::tensor(rows, torch::kLong)), gen, cfg.augment);
    auto loss = detail::clip_batch_loss(model, x, caps, all_tokens);
    opt->zero_grad();
    loss.backward();
    opt->step();
    {
      torch::NoGradGuard no_grad;
      model->logit_scale.clamp_(0.0, max_log_scale);
    }
    meter.add(loss.item<double>(), B, lr);
  }
  model->eval();
  return meter.finish();
}

struct ZeroShotResult {
  double top1 = 0;                  // percent
  std::vector<double> per_class;    // percent, index = label
  std::int64_t images = 0;
};

// Zero-shot classification of `test` by the nearest prompt embedding (cosine).
inline ZeroShotResult zero_shot(models::ClipModel& model, const models::ClipTokenizer& tokenizer,
                                const ImageTensors& test, const std::vector<std::string>& prompts,
                                std::int64_t batch_size = 500) {
  namespace F = torch::nn::functional;
  torch::NoGradGuard no_grad;
  model->eval();
  auto txt = F::normalize(model->text_embeds(tokenizer.batch_encode(prompts, model->config.text.max_position_embeddings)),
                          F::NormalizeFuncOptions().dim(-1));
  const auto N = test.size();
  std::vector<torch::Tensor> preds;
  for (std::int64_t b = 0; b < N; b += batch_size) {
    auto img = F::normalize(model->image_embeds(test.range01(b, std::min(N, b + batch_size))),
                            F::NormalizeFuncOptions().dim(-1));
    preds.push_back(torch::matmul(img, txt.t()).argmax(1));
  }
  auto pred = torch::cat(preds);
  auto hit = pred.eq(test.labels).to(torch::kDouble);
  ZeroShotResult r;
  r.images = N;
  r.top1 = 100.0 * hit.mean().item<double>();
  for (std::size_t c = 0; c < prompts.size(); ++c) {
    auto mask = test.labels.eq(std::int64_t(c));
    const auto n = mask.sum().item<std::int64_t>();
    r.per_class.push_back(n ? 100.0 * hit.masked_select(mask).mean().item<double>() : 0.0);
  }
  return r;
}

namespace detail {

// Copies every parameter and buffer of `to` from the same name in `from`.
inline void copy_by_name(const torch::nn::Module& from, torch::nn::Module& to, const std::string& who) {
  torch::NoGradGuard no_grad;
  auto src = from.named_parameters(true);
  auto src_buf = from.named_buffers(true);
  for (auto& item : to.named_parameters(true)) {
    const auto* s = src.find(item.key());
    if (!s) throw std::logic_error(who + ": no parameter " + item.key() + " in the trained model");
    item.value().copy_(*s);
  }
  for (auto& item : to.named_buffers(true)) {
    const auto* s = src_buf.find(item.key());
    if (s) item.value().copy_(*s);
  }
}

}  // namespace detail

// The text tower as a transformers CLIPTextModel folder (SD's text_encoder/),
// the vision tower + projection as a CLIPVisionModelWithProjection folder and,
// when full_dir is given, the whole CLIPModel (both towers, projections,
// logit_scale) with a tokenizer copy, as published CLIP folders hold. The image
// folders get a preprocessor_config.json saying how the images entered training.
inline void save_clip_folders(const models::ClipModel& model, const std::filesystem::path& text_encoder_dir,
                              const std::filesystem::path& vision_dir, const std::filesystem::path& full_dir = {}) {
  const auto& cfg = model->config;
  models::ClipTextModel text(cfg.text);
  detail::copy_by_name(*model, *text, "save_clip_folders(text)");
  models::save_clip_text_model(text, text_encoder_dir);
  models::ClipVisionModelWithProjection vision(cfg.vision);
  detail::copy_by_name(*model, *vision, "save_clip_folders(vision)");
  models::save_clip_vision_model(vision, vision_dir);
  if (!full_dir.empty()) models::save_clip_model(model, full_dir);
  const auto S = cfg.vision.image_size;
  const auto processor = ClipImageProcessor{.shortest_edge = S, .crop_size = S, .do_normalize = false}.to_config();
  for (const auto& dir : {vision_dir, full_dir})
    if (!dir.empty())
      distdiff::detail::write_file_atomic(dir / "preprocessor_config.json", processor.dump(2) + "\n");
}

// A tokenizer folder (vocab.json, merges.txt, special_tokens_map.json,
// tokenizer_config.json) holding models::byte_level_tokenizer()'s vocabulary.
inline void write_byte_level_tokenizer(const std::filesystem::path& dir, std::int64_t model_max_length = 77) {
  const std::string who = "write_byte_level_tokenizer";
  std::filesystem::create_directories(dir);
  nlohmann::json vocab = nlohmann::json::object();
  for (int b = 0; b < 256; ++b) {
    std::string u;
    models::detail::clip_utf8_append(models::detail::clip_byte_to_unicode()[std::size_t(b)], u);
    vocab[u] = b;
    vocab[u + "</w>"] = b + 256;
  }
  vocab["<|startoftext|>"] = 512;
  vocab["<|endoftext|>"] = 513;
  distdiff::detail::write_file_atomic(dir / "vocab.json", vocab.dump(), who);
  distdiff::detail::write_file_atomic(dir / "merges.txt", "#version: 0.2\n", who);
  const nlohmann::json special{{"bos_token", "<|startoftext|>"}, {"eos_token", "<|endoftext|>"},
                               {"pad_token", "<|endoftext|>"}, {"unk_token", "<|endoftext|>"}};
  distdiff::detail::write_file_atomic(dir / "special_tokens_map.json", special.dump(2) + "\n", who);
  const nlohmann::json config{{"tokenizer_class", "CLIPTokenizer"}, {"model_max_length", model_max_length},
                              {"do_lower_case", true}, {"bos_token", "<|startoftext|>"},
                              {"eos_token", "<|endoftext|>"}, {"pad_token", "<|endoftext|>"},
                              {"unk_token", "<|endoftext|>"}};
  distdiff::detail::write_file_atomic(dir / "tokenizer_config.json", config.dump(2) + "\n", who);
}

}  // namespace distdiff::pretrain
