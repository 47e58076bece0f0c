#pragma once
// Parameter names of older diffusers VAE files.
//
// Before diffusers 0.14 the mid-block attention was an `AttentionBlock` with
// parameters query/key/value/proj_attn; current files (and this
// implementation) use to_q/to_k/to_v/to_out.0:
//
//   encoder.mid_block.attentions.0.query.weight     -> ...attentions.0.to_q.weight
//   decoder.mid_block.attentions.0.proj_attn.bias   -> ...attentions.0.to_out.0.bias
//
// normalize_state_dict() applies the renaming to a whole state dict and also
// accepts attention weights stored as 1×1 convolutions ([C, C, 1, 1]).
#include <torch/torch.h>

#include <array>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>

namespace distdiff::models::vae {

// Renames one legacy attention parameter; any other name is returned unchanged.
inline std::string legacy_attention_key(const std::string& key) {
  static const std::array<std::pair<const char*, const char*>, 4> renames{{
      {"query", "to_q"}, {"key", "to_k"}, {"value", "to_v"}, {"proj_attn", "to_out.0"}}};
  const std::string marker = ".attentions.";
  const auto at = key.find(marker);
  if (at == std::string::npos) return key;
  // <prefix>.attentions.<index>.<old>.<weight|bias>
  const auto index_begin = at + marker.size();
  const auto index_end = key.find('.', index_begin);
  if (index_end == std::string::npos || index_end == index_begin) return key;
  for (auto i = index_begin; i < index_end; ++i)
    if (key[i] < '0' || key[i] > '9') return key;
  const auto name_begin = index_end + 1;
  const auto name_end = key.find('.', name_begin);
  if (name_end == std::string::npos) return key;
  const std::string name = key.substr(name_begin, name_end - name_begin);
  const std::string suffix = key.substr(name_end);
  if (suffix != ".weight" && suffix != ".bias") return key;
  for (const auto& [old_name, new_name] : renames)
    if (name == old_name) return key.substr(0, name_begin) + new_name + suffix;
  return key;
}

// The state dict with legacy attention names renamed and 1×1-conv attention
// weights reshaped to Linear weights. Throws std::invalid_argument when two
// entries end up with the same name (`source` names the file).
inline std::map<std::string, torch::Tensor> normalize_state_dict(
    const std::map<std::string, torch::Tensor>& tensors, const std::string& source = "VAE state dict") {
  std::map<std::string, torch::Tensor> out;
  for (const auto& [key, value] : tensors) {
    const std::string name = legacy_attention_key(key);
    torch::Tensor t = value;
    const bool attention_linear =
        name.find(".attentions.") != std::string::npos &&
        (name.ends_with(".to_q.weight") || name.ends_with(".to_k.weight") ||
         name.ends_with(".to_v.weight") || name.ends_with(".to_out.0.weight"));
    if (attention_linear && t.dim() == 4 && t.size(2) == 1 && t.size(3) == 1)
      t = t.reshape({t.size(0), t.size(1)});
    if (!out.emplace(name, t).second)
      throw std::invalid_argument(source + ": parameter '" + name +
                                  "' appears twice (under its current and its legacy name)");
  }
  return out;
}

}  // namespace distdiff::models::vae
