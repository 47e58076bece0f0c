// CLIP weights in the transformers folder layout: write tiny random towers with
// config.json + model.safetensors, load them back, compare with the in-memory
// modules; legacy buffers, fp16 files, and every error path.
#include <catch2/catch.hpp>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include <map>
#include <string>

#include "distdiff/models/clip/init.hpp"
#include "distdiff/models/clip/io.hpp"
#include "distdiff/models/weights/safetensors.hpp"
#include "distdiff/models/weights/state_dict.hpp"
#include "support/clip_test_support.hpp"

using namespace distdiff::models;
using nlohmann::json;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {
torch::Tensor some_ids() { return torch::tensor({3L, 9L, 44L, 2L, 59L, 59L, 7L, 1L, 0L, 30L}).view({2, 5}); }

// A CLIPModel config.json as transformers writes it (tower sub-objects, legacy nulls).
json tiny_clip_model_json() {
  return json::parse(R"({
    "architectures": ["CLIPModel"], "model_type": "clip", "projection_dim": 16, "logit_scale_init_value": 2.6592,
    "text_config_dict": null, "vision_config_dict": null,
    "text_config": {"hidden_size": 32, "intermediate_size": 64, "num_attention_heads": 4, "num_hidden_layers": 2,
                    "max_position_embeddings": 77, "vocab_size": 60, "hidden_act": "quick_gelu",
                    "layer_norm_eps": 1e-05, "projection_dim": 512},
    "vision_config": {"hidden_size": 32, "intermediate_size": 64, "num_attention_heads": 4, "num_hidden_layers": 2,
                      "image_size": 32, "patch_size": 8, "hidden_act": "quick_gelu", "layer_norm_eps": 1e-05,
                      "projection_dim": 512}})");
}
}  // namespace

TEST_CASE("CLIP io: text model round trip with the legacy position_ids buffer", "[clip][io]") {
  clip_test::TempDir tmp;
  ClipTextModel m(ClipTextConfig::tiny(60));
  init_clip_weights(*m, 2);
  const auto dir = tmp.path / "text_encoder";
  auto tensors = state_dict(*m);
  tensors["text_model.embeddings.position_ids"] = torch::arange(77, torch::kLong).view({1, 77});
  std::filesystem::create_directories(dir);
  save_safetensors(dir / "model.safetensors", tensors);
  clip_test::write_text(dir / "config.json", m->config.to_json().dump());

  auto loaded = load_clip_text_model(dir);
  CHECK(loaded->config == m->config);
  CHECK(torch::equal(loaded->forward(some_ids()).last_hidden_state, m->forward(some_ids()).last_hidden_state));
  CHECK(torch::equal(loaded->forward(some_ids()).pooler_output, m->forward(some_ids()).pooler_output));
  CHECK_FALSE(loaded->is_training());

  // The writer produces the same layout.
  const auto dir2 = tmp.path / "saved";
  save_clip_text_model(m, dir2);
  CHECK(std::filesystem::exists(dir2 / "config.json"));
  auto keys = load_safetensors(dir2 / "model.safetensors");
  CHECK(keys.count("text_model.encoder.layers.1.self_attn.k_proj.weight") == 1);
  CHECK(keys.size() == 36);
  auto again = load_clip_text_model(dir2);
  CHECK(torch::equal(again->forward(some_ids()).last_hidden_state, m->forward(some_ids()).last_hidden_state));
}

TEST_CASE("CLIP io: CLIPModel folder feeds the full model and each tower", "[clip][io]") {
  clip_test::TempDir tmp;
  const auto cfg = ClipModelConfig::from_json(tiny_clip_model_json());
  ClipModel m(cfg);
  init_clip_weights(*m, 8);
  auto tensors = state_dict(*m);
  tensors["text_model.embeddings.position_ids"] = torch::arange(77, torch::kLong).view({1, 77});
  tensors["vision_model.embeddings.position_ids"] = torch::arange(17, torch::kLong).view({1, 17});
  const auto dir = tmp.path / "clip-vit-tiny";
  std::filesystem::create_directories(dir);
  save_safetensors(dir / "model.safetensors", tensors);
  clip_test::write_text(dir / "config.json", tiny_clip_model_json().dump(2));

  auto pixels = torch::randn({2, 3, 32, 32});
  auto full = load_clip_model(dir);
  CHECK(torch::equal(full->logits_per_image(pixels, some_ids()), m->logits_per_image(pixels, some_ids())));
  CHECK(full->logit_scale.item<double>() == Approx(std::log(1 / 0.07)));

  auto vision = load_clip_vision_model(dir);
  CHECK(vision->config.projection_dim == 16);
  CHECK(torch::equal(vision->image_embeds(pixels), m->image_embeds(pixels)));

  auto text = load_clip_text_model(dir);
  CHECK(torch::equal(text->forward(some_ids()).pooler_output, m->text_model->forward(some_ids()).pooler_output));

  // save_clip_model writes a folder load_clip_model reads back identically.
  save_clip_model(m, tmp.path / "resaved");
  auto re = load_clip_model(tmp.path / "resaved");
  CHECK(re->config == m->config);
  CHECK(torch::equal(re->text_embeds(some_ids()), m->text_embeds(some_ids())));
}

TEST_CASE("CLIP io: float16 files and runtime dtypes", "[clip][io]") {
  clip_test::TempDir tmp;
  ClipVisionModelWithProjection m(ClipVisionConfig::tiny());
  init_clip_weights(*m, 4);
  std::map<std::string, torch::Tensor> half;
  for (auto& [k, v] : state_dict(*m)) half[k] = v.to(torch::kHalf);
  const auto dir = tmp.path / "vision-fp16";
  std::filesystem::create_directories(dir);
  save_safetensors(dir / "model.fp16.safetensors", half);
  clip_test::write_text(dir / "config.json", m->config.to_json().dump());

  // float16 on CPU computes in float32; the weights are the fp16-rounded ones.
  distdiff::RuntimeOptions opts;
  opts.dtype = torch::kHalf;
  CHECK(clip_compute_dtype(opts) == torch::kFloat);
  auto loaded = load_clip_vision_model(dir, opts);
  CHECK(loaded->visual_projection->weight.scalar_type() == torch::kFloat);
  ClipVisionModelWithProjection rounded(ClipVisionConfig::tiny());
  load_state_dict(*rounded, half);
  auto pixels = torch::rand({1, 3, 32, 32});
  CHECK(torch::equal(loaded->image_embeds(pixels), rounded->image_embeds(pixels)));

  opts.dtype = torch::kBFloat16;
  auto bf = load_clip_vision_model(dir, opts);
  CHECK(bf->visual_projection->weight.scalar_type() == torch::kBFloat16);
  CHECK(torch::allclose(bf->image_embeds(pixels).to(torch::kFloat), rounded->image_embeds(pixels), 0.1, 0.1));
}

TEST_CASE("CLIP io: errors name the folder and the problem", "[clip][io]") {
  clip_test::TempDir tmp;
  const auto dir = tmp.path / "broken";
  CHECK_THROWS_WITH(load_clip_text_model(dir), Catch::Contains("broken"));

  std::filesystem::create_directories(dir);
  CHECK_THROWS_WITH(load_clip_text_model(dir), Catch::Contains("config.json"));

  ClipTextModel m(ClipTextConfig::tiny(60));
  clip_test::write_text(dir / "config.json", m->config.to_json().dump());
  CHECK_THROWS_WITH(load_clip_text_model(dir), Catch::Contains("no weights found"));

  clip_test::write_text(dir / "pytorch_model.bin", "pickle");
  CHECK_THROWS_WITH(load_clip_text_model(dir), Catch::Contains("pytorch_model.bin"));

  // A tensor missing from the file: strict loading names it and the file.
  auto tensors = state_dict(*m);
  tensors.erase("text_model.final_layer_norm.bias");
  save_safetensors(dir / "model.safetensors", tensors);
  CHECK_THROWS_WITH(load_clip_text_model(dir), Catch::Contains("text_model.final_layer_norm.bias") &&
                                                   Catch::Contains("model.safetensors"));

  // A config that disagrees with the file's shapes.
  save_safetensors(dir / "model.safetensors", state_dict(*m));
  auto wrong = m->config;
  wrong.intermediate_size = 48;
  clip_test::write_text(dir / "config.json", wrong.to_json().dump());
  CHECK_THROWS_WITH(load_clip_text_model(dir), Catch::Contains("shape mismatch"));

  clip_test::write_text(dir / "config.json", R"({"hidden_size": 30, "num_attention_heads": 4})");
  CHECK_THROWS_WITH(load_clip_text_model(dir), Catch::Contains("config.json") && Catch::Contains("divisible"));
}

}  // namespace DISTDIFF_UNITY_ID
