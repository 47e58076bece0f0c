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
// VaeCodec::load passes it as the LoadOptions::rename of load_module, so both
// spellings load (a file holding both for one parameter is rejected).
#include <array>
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

}  // namespace distdiff::models::vae
