// VaeConfig: config.json parsing, writing and validation.
#include <catch2/catch.hpp>

#include "models/vae/vae_test_util.hpp"

using distdiff::models::VaeConfig;
using nlohmann::json;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {

// The published CompVis/stable-diffusion-v1-4 vae/config.json.
const char* kSdV14Json = R"({
  "_class_name": "AutoencoderKL",
  "_diffusers_version": "0.2.2",
  "act_fn": "silu",
  "block_out_channels": [128, 256, 512, 512],
  "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"],
  "in_channels": 3,
  "latent_channels": 4,
  "layers_per_block": 2,
  "out_channels": 3,
  "sample_size": 512,
  "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"]
})";

}  // namespace

TEST_CASE("VaeConfig::from_json reads the SD v1-4 config with diffusers defaults", "[vae]") {
  const auto c = VaeConfig::from_json(json::parse(kSdV14Json));
  CHECK(c == VaeConfig::sd_v1_4());
  CHECK(c.scaling_factor == 0.18215);  // absent: diffusers default
  CHECK(c.norm_num_groups == 32);      // absent: diffusers default
  CHECK(c.downsample_factor() == 8);
  CHECK(c.sample_size == 512);
}

TEST_CASE("VaeConfig reads explicit values and round-trips through to_json", "[vae]") {
  json j = json::parse(kSdV14Json);
  j["scaling_factor"] = 0.13025;
  j["norm_num_groups"] = 16;
  j["latent_channels"] = 8;
  j["block_out_channels"] = {32, 64, 64};
  j["down_block_types"] = {"DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"};
  j["up_block_types"] = {"UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"};
  j["sample_size"] = 256;
  j["force_upcast"] = true;  // unused keys are fine
  const auto c = VaeConfig::from_json(j);
  CHECK(c.scaling_factor == 0.13025);
  CHECK(c.norm_num_groups == 16);
  CHECK(c.latent_channels == 8);
  CHECK(c.block_out_channels == std::vector<std::int64_t>{32, 64, 64});
  CHECK(c.downsample_factor() == 4);
  CHECK(c.sample_size == 256);
  CHECK(VaeConfig::from_json(c.to_json()) == c);
  CHECK(VaeConfig::from_json(VaeConfig::tiny().to_json()) == VaeConfig::tiny());
  CHECK(VaeConfig::tiny().to_json()["down_block_types"].size() == 2);

  json list_size = json::parse(kSdV14Json);
  list_size["sample_size"] = {768, 768};
  CHECK(VaeConfig::from_json(list_size).sample_size == 768);
}

TEST_CASE("VaeConfig rejects malformed or unsupported configs, naming the source", "[vae]") {
  auto with = [](const char* key, json value) {
    json j = json::parse(kSdV14Json);
    j[key] = std::move(value);
    return j;
  };
  auto rejects = [](const json& j, const std::string& fragment) {
    CHECK_THROWS_WITH(VaeConfig::from_json(j, "vae/config.json"),
                      Catch::Contains("vae/config.json") && Catch::Contains(fragment));
  };
  rejects(json::array(), "JSON object");
  rejects(with("_class_name", "UNet2DConditionModel"), "AutoencoderKL");
  rejects(with("act_fn", "gelu"), "act_fn");
  rejects(with("latent_channels", "four"), "latent_channels");
  rejects(with("latent_channels", 0), "latent_channels");
  rejects(with("block_out_channels", json::array()), "block_out_channels");
  rejects(with("block_out_channels", {128, 256, 500, 512}), "norm_num_groups");
  rejects(with("block_out_channels", {128, 256}), "down_block_types");
  rejects(with("down_block_types", {"DownBlock2D", "DownBlock2D", "DownBlock2D", "DownBlock2D"}),
          "DownEncoderBlock2D");
  rejects(with("up_block_types", {"UpDecoderBlock2D"}), "up_block_types");
  rejects(with("layers_per_block", 0), "layers_per_block");
  // Integers are bounded (weights/config.hpp) and shown as written.
  rejects(with("layers_per_block", 1000000000), "'layers_per_block': expected an integer in [0, 64], got 1000000000");
  rejects(with("latent_channels", std::uint64_t{4600000000000000000}), "'latent_channels'");
  rejects(with("latent_channels", 4.6e18), "'latent_channels'");
  rejects(with("in_channels", std::uint64_t(-1)), "'in_channels': expected an integer in [0, 65536], got 18446744073709551615");
  rejects(with("block_out_channels", {128, 256, 512, 70000}), "'block_out_channels[3]'");
  rejects(with("sample_size", 100000), "'sample_size'");
  rejects(with("sample_size", {100000, 100000}), "'sample_size[0]'");
  rejects(with("scaling_factor", -1.0), "scaling_factor");
  rejects(with("use_quant_conv", false), "use_quant_conv");
  rejects(with("mid_block_add_attention", false), "mid_block_add_attention");
  rejects(with("shift_factor", 0.1159), "shift_factor");
  CHECK_NOTHROW(VaeConfig::from_json(with("shift_factor", nullptr)));
  CHECK_NOTHROW(VaeConfig::from_json(with("use_quant_conv", true)));
  // An unknown key may change the output: refused by name. Metadata ("_…") and
  // the keys that change nothing in the model are accepted.
  rejects(with("some_future_option", 3), "unknown key 'some_future_option' = 3");
  CHECK_NOTHROW(VaeConfig::from_json(with("_name_or_path", "x")));
  CHECK_NOTHROW(VaeConfig::from_json(with("force_upcast", true)));
  CHECK_NOTHROW(VaeConfig::from_json(with("latents_mean", nullptr)));
}

}  // namespace DISTDIFF_UNITY_ID
