#pragma once
// Original single-file Stable Diffusion v1 checkpoints (as released with the
// LDM code: "v1-5-pruned-emaonly.safetensors" and the like) mapped onto the
// diffusers / transformers names that the UNet, VAE and CLIP modules use.
//
//   auto all = distdiff::models::load_safetensors("v1-5-pruned-emaonly.safetensors",
//                                                 torch::kFloat32);
//   auto unet = distdiff::models::split_sd_checkpoint(all, "unet");
//   distdiff::models::load_state_dict(unet_module, unet);
//
// Name mapping (layers_per_block = L, num_down_blocks = N):
//   UNet  model.diffusion_model.*
//     time_embed.0/2                 -> time_embedding.linear_1/2
//     input_blocks.0.0               -> conv_in
//     input_blocks.{(L+1)i+j+1}.0/.1 -> down_blocks.i.resnets.j / attentions.j
//     input_blocks.{(L+1)(i+1)}.0.op -> down_blocks.i.downsamplers.0.conv
//     middle_block.0/1/2             -> mid_block.resnets.0 / attentions.0 / resnets.1
//     output_blocks.{(L+1)i+j}.0/.1  -> up_blocks.i.resnets.j / attentions.j
//     output_blocks.{(L+1)i+L}.{1|2}.conv -> up_blocks.i.upsamplers.0.conv
//     out.0/2                        -> conv_norm_out / conv_out
//     inside resnets: in_layers.0/2 -> norm1/conv1, emb_layers.1 -> time_emb_proj,
//       out_layers.0/3 -> norm2/conv2, skip_connection -> conv_shortcut;
//     inside attentions the names are already the diffusers ones.
//   VAE   first_stage_model.*
//     {en,de}coder.conv_in/conv_out, quant_conv, post_quant_conv: unchanged
//     encoder.down.i.block.j         -> encoder.down_blocks.i.resnets.j
//     encoder.down.i.downsample      -> encoder.down_blocks.i.downsamplers.0
//     decoder.up.k.block.j           -> decoder.up_blocks.{N-1-k}.resnets.j (reversed)
//     decoder.up.k.upsample          -> decoder.up_blocks.{N-1-k}.upsamplers.0
//     mid.block_1 / attn_1 / block_2 -> mid_block.resnets.0 / attentions.0 / resnets.1
//     norm_out -> conv_norm_out; nin_shortcut -> conv_shortcut
//     attn_1.norm/q/k/v/proj_out     -> group_norm/to_q/to_k/to_v/to_out.0,
//       1x1 convolution weights [C, C, 1, 1] reshaped to linear [C, C]
//   Text  cond_stage_model.transformer.text_model.* (or .transformer.* in older
//         transformers layouts) -> text_model.*
// Other keys (model_ema.*, schedule buffers, other components) are skipped.
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "distdiff/models/vae/legacy_names.hpp"

namespace distdiff::models {

namespace detail {

inline bool sd_starts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

// "<head>.<rest>" -> rest (non-empty); nullopt otherwise.
inline std::optional<std::string> sd_after(std::string_view s, std::string_view head) {
  if (!sd_starts_with(s, head) || s.size() <= head.size() + 1 || s[head.size()] != '.') {
    return std::nullopt;
  }
  return std::string(s.substr(head.size() + 1));
}

// "<from>.<rest>" -> "<to>.<rest>".
inline std::optional<std::string> sd_swap_prefix(std::string_view s, std::string_view from,
                                                 std::string_view to) {
  auto rest = sd_after(s, from);
  if (!rest) return std::nullopt;
  return std::string(to) + "." + *rest;
}

// "12.rest" -> (12, "rest"); nullopt unless s is digits, a dot and more.
inline std::optional<std::pair<std::int64_t, std::string>> sd_take_index(std::string_view s) {
  std::size_t i = 0;
  std::int64_t v = 0;
  while (i < s.size() && i < 9 && s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i++] - '0');
  if (i == 0 || i + 1 >= s.size() || s[i] != '.') return std::nullopt;
  return std::pair<std::int64_t, std::string>{v, std::string(s.substr(i + 1))};
}

inline std::optional<std::string> sd_prefixed(const std::string& prefix,
                                              const std::optional<std::string>& rest) {
  if (!rest) return std::nullopt;
  return prefix + *rest;
}

inline std::optional<std::string> sd_unet_resnet(std::string_view rest) {
  static const std::pair<const char*, const char*> table[] = {
      {"in_layers.0", "norm1"},  {"in_layers.2", "conv1"},          {"out_layers.0", "norm2"},
      {"out_layers.3", "conv2"}, {"emb_layers.1", "time_emb_proj"}, {"skip_connection", "conv_shortcut"}};
  for (const auto& [from, to] : table) {
    if (auto r = sd_swap_prefix(rest, from, to)) return r;
  }
  return std::nullopt;
}

inline std::optional<std::string> sd_vae_resnet(std::string_view rest) {
  if (auto r = sd_swap_prefix(rest, "nin_shortcut", "conv_shortcut")) return r;
  for (const char* same : {"norm1", "conv1", "norm2", "conv2"}) {
    if (sd_after(rest, same)) return std::string(rest);
  }
  return std::nullopt;
}

inline std::optional<std::string> sd_vae_attention(std::string_view rest) {
  static const std::pair<const char*, const char*> table[] = {
      {"norm", "group_norm"}, {"q", "to_q"}, {"k", "to_k"}, {"v", "to_v"}, {"proj_out", "to_out.0"}};
  for (const auto& [from, to] : table) {
    if (auto r = sd_swap_prefix(rest, from, to)) return r;
  }
  return std::nullopt;
}

}  // namespace detail

// diffusers UNet2DConditionModel name of an LDM UNet name given WITHOUT the
// "model.diffusion_model." prefix; nullopt when it fits no rule.
inline std::optional<std::string> sd_unet_name(const std::string& ldm, std::int64_t layers_per_block = 2,
                                               std::int64_t num_down_blocks = 4) {
  using namespace detail;
  const std::int64_t L = layers_per_block, N = num_down_blocks;
  static const std::pair<const char*, const char*> direct[] = {
      {"time_embed.0", "time_embedding.linear_1"}, {"time_embed.2", "time_embedding.linear_2"},
      {"input_blocks.0.0", "conv_in"}, {"out.0", "conv_norm_out"}, {"out.2", "conv_out"}};
  for (const auto& [from, to] : direct) {
    if (auto r = sd_swap_prefix(ldm, from, to)) return r;
  }

  if (auto after = sd_after(ldm, "input_blocks")) {
    const auto k = sd_take_index(*after);
    const auto m = k ? sd_take_index(k->second) : std::nullopt;
    if (!m || k->first == 0) return std::nullopt;
    const std::string& rest = m->second;
    if (k->first % (L + 1) == 0) {  // a downsampler slot
      const std::int64_t level = k->first / (L + 1) - 1;
      if (m->first != 0 || level >= N - 1) return std::nullopt;
      return sd_prefixed("down_blocks." + std::to_string(level) + ".downsamplers.0.conv.",
                         sd_after(rest, "op"));
    }
    const std::int64_t level = (k->first - 1) / (L + 1), j = (k->first - 1) % (L + 1);
    if (level >= N) return std::nullopt;
    const std::string base = "down_blocks." + std::to_string(level);
    if (m->first == 0) return sd_prefixed(base + ".resnets." + std::to_string(j) + ".", sd_unet_resnet(rest));
    if (m->first == 1) return base + ".attentions." + std::to_string(j) + "." + rest;
    return std::nullopt;
  }
  if (auto after = sd_after(ldm, "middle_block")) {
    const auto m = sd_take_index(*after);
    if (!m) return std::nullopt;
    if (m->first == 0) return sd_prefixed("mid_block.resnets.0.", sd_unet_resnet(m->second));
    if (m->first == 1) return "mid_block.attentions.0." + m->second;
    if (m->first == 2) return sd_prefixed("mid_block.resnets.1.", sd_unet_resnet(m->second));
    return std::nullopt;
  }
  if (auto after = sd_after(ldm, "output_blocks")) {
    const auto k = sd_take_index(*after);
    const auto m = k ? sd_take_index(k->second) : std::nullopt;
    if (!m) return std::nullopt;
    const std::string& rest = m->second;
    const std::int64_t level = k->first / (L + 1), j = k->first % (L + 1);
    if (level >= N) return std::nullopt;
    const std::string base = "up_blocks." + std::to_string(level);
    if (m->first == 0) return sd_prefixed(base + ".resnets." + std::to_string(j) + ".", sd_unet_resnet(rest));
    if ((m->first == 1 || m->first == 2) && sd_after(rest, "conv")) {
      // Upsampler: after the resnet (and the attention, when the level has one).
      if (j != L || level >= N - 1) return std::nullopt;
      return base + ".upsamplers.0." + rest;
    }
    if (m->first == 1) return base + ".attentions." + std::to_string(j) + "." + rest;
    return std::nullopt;
  }
  return std::nullopt;
}

// diffusers AutoencoderKL name of an LDM VAE name given WITHOUT the
// "first_stage_model." prefix; nullopt when it fits no rule.
inline std::optional<std::string> sd_vae_name(const std::string& ldm, std::int64_t layers_per_block = 2,
                                              std::int64_t num_down_blocks = 4) {
  using namespace detail;
  const std::int64_t L = layers_per_block, N = num_down_blocks;
  if (sd_after(ldm, "quant_conv") || sd_after(ldm, "post_quant_conv")) return ldm;
  const bool encoder = sd_starts_with(ldm, "encoder.");
  const auto s = sd_after(ldm, encoder ? "encoder" : "decoder");
  if (!s) return std::nullopt;
  const std::string side = encoder ? "encoder." : "decoder.";
  if (sd_after(*s, "conv_in") || sd_after(*s, "conv_out")) return ldm;
  if (auto r = sd_swap_prefix(*s, "norm_out", "conv_norm_out")) return side + *r;
  if (auto r = sd_after(*s, "mid.block_1")) return sd_prefixed(side + "mid_block.resnets.0.", sd_vae_resnet(*r));
  if (auto r = sd_after(*s, "mid.block_2")) return sd_prefixed(side + "mid_block.resnets.1.", sd_vae_resnet(*r));
  if (auto r = sd_after(*s, "mid.attn_1")) return sd_prefixed(side + "mid_block.attentions.0.", sd_vae_attention(*r));

  const auto after = sd_after(*s, encoder ? "down" : "up");
  const auto level = after ? sd_take_index(*after) : std::nullopt;
  if (!level || level->first >= N) return std::nullopt;
  // The decoder's up.k run from the lowest resolution up in LDM, diffusers counts the other way.
  const std::int64_t i = encoder ? level->first : N - 1 - level->first;
  const std::string blocks = side + (encoder ? "down_blocks." : "up_blocks.") + std::to_string(i);
  const std::string& rest = level->second;
  if (auto b = sd_after(rest, "block")) {
    const auto j = sd_take_index(*b);
    if (!j || j->first >= (encoder ? L : L + 1)) return std::nullopt;
    return sd_prefixed(blocks + ".resnets." + std::to_string(j->first) + ".", sd_vae_resnet(j->second));
  }
  if (i < N - 1) {
    if (auto r = sd_after(rest, encoder ? "downsample.conv" : "upsample.conv")) {
      return blocks + (encoder ? ".downsamplers.0.conv." : ".upsamplers.0.conv.") + *r;
    }
  }
  return std::nullopt;
}

// transformers CLIPTextModel name of a name given WITHOUT the
// "cond_stage_model.transformer." prefix.
inline std::string sd_text_encoder_name(const std::string& ldm) {
  return detail::sd_starts_with(ldm, "text_model.") ? ldm : "text_model." + ldm;
}

// Older diffusers VAE attention names (query/key/value/proj_attn, before
// diffusers 0.14) to the current ones (to_q/to_k/to_v/to_out.0); other names
// come back unchanged. Usable as LoadOptions::rename. The rule itself lives
// with the VAE (vae/legacy_names.hpp), which applies it when loading.
inline std::string rename_legacy_vae_attention(const std::string& name) {
  return vae::legacy_attention_key(name);
}

// The tensors of one component of an original SD v1 checkpoint, under
// diffusers/transformers names. component: "unet", "vae" or "text_encoder".
// Throws std::invalid_argument for an unknown component and
// std::runtime_error when the component is absent or some of its keys fit no
// rule (listing them).
inline std::map<std::string, torch::Tensor> split_sd_checkpoint(
    const std::map<std::string, torch::Tensor>& checkpoint, std::string component,
    std::int64_t layers_per_block = 2, std::int64_t num_down_blocks = 4) {
  std::string prefix;
  if (component == "unet") {
    prefix = "model.diffusion_model.";
  } else if (component == "vae") {
    prefix = "first_stage_model.";
  } else if (component == "text_encoder") {
    prefix = "cond_stage_model.transformer.";
  } else {
    throw std::invalid_argument("split_sd_checkpoint: unknown component '" + component +
                                "' (expected unet, vae or text_encoder)");
  }
  if (layers_per_block < 1 || num_down_blocks < 1) {
    throw std::invalid_argument("split_sd_checkpoint: layers_per_block and num_down_blocks must be >= 1");
  }
  auto is_vae_attention_weight = [](const std::string& n) {
    for (const char* w : {"to_q.weight", "to_k.weight", "to_v.weight", "to_out.0.weight"}) {
      const std::string tail = std::string("mid_block.attentions.0.") + w;
      if (n.size() >= tail.size() && n.compare(n.size() - tail.size(), tail.size(), tail) == 0) return true;
    }
    return false;
  };
  std::map<std::string, torch::Tensor> out;
  std::vector<std::string> unmapped;
  for (const auto& [key, tensor] : checkpoint) {
    if (!detail::sd_starts_with(key, prefix)) continue;
    const std::string inner = key.substr(prefix.size());
    std::optional<std::string> name;
    if (component == "unet") {
      name = sd_unet_name(inner, layers_per_block, num_down_blocks);
    } else if (component == "vae") {
      name = sd_vae_name(inner, layers_per_block, num_down_blocks);
    } else {
      name = sd_text_encoder_name(inner);
    }
    if (!name) {
      unmapped.push_back(key);
      continue;
    }
    torch::Tensor t = tensor;
    if (component == "vae" && t.dim() > 2 && is_vae_attention_weight(*name)) {
      // 1x1 convolution [C_out, C_in, 1, ...] used as a linear layer.
      for (std::int64_t d = 2; d < t.dim(); ++d) {
        if (t.size(d) != 1) {
          throw std::runtime_error("split_sd_checkpoint: '" + key +
                                   "' is not a 1x1 convolution weight and cannot become linear");
        }
      }
      t = t.reshape({t.size(0), t.size(1)});
    }
    if (!out.emplace(*name, t).second) {
      throw std::runtime_error("split_sd_checkpoint: two keys map to '" + *name + "'");
    }
  }
  if (!unmapped.empty()) {
    std::string list;
    for (std::size_t i = 0; i < unmapped.size() && i < 10; ++i) list += (i ? ", " : "") + unmapped[i];
    if (unmapped.size() > 10) list += ", ... (" + std::to_string(unmapped.size() - 10) + " more)";
    throw std::runtime_error("split_sd_checkpoint: " + std::to_string(unmapped.size()) + " " + component +
                             " keys fit no SD v1 rule (layers_per_block=" + std::to_string(layers_per_block) +
                             ", num_down_blocks=" + std::to_string(num_down_blocks) + "): " + list);
  }
  if (out.empty()) {
    throw std::runtime_error("split_sd_checkpoint: the checkpoint has no " + component + " tensors (" +
                             prefix + "*)");
  }
  return out;
}

}  // namespace distdiff::models
