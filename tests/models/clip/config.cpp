// CLIP configs: transformers config.json layouts (CLIPTextModel, CLIPModel with
// text_config/vision_config, legacy *_config_dict), defaults, presets, errors.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "distdiff/models/clip/config.hpp"

using namespace distdiff::models;
using nlohmann::json;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

TEST_CASE("CLIP config: SD v1-4 text_encoder/config.json", "[clip][config]") {
  // The fields of CompVis/stable-diffusion-v1-4 text_encoder/config.json.
  const json j = json::parse(R"({
    "_name_or_path": "openai/clip-vit-large-patch14", "architectures": ["CLIPTextModel"],
    "attention_dropout": 0.0, "bos_token_id": 0, "dropout": 0.0, "eos_token_id": 2,
    "hidden_act": "quick_gelu", "hidden_size": 768, "initializer_factor": 1.0,
    "initializer_range": 0.02, "intermediate_size": 3072, "layer_norm_eps": 1e-05,
    "max_position_embeddings": 77, "model_type": "clip_text_model", "num_attention_heads": 12,
    "num_hidden_layers": 12, "pad_token_id": 1, "projection_dim": 768, "torch_dtype": "float32",
    "vocab_size": 49408})");
  const auto c = ClipTextConfig::from_json(j);
  CHECK(c == ClipTextConfig::sd_v1_4_text());
  CHECK(c.head_dim() == 64);
}

TEST_CASE("CLIP config: CLIPModel config.json with tower sub-objects", "[clip][config]") {
  const json j = json::parse(R"({
    "architectures": ["CLIPModel"], "model_type": "clip", "projection_dim": 512,
    "logit_scale_init_value": 2.6592, "text_config_dict": null, "vision_config_dict": null,
    "text_config": {"hidden_size": 512, "intermediate_size": 2048, "num_attention_heads": 8,
                    "num_hidden_layers": 12, "max_position_embeddings": 77, "vocab_size": 49408,
                    "hidden_act": "quick_gelu", "layer_norm_eps": 1e-05, "model_type": "clip_text_model"},
    "vision_config": {"hidden_size": 768, "intermediate_size": 3072, "num_attention_heads": 12,
                      "num_hidden_layers": 12, "image_size": 224, "patch_size": 32,
                      "hidden_act": "quick_gelu", "layer_norm_eps": 1e-05, "model_type": "clip_vision_model"}})");
  const auto m = ClipModelConfig::from_json(j);
  CHECK(m == ClipModelConfig::vit_b_32());
  CHECK(ClipTextConfig::from_json(j) == ClipTextConfig::vit_b_32());
  CHECK(ClipVisionConfig::from_json(j) == ClipVisionConfig::vit_b_32());
  CHECK(m.vision.num_patches() == 49);
  CHECK(m.vision.num_positions() == 50);

  // The model's own projection_dim wins over the towers' (as CLIPModel uses it).
  json k = j;
  k["projection_dim"] = 256;
  k["vision_config"]["projection_dim"] = 512;
  CHECK(ClipVisionConfig::from_json(k).projection_dim == 256);
  CHECK(ClipModelConfig::from_json(k).text.projection_dim == 256);

  // Older dumps keep the towers in *_config_dict; missing keys take the defaults.
  const json legacy = json::parse(R"({"projection_dim": 512,
      "text_config_dict": {"hidden_size": 64, "num_attention_heads": 4},
      "vision_config_dict": {"patch_size": 16}})");
  CHECK(ClipTextConfig::from_json(legacy).hidden_size == 64);
  CHECK(ClipTextConfig::from_json(legacy).vocab_size == 49408);
  CHECK(ClipVisionConfig::from_json(legacy).patch_size == 16);
  CHECK(ClipVisionConfig::from_json(legacy).num_patches() == 196);
}

TEST_CASE("CLIP config: to_json round trip and presets", "[clip][config]") {
  const auto t = ClipTextConfig::tiny(321);
  CHECK(ClipTextConfig::from_json(t.to_json()) == t);
  const auto v = ClipVisionConfig::tiny();
  CHECK(ClipVisionConfig::from_json(v.to_json()) == v);
  const auto m = ClipModelConfig::tiny(99);
  CHECK(ClipModelConfig::from_json(m.to_json()) == m);
  CHECK(v.image_size % v.patch_size == 0);
  CHECK(v.num_positions() == 17);
}

TEST_CASE("CLIP config: bad values are rejected with the key", "[clip][config]") {
  CHECK_THROWS_WITH(ClipTextConfig::from_json(json::parse(R"({"hidden_size": "big"})")),
                    Catch::Contains("hidden_size"));
  CHECK_THROWS_WITH(ClipTextConfig::from_json(json::parse(R"({"hidden_size": 100, "num_attention_heads": 8})")),
                    Catch::Contains("not divisible"));
  CHECK_THROWS_WITH(ClipVisionConfig::from_json(json::parse(R"({"image_size": 16, "patch_size": 32})")),
                    Catch::Contains("smaller than patch_size"));
  CHECK_THROWS_WITH(ClipVisionConfig::from_json(json::parse(R"({"hidden_size": 0})")),
                    Catch::Contains("positive"));
  CHECK_THROWS_WITH(ClipTextConfig::from_json(json::array()), Catch::Contains("JSON object"));
  // Integers are bounded (weights/config.hpp), named and shown as written.
  CHECK_THROWS_WITH(ClipTextConfig::from_json(json::parse(R"({"num_hidden_layers": 1000000000})")),
                    Catch::Contains("'num_hidden_layers': expected an integer in [0, 64], got 1000000000"));
  CHECK_THROWS_WITH(ClipTextConfig::from_json(json::parse(R"({"hidden_size": 18446744073709551615})")),
                    Catch::Contains("'hidden_size'") && Catch::Contains("got 18446744073709551615"));
  CHECK_THROWS_WITH(ClipTextConfig::from_json(json::parse(R"({"vocab_size": 4.6e18})")), Catch::Contains("'vocab_size'"));
  CHECK_THROWS_WITH(ClipVisionConfig::from_json(json::parse(R"({"image_size": 100000})")), Catch::Contains("'image_size'"));
  CHECK_THROWS_WITH(ClipModelConfig::from_json(json::parse(R"({"projection_dim": 3.5})")), Catch::Contains("'projection_dim'"));
}

}  // namespace DISTDIFF_UNITY_ID
