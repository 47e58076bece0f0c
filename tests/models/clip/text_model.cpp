// ClipTextModel: published parameter names and count, forward pass against an
// independent naive implementation, causal mask, pooled output, errors.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <set>
#include <string>
#include <vector>

#include "distdiff/models/clip/init.hpp"
#include "distdiff/models/clip/text_model.hpp"
#include "support/clip_reference.hpp"

using namespace distdiff::models;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {
std::set<std::string> keys_of(const torch::nn::Module& m) {
  std::set<std::string> k;
  for (const auto& p : m.named_parameters()) k.insert(p.key());
  return k;
}
std::int64_t count_params(const torch::nn::Module& m) {
  std::int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}
ClipTextModel tiny_text(std::uint64_t seed = 1) {
  ClipTextModel m(ClipTextConfig::tiny(100));
  init_clip_weights(*m, seed);
  m->eval();
  return m;
}
}  // namespace

TEST_CASE("ClipTextModel: parameter names are the transformers ones", "[clip][text]") {
  auto m = tiny_text();
  std::vector<std::string> expected = clip_test::encoder_keys("text_model.encoder", 2);
  for (const char* k : {"text_model.embeddings.token_embedding.weight",
                        "text_model.embeddings.position_embedding.weight", "text_model.final_layer_norm.weight",
                        "text_model.final_layer_norm.bias"})
    expected.push_back(k);
  CHECK(keys_of(*m) == std::set<std::string>(expected.begin(), expected.end()));
  auto named = m->named_parameters();
  CHECK(named["text_model.embeddings.token_embedding.weight"].sizes() == torch::IntArrayRef({100, 32}));
  CHECK(named["text_model.embeddings.position_embedding.weight"].sizes() == torch::IntArrayRef({77, 32}));
  CHECK(named["text_model.encoder.layers.1.mlp.fc1.weight"].sizes() == torch::IntArrayRef({64, 32}));
  CHECK(named["text_model.encoder.layers.0.self_attn.out_proj.bias"].sizes() == torch::IntArrayRef({32}));
  CHECK(m->named_buffers().is_empty());  // position ids are computed, not stored
}

TEST_CASE("ClipTextModel: SD v1-4 text encoder has exactly 123,060,480 parameters", "[clip][text][full]") {
  const auto cfg = ClipTextConfig::sd_v1_4_text();
  CHECK(cfg.vocab_size == 49408);
  CHECK(cfg.max_position_embeddings == 77);
  CHECK(cfg.hidden_size == 768);
  CHECK(cfg.num_hidden_layers == 12);
  CHECK(cfg.num_attention_heads == 12);
  CHECK(cfg.intermediate_size == 3072);
  std::int64_t n = 0;
  {
    ClipTextModel m(cfg);
    n = count_params(*m);
  }
  CHECK(n == 123060480);
}

TEST_CASE("ClipTextModel: forward matches a naive reference", "[clip][text]") {
  auto m = tiny_text(7);
  auto ids = torch::tensor({5L, 17L, 99L, 3L, 99L, 2L, 40L, 1L, 8L, 12L, 60L, 0L}).view({2, 6});
  auto out = m->forward(ids);
  REQUIRE(out.last_hidden_state.sizes() == torch::IntArrayRef({2, 6, 32}));
  REQUIRE(out.pooler_output.sizes() == torch::IntArrayRef({2, 32}));

  const auto ref = clip_test::ref_text(clip_test::params_of(*m), "text_model", ids, 2, 4);
  CHECK(torch::allclose(out.last_hidden_state.to(torch::kDouble), ref.last_hidden_state, 1e-4, 1e-5));
  CHECK(torch::allclose(out.pooler_output.to(torch::kDouble), ref.pooled, 1e-4, 1e-5));
  // Row 0: the largest id (99) first occurs at position 2; row 1: 60 at position 4.
  CHECK(torch::equal(out.pooler_output[0], out.last_hidden_state[0][2]));
  CHECK(torch::equal(out.pooler_output[1], out.last_hidden_state[1][4]));
}

TEST_CASE("ClipTextModel: eos_token_id other than 2 pools at its first occurrence", "[clip][text][config]") {
  auto cfg = ClipTextConfig::tiny(100);
  cfg.eos_token_id = 17;  // not the largest id of any row
  torch::manual_seed(11);
  ClipTextModel m(cfg);
  auto ids = torch::tensor({5L, 17L, 99L, 17L, 99L, 2L, 40L, 1L, 8L, 12L, 60L, 0L}).view({2, 6});
  auto out = m->forward(ids);
  // Row 0: 17 first at position 1 (argmax would take 99 at 2); row 1 has no 17: position 0, as transformers.
  CHECK(torch::equal(out.pooler_output[0], out.last_hidden_state[0][1]));
  CHECK(torch::equal(out.pooler_output[1], out.last_hidden_state[1][0]));
  // The key is read from config.json and written back.
  auto j = cfg.to_json();
  CHECK(j.at("eos_token_id") == 17);
  CHECK(ClipTextConfig::from_json(j).eos_token_id == 17);
  j.erase("eos_token_id");
  CHECK(ClipTextConfig::from_json(j).eos_token_id == 2);  // absent: the legacy argmax
}

TEST_CASE("ClipTextModel: float64 forward agrees with the reference to rounding", "[clip][text]") {
  auto m = tiny_text(9);
  m->to(torch::kDouble);
  auto ids = torch::tensor({0L, 99L, 42L, 7L, 99L, 3L}).view({1, 6});
  auto out = m->forward(ids);
  const auto ref = clip_test::ref_text(clip_test::params_of(*m), "text_model", ids, 2, 4);
  CHECK(torch::allclose(out.last_hidden_state, ref.last_hidden_state, 1e-10, 1e-12));
  CHECK(torch::allclose(out.pooler_output, ref.pooled, 1e-10, 1e-12));
}

TEST_CASE("ClipTextModel: causal mask hides later tokens", "[clip][text]") {
  auto m = tiny_text(3);
  auto a = torch::tensor({1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L}).view({1, 8});
  auto b = a.clone();
  b[0][5] = 50;
  auto ha = m->forward(a).last_hidden_state, hb = m->forward(b).last_hidden_state;
  CHECK(torch::allclose(ha.narrow(1, 0, 5), hb.narrow(1, 0, 5), 0.0, 1e-6));
  for (int i = 5; i < 8; ++i) CHECK_FALSE(torch::allclose(ha[0][i], hb[0][i], 0.0, 1e-3));
  // Prefixes agree with the full sequence (no dependence on the padded length).
  auto prefix = m->forward(a.narrow(1, 0, 4)).last_hidden_state;
  CHECK(torch::allclose(prefix, ha.narrow(1, 0, 4), 1e-5, 1e-6));
}

TEST_CASE("ClipTextModel: gelu activation from the config", "[clip][text]") {
  auto cfg = ClipTextConfig::tiny(50);
  cfg.hidden_act = "gelu";
  ClipTextModel m(cfg);
  init_clip_weights(*m, 11);
  auto ids = torch::tensor({3L, 1L, 49L, 2L}).view({1, 4});
  auto ref = clip_test::ref_text(clip_test::params_of(*m), "text_model", ids, 2, 4, "gelu");
  CHECK(torch::allclose(m->forward(ids).last_hidden_state.to(torch::kDouble), ref.last_hidden_state, 1e-4, 1e-5));
  cfg.hidden_act = "swish";
  CHECK_THROWS_WITH(ClipTextModel(cfg), Catch::Contains("swish"));
}

TEST_CASE("ClipTextModel: bfloat16 on CPU stays close to float32", "[clip][text]") {
  auto m = tiny_text(5);
  auto ids = torch::tensor({4L, 9L, 33L, 99L, 99L, 99L}).view({1, 6});
  auto ref = m->forward(ids).last_hidden_state;
  m->to(torch::kBFloat16);
  auto out = m->forward(ids).last_hidden_state;
  CHECK(out.scalar_type() == torch::kBFloat16);
  CHECK((out.to(torch::kFloat) - ref).abs().max().item<float>() < 0.1f);
}

TEST_CASE("ClipTextModel: bad input ids are rejected", "[clip][text]") {
  auto m = tiny_text();
  CHECK_THROWS_WITH(m->forward(torch::zeros({4}, torch::kLong)), Catch::Contains("[B, L]"));
  CHECK_THROWS_WITH(m->forward(torch::zeros({1, 78}, torch::kLong)), Catch::Contains("sequence length 78"));
  CHECK_THROWS_WITH(m->forward(torch::full({1, 3}, 100, torch::kLong)), Catch::Contains("token ids must be in"));
  CHECK_THROWS_WITH(m->forward(torch::zeros({1, 3})), Catch::Contains("integer"));
  auto cfg = ClipTextConfig::tiny();
  cfg.num_attention_heads = 5;
  CHECK_THROWS_WITH(ClipTextModel(cfg), Catch::Contains("not divisible"));
}

}  // namespace DISTDIFF_UNITY_ID
