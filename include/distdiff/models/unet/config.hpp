#pragma once
// UNetConfig: the fields of a diffusers `UNet2DConditionModel` config.json that
// decide the network's structure. Every size of the network is read from here,
// so the published SD v1.x config and small test configs run the same code.
//
//   auto cfg = UNetConfig::from_json(read_json_file(dir / "config.json"));
//   cfg.to_json();          // a diffusers-compatible config.json
//
// Diffusers quirk kept on purpose: `attention_head_dim` is the NUMBER OF HEADS of
// every transformer (8 in SD v1, so head dim = channels / 8). A newer config may
// give `num_attention_heads` instead; it then takes precedence.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <stdexcept>
#include <set>
#include <string>
#include <vector>

#include "distdiff/models/weights/config.hpp"

namespace distdiff::models {

struct UNetConfig {
  std::int64_t sample_size = 64;                 // latent side the model was trained at
  std::int64_t in_channels = 4;
  std::int64_t out_channels = 4;
  bool center_input_sample = false;              // sample -> 2 * sample - 1 first
  bool flip_sin_to_cos = true;
  double freq_shift = 0.0;
  std::vector<std::string> down_block_types = {"CrossAttnDownBlock2D", "CrossAttnDownBlock2D",
                                               "CrossAttnDownBlock2D", "DownBlock2D"};
  std::vector<std::string> up_block_types = {"UpBlock2D", "CrossAttnUpBlock2D",
                                             "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"};
  std::vector<std::int64_t> block_out_channels = {320, 640, 1280, 1280};
  std::int64_t layers_per_block = 2;
  std::int64_t downsample_padding = 1;
  double mid_block_scale_factor = 1.0;
  std::int64_t norm_num_groups = 32;
  double norm_eps = 1e-5;
  std::int64_t cross_attention_dim = 768;
  std::vector<std::int64_t> attention_head_dim = {8};   // heads: one value, or one per block
  std::int64_t transformer_layers_per_block = 1;
  bool use_linear_projection = false;
  bool upcast_attention = false;
  std::int64_t conv_in_kernel = 3;
  std::int64_t conv_out_kernel = 3;

  // The published CompVis/stable-diffusion-v1-4 unet/config.json (also v1-5).
  static UNetConfig sd_v1_4() { return UNetConfig{}; }

  // A small configuration of the same architecture family (cross-attention down
  // block, plain down block, mid block, plain up block, cross-attention up block)
  // for tests: a forward pass on 8x8 latents takes milliseconds on a CPU.
  static UNetConfig tiny() {
    UNetConfig c;
    c.sample_size = 8;
    c.block_out_channels = {32, 64};
    c.layers_per_block = 2;
    c.down_block_types = {"CrossAttnDownBlock2D", "DownBlock2D"};
    c.up_block_types = {"UpBlock2D", "CrossAttnUpBlock2D"};
    c.cross_attention_dim = 32;
    c.norm_num_groups = 8;
    c.attention_head_dim = {2};
    return c;
  }

  std::size_t num_blocks() const { return block_out_channels.size(); }
  std::int64_t time_embed_dim() const { return block_out_channels.at(0) * 4; }

  // Number of attention heads of down block i (the mid block uses the last value).
  std::int64_t heads(std::size_t block) const {
    if (attention_head_dim.size() == 1) return attention_head_dim[0];
    return attention_head_dim.at(block);
  }

  // Throws std::invalid_argument naming the first inconsistent field.
  void validate() const {
    auto fail = [](const std::string& what) {
      throw std::invalid_argument("UNetConfig: " + what);
    };
    const auto n = block_out_channels.size();
    if (n == 0) fail("block_out_channels is empty");
    if (down_block_types.size() != n)
      fail("down_block_types has " + std::to_string(down_block_types.size()) +
           " entries but block_out_channels has " + std::to_string(n));
    if (up_block_types.size() != n)
      fail("up_block_types has " + std::to_string(up_block_types.size()) +
           " entries but block_out_channels has " + std::to_string(n));
    if (attention_head_dim.size() != 1 && attention_head_dim.size() != n)
      fail("attention_head_dim must have 1 or " + std::to_string(n) + " entries");
    for (const auto& t : down_block_types)
      if (t != "CrossAttnDownBlock2D" && t != "DownBlock2D")
        fail("unsupported down block type '" + t + "' (CrossAttnDownBlock2D or DownBlock2D)");
    for (const auto& t : up_block_types)
      if (t != "CrossAttnUpBlock2D" && t != "UpBlock2D")
        fail("unsupported up block type '" + t + "' (CrossAttnUpBlock2D or UpBlock2D)");
    if (in_channels <= 0 || out_channels <= 0) fail("in_channels and out_channels must be positive");
    if (layers_per_block <= 0) fail("layers_per_block must be positive");
    if (transformer_layers_per_block <= 0) fail("transformer_layers_per_block must be positive");
    if (cross_attention_dim <= 0) fail("cross_attention_dim must be positive");
    if (norm_num_groups <= 0) fail("norm_num_groups must be positive");
    if (conv_in_kernel <= 0 || conv_in_kernel % 2 == 0 || conv_out_kernel <= 0 || conv_out_kernel % 2 == 0)
      fail("conv_in_kernel and conv_out_kernel must be odd and positive");
    if (downsample_padding < 0 || downsample_padding > 1) fail("downsample_padding must be 0 or 1");
    for (std::size_t i = 0; i < n; ++i) {
      const auto ch = block_out_channels[i];
      if (ch <= 0) fail("block_out_channels must be positive");
      if (ch % norm_num_groups != 0)
        fail("block_out_channels[" + std::to_string(i) + "] = " + std::to_string(ch) +
             " is not divisible by norm_num_groups = " + std::to_string(norm_num_groups));
      const auto h = heads(i);
      if (h <= 0) fail("attention_head_dim (number of heads) must be positive");
      if (ch % h != 0)
        fail("block_out_channels[" + std::to_string(i) + "] = " + std::to_string(ch) +
             " is not divisible by " + std::to_string(h) + " attention heads");
    }
  }

  // Reads a diffusers UNet2DConditionModel config.json. Missing fields take the
  // diffusers defaults; features this implementation does not have (class
  // embeddings, other block types, scale-shift time conditioning...) throw.
  static UNetConfig from_json(const nlohmann::json& j) {
    if (!j.is_object()) throw std::invalid_argument("UNetConfig::from_json: expected a JSON object");
    UNetConfig c;
    auto fail = [](const std::string& what) {
      throw std::invalid_argument("UNetConfig::from_json: " + what);
    };
    try {
      if (j.contains("_class_name") && j["_class_name"].is_string() &&
          j["_class_name"].get<std::string>() != "UNet2DConditionModel")
        fail("_class_name is '" + j["_class_name"].get<std::string>() +
             "', expected UNet2DConditionModel");
      auto get = [&](const char* key, auto& field) {
        if (j.contains(key) && !j[key].is_null()) field = j[key].get<std::decay_t<decltype(field)>>();
      };
      // Integers in [0, hi] (ceilings in weights/config.hpp); validate() checks the lower bounds.
      auto int_in = [](const nlohmann::json& v, const std::string& key, std::int64_t hi) {
        return detail::config_int_in("UNetConfig::from_json", v, key, 0, hi);
      };
      auto get_int = [&](const char* key, std::int64_t& field, std::int64_t hi) {
        if (j.contains(key) && !j[key].is_null()) field = int_in(j[key], key, hi);
      };
      auto ints_in = [&](const nlohmann::json& v, const std::string& key, std::int64_t hi) {
        if (!v.is_array()) fail("'" + key + "' must be an integer or an array of integers, got " + v.dump());
        std::vector<std::int64_t> out;
        for (std::size_t i = 0; i < v.size(); ++i)
          out.push_back(int_in(v[i], key + "[" + std::to_string(i) + "]", hi));
        return out;
      };
      // sample_size may be an int or [h, w] in newer configs.
      if (j.contains("sample_size") && !j["sample_size"].is_null()) {
        const auto& s = j["sample_size"];
        c.sample_size = s.is_array() ? int_in(s.at(0), "sample_size[0]", kConfigMaxSampleSize)
                                     : int_in(s, "sample_size", kConfigMaxSampleSize);
      }
      get_int("in_channels", c.in_channels, kConfigMaxChannels);
      get_int("out_channels", c.out_channels, kConfigMaxChannels);
      get("center_input_sample", c.center_input_sample);
      get("flip_sin_to_cos", c.flip_sin_to_cos);
      get("freq_shift", c.freq_shift);
      get("down_block_types", c.down_block_types);
      get("up_block_types", c.up_block_types);
      if (j.contains("block_out_channels") && !j["block_out_channels"].is_null())
        c.block_out_channels = ints_in(j["block_out_channels"], "block_out_channels", kConfigMaxChannels);
      get_int("layers_per_block", c.layers_per_block, kConfigMaxLayers);
      get_int("downsample_padding", c.downsample_padding, kConfigMaxLayers);
      get("mid_block_scale_factor", c.mid_block_scale_factor);
      get_int("norm_num_groups", c.norm_num_groups, kConfigMaxChannels);
      get("norm_eps", c.norm_eps);
      if (j.contains("cross_attention_dim") && j["cross_attention_dim"].is_array())
        fail("per-block cross_attention_dim is not supported");
      get_int("cross_attention_dim", c.cross_attention_dim, kConfigMaxChannels);
      get("use_linear_projection", c.use_linear_projection);
      get("upcast_attention", c.upcast_attention);
      get_int("conv_in_kernel", c.conv_in_kernel, kConfigMaxLayers);
      get_int("conv_out_kernel", c.conv_out_kernel, kConfigMaxLayers);
      auto read_heads = [&](const char* key) {
        const auto& v = j[key];
        if (v.is_array())
          c.attention_head_dim = ints_in(v, key, kConfigMaxChannels);
        else
          c.attention_head_dim = {int_in(v, key, kConfigMaxChannels)};
      };
      if (j.contains("num_attention_heads") && !j["num_attention_heads"].is_null())
        read_heads("num_attention_heads");
      else if (j.contains("attention_head_dim") && !j["attention_head_dim"].is_null())
        read_heads("attention_head_dim");
      if (j.contains("transformer_layers_per_block") && !j["transformer_layers_per_block"].is_null()) {
        const auto& v = j["transformer_layers_per_block"];
        if (v.is_array()) {
          const auto layers = ints_in(v, "transformer_layers_per_block", kConfigMaxLayers);
          if (layers.empty()) fail("transformer_layers_per_block is an empty array");
          for (auto l : layers)
            if (l != layers.at(0)) fail("per-block transformer_layers_per_block is not supported");
          c.transformer_layers_per_block = layers.at(0);
        } else {
          c.transformer_layers_per_block = int_in(v, "transformer_layers_per_block", kConfigMaxLayers);
        }
      }
      // Features outside SD v1/v2 UNets: refuse rather than silently ignore.
      auto require = [&](const char* key, const nlohmann::json& allowed) {
        if (j.contains(key) && !j[key].is_null() && j[key] != allowed)
          fail(std::string("unsupported ") + key + " = " + j[key].dump() + " (supported: " +
               allowed.dump() + ")");
      };
      require("act_fn", "silu");
      require("mid_block_type", "UNetMidBlock2DCrossAttn");
      if (j.contains("mid_block_type") && j["mid_block_type"].is_null())
        fail("unsupported mid_block_type = null (a UNet without a mid block; supported: \"UNetMidBlock2DCrossAttn\")");
      require("resnet_time_scale_shift", "default");
      require("time_embedding_type", "positional");
      require("only_cross_attention", false);
      require("dual_cross_attention", false);
      require("attention_type", "default");
      require("resnet_skip_time_act", false);
      require("resnet_out_scale_factor", 1.0);
      require("class_embeddings_concat", false);
      require("mid_block_only_cross_attention", false);
      for (const char* key : {"class_embed_type", "num_class_embeds", "addition_embed_type", "encoder_hid_dim",
                              "encoder_hid_dim_type", "time_cond_proj_dim", "projection_class_embeddings_input_dim",
                              "timestep_post_act", "time_embedding_act_fn", "addition_time_embed_dim",
                              "cross_attention_norm", "reverse_transformer_layers_per_block"})
        if (j.contains(key) && !j[key].is_null())
          fail(std::string("unsupported ") + key + " = " + j[key].dump() + " (must be null)");
      if (j.contains("time_embedding_dim") && !j["time_embedding_dim"].is_null() &&
          (c.block_out_channels.empty() || j["time_embedding_dim"] != nlohmann::json(c.time_embed_dim())))
        fail("unsupported time_embedding_dim = " + j["time_embedding_dim"].dump() +
             " (supported: null or block_out_channels[0] * 4)");
      // Every other key would be silently ignored: a key this reader does not
      // know may change the output, so it is refused by name. Keys starting
      // with "_" are metadata; dropout and addition_embed_type_num_heads do not
      // change inference here.
      static const std::set<std::string> known{
          "sample_size", "in_channels", "out_channels", "center_input_sample", "flip_sin_to_cos", "freq_shift",
          "down_block_types", "up_block_types", "block_out_channels", "layers_per_block", "downsample_padding",
          "mid_block_scale_factor", "norm_num_groups", "norm_eps", "cross_attention_dim", "use_linear_projection",
          "upcast_attention", "conv_in_kernel", "conv_out_kernel", "num_attention_heads", "attention_head_dim",
          "transformer_layers_per_block", "act_fn", "mid_block_type", "resnet_time_scale_shift",
          "time_embedding_type", "only_cross_attention", "dual_cross_attention", "attention_type",
          "resnet_skip_time_act", "resnet_out_scale_factor", "class_embeddings_concat",
          "mid_block_only_cross_attention", "class_embed_type", "num_class_embeds", "addition_embed_type",
          "encoder_hid_dim", "encoder_hid_dim_type", "time_cond_proj_dim", "projection_class_embeddings_input_dim",
          "timestep_post_act", "time_embedding_act_fn", "addition_time_embed_dim", "cross_attention_norm",
          "reverse_transformer_layers_per_block", "time_embedding_dim", "dropout", "addition_embed_type_num_heads"};
      for (const auto& [key, value] : j.items())
        if (!key.empty() && key[0] != '_' && !known.count(key))
          fail("unknown key '" + key + "' = " + value.dump() +
               " (not a UNet2DConditionModel setting this reader implements; it may change the output)");
    } catch (const nlohmann::json::exception& e) {
      fail(std::string("malformed field: ") + e.what());
    }
    c.validate();
    return c;
  }

  // A diffusers-compatible config.json for this configuration.
  nlohmann::json to_json() const {
    nlohmann::json j;
    j["_class_name"] = "UNet2DConditionModel";
    j["act_fn"] = "silu";
    j["attention_head_dim"] = attention_head_dim.size() == 1 ? nlohmann::json(attention_head_dim[0])
                                                             : nlohmann::json(attention_head_dim);
    j["block_out_channels"] = block_out_channels;
    j["center_input_sample"] = center_input_sample;
    j["conv_in_kernel"] = conv_in_kernel;
    j["conv_out_kernel"] = conv_out_kernel;
    j["cross_attention_dim"] = cross_attention_dim;
    j["down_block_types"] = down_block_types;
    j["downsample_padding"] = downsample_padding;
    j["flip_sin_to_cos"] = flip_sin_to_cos;
    j["freq_shift"] = freq_shift;
    j["in_channels"] = in_channels;
    j["layers_per_block"] = layers_per_block;
    j["mid_block_scale_factor"] = mid_block_scale_factor;
    j["norm_eps"] = norm_eps;
    j["norm_num_groups"] = norm_num_groups;
    j["out_channels"] = out_channels;
    j["sample_size"] = sample_size;
    if (transformer_layers_per_block != 1) j["transformer_layers_per_block"] = transformer_layers_per_block;
    j["up_block_types"] = up_block_types;
    j["upcast_attention"] = upcast_attention;
    j["use_linear_projection"] = use_linear_projection;
    return j;
  }

  bool operator==(const UNetConfig&) const = default;
};

}  // namespace distdiff::models
