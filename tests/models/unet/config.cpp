// UNetConfig: the published SD v1-4 config.json, JSON round trip, validation errors.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "distdiff/models/unet/config.hpp"

using distdiff::models::UNetConfig;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {
// CompVis/stable-diffusion-v1-4, unet/config.json as published.
const char* kSdV14Config = R"({
  "_class_name": "UNet2DConditionModel",
  "_diffusers_version": "0.2.2",
  "act_fn": "silu",
  "attention_head_dim": 8,
  "block_out_channels": [320, 640, 1280, 1280],
  "center_input_sample": false,
  "cross_attention_dim": 768,
  "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
  "downsample_padding": 1,
  "flip_sin_to_cos": true,
  "freq_shift": 0,
  "in_channels": 4,
  "layers_per_block": 2,
  "mid_block_scale_factor": 1,
  "norm_eps": 1e-05,
  "norm_num_groups": 32,
  "out_channels": 4,
  "sample_size": 64,
  "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"]
})";
}  // namespace

TEST_CASE("UNetConfig reads the published SD v1-4 config", "[unet][config]") {
  auto cfg = UNetConfig::from_json(nlohmann::json::parse(kSdV14Config));
  CHECK(cfg == UNetConfig::sd_v1_4());
  CHECK(cfg.heads(0) == 8);
  CHECK(cfg.heads(3) == 8);
  CHECK(cfg.time_embed_dim() == 1280);
}

TEST_CASE("UNetConfig JSON round trip", "[unet][config]") {
  for (auto cfg : {UNetConfig::sd_v1_4(), UNetConfig::tiny()}) {
    CHECK(UNetConfig::from_json(cfg.to_json()) == cfg);
    CHECK(cfg.to_json()["_class_name"] == "UNet2DConditionModel");
  }
  auto cfg = UNetConfig::tiny();
  cfg.attention_head_dim = {2, 4};
  cfg.use_linear_projection = true;
  cfg.upcast_attention = true;
  cfg.transformer_layers_per_block = 2;
  CHECK(UNetConfig::from_json(cfg.to_json()) == cfg);
  // A newer config's num_attention_heads wins over attention_head_dim.
  auto j = UNetConfig::tiny().to_json();
  j["num_attention_heads"] = 4;
  CHECK(UNetConfig::from_json(j).heads(0) == 4);
  // SD 2.x style per-block heads and [h, w] sample sizes.
  j = UNetConfig::tiny().to_json();
  j["attention_head_dim"] = {2, 4};
  j["sample_size"] = {16, 16};
  auto c2 = UNetConfig::from_json(j);
  CHECK(c2.heads(1) == 4);
  CHECK(c2.sample_size == 16);
}

TEST_CASE("UNetConfig rejects what it cannot build", "[unet][config]") {
  auto base = UNetConfig::tiny().to_json();
  auto rejects = [&](const char* key, const nlohmann::json& value) {
    auto j = base;
    j[key] = value;
    CHECK_THROWS_AS(UNetConfig::from_json(j), std::invalid_argument);
  };
  rejects("down_block_types", {"CrossAttnDownBlock2D"});                  // length mismatch
  rejects("up_block_types", {"UpBlock2D", "AttnUpBlock2D"});               // unknown block
  rejects("down_block_types", {"SimpleCrossAttnDownBlock2D", "DownBlock2D"});
  rejects("block_out_channels", {32, 60});                                  // 60 % 8 groups
  rejects("attention_head_dim", 5);                                         // 32 % 5 heads
  rejects("attention_head_dim", {2, 2, 2});
  rejects("class_embed_type", "timestep");
  rejects("num_class_embeds", 10);
  rejects("resnet_time_scale_shift", "scale_shift");
  rejects("act_fn", "gelu");
  rejects("only_cross_attention", true);
  rejects("layers_per_block", 0);
  rejects("_class_name", "UNet2DModel");
  rejects("in_channels", "four");                                            // wrong JSON type
  CHECK_THROWS_AS(UNetConfig::from_json(nlohmann::json::array()), std::invalid_argument);
  // Integers are bounded (weights/config.hpp), named and shown as written.
  auto rejects_with = [&](const char* key, const nlohmann::json& value, const std::string& fragment) {
    auto j = base;
    j[key] = value;
    CHECK_THROWS_WITH(UNetConfig::from_json(j), Catch::Contains(fragment));
  };
  rejects_with("layers_per_block", 1000000000, "'layers_per_block': expected an integer in [0, 64], got 1000000000");
  rejects_with("layers_per_block", 2.7, "'layers_per_block'");
  rejects_with("in_channels", std::uint64_t(-1), "'in_channels': expected an integer in [0, 65536], got 18446744073709551615");
  rejects_with("cross_attention_dim", 4.6e18, "'cross_attention_dim'");
  rejects_with("block_out_channels", {32, 4600000000000000000}, "'block_out_channels[1]'");
  rejects_with("attention_head_dim", {2, -4}, "'attention_head_dim[1]'");
  rejects_with("sample_size", {20000, 20000}, "'sample_size[0]'");
  rejects_with("transformer_layers_per_block", 65, "'transformer_layers_per_block'");
  rejects_with("transformer_layers_per_block", nlohmann::json::array(), "empty");
  // An unknown key may change the output: refused by name. Metadata keys ("_…") are not settings.
  auto j = base;
  j["some_future_option"] = 1;
  CHECK_THROWS_WITH(UNetConfig::from_json(j), Catch::Contains("unknown key 'some_future_option'"));
  j = base;
  j["_name_or_path"] = "anywhere";
  j["dropout"] = 0.1;  // training only
  CHECK_NOTHROW(UNetConfig::from_json(j));
}

}  // namespace DISTDIFF_UNITY_ID
