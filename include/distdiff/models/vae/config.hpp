#pragma once
// VaeConfig — the sizes of a diffusers AutoencoderKL, read from and written to
// `vae/config.json`, so a tiny test network and Stable Diffusion's VAE share
// one implementation (docs/vae.md).
#include <nlohmann/json.hpp>

#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "distdiff/models/weights/config.hpp"

namespace distdiff::models {

struct VaeConfig {
  std::int64_t in_channels = 3;
  std::int64_t out_channels = 3;
  std::int64_t latent_channels = 4;
  std::vector<std::int64_t> block_out_channels{128, 256, 512, 512};
  std::int64_t layers_per_block = 2;
  std::int64_t norm_num_groups = 32;
  double norm_eps = 1e-6;            // fixed in diffusers (not part of config.json)
  double scaling_factor = 0.18215;   // diffusers' default when config.json omits it
  std::int64_t sample_size = 512;

  // CompVis/stable-diffusion-v1-4 `vae/config.json` (83,653,863 parameters).
  static VaeConfig sd_v1_4() { return VaeConfig{}; }

  // Two resolution levels (downsample factor 2), 32/64 channels: a 64×64
  // image round-trips in milliseconds on a CPU.
  static VaeConfig tiny() {
    VaeConfig c;
    c.block_out_channels = {32, 64};
    c.layers_per_block = 1;
    c.norm_num_groups = 8;
    c.sample_size = 64;
    return c;
  }

  // 2^(levels-1): 8 for SD.
  std::int64_t downsample_factor() const {
    return std::int64_t{1} << (static_cast<std::int64_t>(block_out_channels.size()) - 1);
  }

  // Throws std::invalid_argument naming `source` and the offending field.
  void validate(const std::string& source = "VaeConfig") const {
    auto fail = [&](const std::string& what) {
      throw std::invalid_argument(source + ": " + what);
    };
    if (in_channels < 1) fail("in_channels must be positive, got " + std::to_string(in_channels));
    if (out_channels < 1) fail("out_channels must be positive, got " + std::to_string(out_channels));
    if (latent_channels < 1)
      fail("latent_channels must be positive, got " + std::to_string(latent_channels));
    if (block_out_channels.empty()) fail("block_out_channels must not be empty");
    if (block_out_channels.size() > 16) fail("block_out_channels has more than 16 levels");
    if (layers_per_block < 1)
      fail("layers_per_block must be at least 1, got " + std::to_string(layers_per_block));
    if (norm_num_groups < 1)
      fail("norm_num_groups must be positive, got " + std::to_string(norm_num_groups));
    for (auto c : block_out_channels) {
      if (c < 1 || c % norm_num_groups != 0)
        fail("every block_out_channels entry must be a positive multiple of norm_num_groups (" +
             std::to_string(norm_num_groups) + "), got " + std::to_string(c));
    }
    if (!(norm_eps > 0.0)) fail("norm_eps must be positive");
    if (!(scaling_factor > 0.0)) fail("scaling_factor must be positive");
    if (sample_size < 1) fail("sample_size must be positive, got " + std::to_string(sample_size));
  }

  // Parses a diffusers AutoencoderKL config.json. Keys that are absent keep the
  // diffusers defaults; features this implementation does not have (another
  // activation, other block types, no quant convs, no mid-block attention, a
  // latent shift) are rejected rather than ignored.
  static VaeConfig from_json(const nlohmann::json& j, const std::string& source = "VAE config") {
    if (!j.is_object()) throw std::invalid_argument(source + ": expected a JSON object");
    auto fail = [&](const std::string& what) {
      throw std::invalid_argument(source + ": " + what);
    };
    VaeConfig c;
    // An integer in [0, hi] (ceilings in weights/config.hpp); validate() checks the lower bounds.
    auto int_in = [&](const nlohmann::json& v, const std::string& key, std::int64_t hi) {
      return detail::config_int_in(source, v, key, 0, hi);
    };
    auto get_int = [&](const char* key, std::int64_t& out, std::int64_t hi) {
      if (!j.contains(key) || j.at(key).is_null()) return;
      out = int_in(j.at(key), key, hi);
    };
    auto get_double = [&](const char* key, double& out) {
      if (!j.contains(key) || j.at(key).is_null()) return;
      if (!j.at(key).is_number()) fail(std::string("'") + key + "' must be a number");
      out = j.at(key).get<double>();
    };
    if (j.contains("_class_name") && j.at("_class_name").is_string() &&
        j.at("_class_name").get<std::string>() != "AutoencoderKL")
      fail("_class_name is '" + j.at("_class_name").get<std::string>() +
           "', expected 'AutoencoderKL'");
    get_int("in_channels", c.in_channels, kConfigMaxChannels);
    get_int("out_channels", c.out_channels, kConfigMaxChannels);
    get_int("latent_channels", c.latent_channels, kConfigMaxChannels);
    get_int("layers_per_block", c.layers_per_block, kConfigMaxLayers);
    get_int("norm_num_groups", c.norm_num_groups, kConfigMaxChannels);
    get_double("scaling_factor", c.scaling_factor);
    if (j.contains("sample_size") && j.at("sample_size").is_array()) {
      const auto& s = j.at("sample_size");
      if (s.empty()) fail("'sample_size' must be an integer");
      c.sample_size = int_in(s.at(0), "sample_size[0]", kConfigMaxSampleSize);
    } else {
      get_int("sample_size", c.sample_size, kConfigMaxSampleSize);
    }
    if (j.contains("block_out_channels")) {
      const auto& b = j.at("block_out_channels");
      if (!b.is_array()) fail("'block_out_channels' must be an array of integers");
      c.block_out_channels.clear();
      for (std::size_t i = 0; i < b.size(); ++i)
        c.block_out_channels.push_back(int_in(b[i], "block_out_channels[" + std::to_string(i) + "]",
                                              kConfigMaxChannels));
    }
    if (j.contains("act_fn") && j.at("act_fn").is_string() &&
        j.at("act_fn").get<std::string>() != "silu")
      fail("act_fn '" + j.at("act_fn").get<std::string>() + "' is not supported (only 'silu')");
    auto check_types = [&](const char* key, const char* expected) {
      if (!j.contains(key)) return;
      const auto& t = j.at(key);
      if (!t.is_array()) fail(std::string("'") + key + "' must be an array of strings");
      if (t.size() != c.block_out_channels.size())
        fail(std::string("'") + key + "' has " + std::to_string(t.size()) +
             " entries but block_out_channels has " + std::to_string(c.block_out_channels.size()));
      for (const auto& v : t) {
        if (!v.is_string() || v.get<std::string>() != expected)
          fail(std::string("'") + key + "' entries must all be '" + expected + "'");
      }
    };
    check_types("down_block_types", "DownEncoderBlock2D");
    check_types("up_block_types", "UpDecoderBlock2D");
    for (const char* key : {"use_quant_conv", "use_post_quant_conv", "mid_block_add_attention"}) {
      if (j.contains(key) && j.at(key).is_boolean() && !j.at(key).get<bool>())
        fail(std::string("'") + key + "': false is not supported");
    }
    if (j.contains("shift_factor") && j.at("shift_factor").is_number() &&
        j.at("shift_factor").get<double>() != 0.0)
      fail("a non-zero 'shift_factor' is not supported");
    // Every other key would be silently ignored: a key this reader does not
    // know may change the output, so it is refused by name. Keys starting with
    // "_" are metadata; force_upcast (a dtype policy) and latents_mean /
    // latents_std (read by other pipelines, not by the model) change nothing here.
    static const std::set<std::string> known{
        "in_channels", "out_channels", "latent_channels", "layers_per_block", "norm_num_groups",
        "scaling_factor", "sample_size", "block_out_channels", "act_fn", "down_block_types", "up_block_types",
        "use_quant_conv", "use_post_quant_conv", "mid_block_add_attention", "shift_factor", "force_upcast",
        "latents_mean", "latents_std"};
    for (const auto& [key, value] : j.items())
      if (!key.empty() && key[0] != '_' && !known.count(key))
        fail("unknown key '" + key + "' = " + value.dump() +
             " (not an AutoencoderKL setting this reader implements; it may change the output)");
    c.validate(source);
    return c;
  }

  // diffusers-compatible config.json content.
  nlohmann::json to_json() const {
    nlohmann::json j;
    j["_class_name"] = "AutoencoderKL";
    j["act_fn"] = "silu";
    j["in_channels"] = in_channels;
    j["out_channels"] = out_channels;
    j["latent_channels"] = latent_channels;
    j["block_out_channels"] = block_out_channels;
    j["down_block_types"] =
        std::vector<std::string>(block_out_channels.size(), "DownEncoderBlock2D");
    j["up_block_types"] = std::vector<std::string>(block_out_channels.size(), "UpDecoderBlock2D");
    j["layers_per_block"] = layers_per_block;
    j["norm_num_groups"] = norm_num_groups;
    j["scaling_factor"] = scaling_factor;
    j["sample_size"] = sample_size;
    return j;
  }

  friend bool operator==(const VaeConfig&, const VaeConfig&) = default;
};

}  // namespace distdiff::models
