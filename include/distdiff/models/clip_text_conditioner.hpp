#pragma once
// ClipTextConditioner — the TextEncoder of Stable Diffusion v1: CLIP tokenizer +
// CLIP text tower, prompts to the [B, 77, 768] last hidden state the UNet
// cross-attends to.
//
//   auto text = distdiff::models::ClipTextConditioner::load(
//       "stable-diffusion-v1-4", distdiff::RuntimeOptions::best_available());
//   at::Tensor cond = text.encode({"a photo of a dog", ""});   // [2, 77, 768]
//
// load() reads <sd_dir>/tokenizer (vocab.json, merges.txt, special_tokens_map.json)
// and <sd_dir>/text_encoder (config.json, model.safetensors). The model is frozen
// (requires_grad false), in eval mode, on the runtime's device and compute dtype
// (clip_compute_dtype: float16 on CPU computes in float32). encode() runs without
// autograd and returns the compute dtype on the runtime device.
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "distdiff/concepts/models.hpp"
#include "distdiff/core/types.hpp"
#include "distdiff/models/clip/config.hpp"
#include "distdiff/models/clip/init.hpp"
#include "distdiff/models/clip/io.hpp"
#include "distdiff/models/clip/text_model.hpp"
#include "distdiff/models/clip/tokenizer.hpp"

namespace distdiff::models {

struct ClipTextConditioner {
  using component_tag = distdiff::text_encoder_tag;

  ClipTokenizer tokenizer;
  ClipTextModel model{nullptr};
  distdiff::RuntimeOptions runtime{};
  std::int64_t max_length = 77;      // token sequence length (the model's max_position_embeddings)
  std::string source = "unloaded";   // where the weights came from (for name())

  // [B, max_length, hidden] last_hidden_state (after final_layer_norm).
  at::Tensor encode(const std::vector<std::string>& prompts) const {
    if (model.is_empty())
      throw std::logic_error("ClipTextConditioner::encode: no model; create it with load() or random()");
    torch::NoGradGuard no_grad;
    auto ids = tokenizer.batch_encode(prompts, max_length);
    return model.ptr()->forward(ids).last_hidden_state;
  }

  std::int64_t hidden_size() const { return model.is_empty() ? 0 : model->config.hidden_size; }
  std::string name() const { return "clip-text(" + source + ")"; }

  static ClipTextConditioner load(const std::filesystem::path& sd_dir, const distdiff::RuntimeOptions& opts) {
    if (!std::filesystem::is_directory(sd_dir))
      throw std::runtime_error("ClipTextConditioner::load: " + sd_dir.string() + " is not a folder");
    ClipTextConditioner c;
    c.tokenizer = ClipTokenizer::from_dir(sd_dir / "tokenizer");
    c.model = load_clip_text_model(sd_dir / "text_encoder", opts);
    c.source = sd_dir.filename().empty() ? sd_dir.parent_path().filename().string() : sd_dir.filename().string();
    c.finish(opts);
    return c;
  }

  // Random weights (init_clip_weights with `seed`) for tests and ablations.
  static ClipTextConditioner random(const ClipTextConfig& config, ClipTokenizer tokenizer,
                                    const distdiff::RuntimeOptions& opts, std::uint64_t seed) {
    ClipTextConditioner c;
    c.tokenizer = std::move(tokenizer);
    c.model = ClipTextModel(config);
    init_clip_weights(*c.model, seed);
    c.model->to(opts.device, clip_compute_dtype(opts));
    c.source = "random(seed=" + std::to_string(seed) + ")";
    c.finish(opts);
    return c;
  }

 private:
  void finish(const distdiff::RuntimeOptions& opts) {
    runtime = opts;
    runtime.dtype = clip_compute_dtype(opts);
    max_length = model->config.max_position_embeddings;
    const auto vocab = model->config.vocab_size;
    for (auto id : {tokenizer.start_id, tokenizer.end_id, tokenizer.pad_id})
      if (id < 0 || id >= vocab)
        throw std::invalid_argument("ClipTextConditioner: tokenizer special id " + std::to_string(id) +
                                    " is outside the text model's vocabulary of " + std::to_string(vocab));
    model->eval();
    for (auto& p : model->parameters()) p.requires_grad_(false);
  }
};

}  // namespace distdiff::models

static_assert(distdiff::TextEncoder<distdiff::models::ClipTextConditioner>);
