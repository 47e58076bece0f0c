// ClipTextConditioner: TextEncoder concept, tokenizer + text tower composition,
// loading a diffusers SD folder (tokenizer/ + text_encoder/), errors.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "distdiff/models/clip_text_conditioner.hpp"
#include "distdiff/models/weights/safetensors.hpp"
#include "distdiff/models/weights/state_dict.hpp"
#include "support/clip_test_support.hpp"

using namespace distdiff::models;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

TEST_CASE("ClipTextConditioner: models TextEncoder", "[clip][conditioner]") {
  STATIC_REQUIRE(distdiff::TextEncoder<ClipTextConditioner>);
  STATIC_REQUIRE_FALSE(distdiff::TextEncoder<ClipTokenizer>);
}

TEST_CASE("ClipTextConditioner: encode = tokenizer then last_hidden_state", "[clip][conditioner]") {
  auto tok = clip_test::toy_tokenizer();
  const auto cfg = ClipTextConfig::tiny(static_cast<std::int64_t>(tok.vocab_size()));
  auto c = ClipTextConditioner::random(cfg, tok, {}, 13);
  auto out = c.encode({"a photo of the cat", "hello"});
  REQUIRE(out.sizes() == torch::IntArrayRef({2, 77, 32}));
  CHECK_FALSE(out.requires_grad());
  for (const auto& p : c.model->parameters()) CHECK_FALSE(p.requires_grad());

  auto ids = tok.batch_encode({"a photo of the cat", "hello"});
  CHECK(torch::equal(out, c.model->forward(ids).last_hidden_state));
  // Same seed, same weights (a batch of one may round differently); another seed, other weights.
  CHECK(torch::allclose(ClipTextConditioner::random(cfg, tok, {}, 13).encode({"hello"}), out.narrow(0, 1, 1), 1e-5,
                        1e-6));
  CHECK_FALSE(torch::allclose(ClipTextConditioner::random(cfg, tok, {}, 14).encode({"hello"}), out.narrow(0, 1, 1)));
  CHECK(c.name() == "clip-text(random(seed=13))");
  CHECK(c.hidden_size() == 32);
  CHECK(c.encode({}).size(0) == 0);
}

TEST_CASE("ClipTextConditioner: loads a diffusers Stable Diffusion folder", "[clip][conditioner]") {
  clip_test::TempDir tmp;
  const auto sd = tmp.path / "tiny-sd";
  clip_test::write_toy_tokenizer(sd / "tokenizer");
  auto tok = ClipTokenizer::from_dir(sd / "tokenizer");
  const auto cfg = ClipTextConfig::tiny(static_cast<std::int64_t>(tok.vocab_size()));
  auto ref = ClipTextConditioner::random(cfg, tok, {}, 99);
  auto tensors = state_dict(*ref.model);
  tensors["text_model.embeddings.position_ids"] = torch::arange(77, torch::kLong).view({1, 77});
  std::filesystem::create_directories(sd / "text_encoder");
  save_safetensors(sd / "text_encoder" / "model.safetensors", tensors);
  clip_test::write_text(sd / "text_encoder" / "config.json", cfg.to_json().dump());

  auto loaded = ClipTextConditioner::load(sd, {});
  const std::vector<std::string> prompts{"a photo of the cat", "", "hello, hello!"};
  CHECK(torch::equal(loaded.encode(prompts), ref.encode(prompts)));
  CHECK(loaded.name() == "clip-text(tiny-sd)");
  CHECK(loaded.max_length == 77);
  for (const auto& p : loaded.model->parameters()) CHECK_FALSE(p.requires_grad());

  distdiff::RuntimeOptions bf16;
  bf16.dtype = torch::kBFloat16;
  auto low = ClipTextConditioner::load(sd, bf16);
  auto lo = low.encode(prompts);
  CHECK(lo.scalar_type() == torch::kBFloat16);
  CHECK(torch::allclose(lo.to(torch::kFloat), ref.encode(prompts), 0.1, 0.1));
}

TEST_CASE("ClipTextConditioner: errors", "[clip][conditioner]") {
  clip_test::TempDir tmp;
  CHECK_THROWS_WITH(ClipTextConditioner::load(tmp.path / "nope", {}), Catch::Contains("is not a folder"));
  CHECK_THROWS_WITH(ClipTextConditioner::load(tmp.path, {}), Catch::Contains("tokenizer"));
  CHECK_THROWS_AS(ClipTextConditioner{}.encode({"a"}), std::logic_error);
  // The tokenizer's ids must fit the model's vocabulary.
  CHECK_THROWS_WITH(ClipTextConditioner::random(ClipTextConfig::tiny(100), clip_test::toy_tokenizer(), {}, 1),
                    Catch::Contains("outside the text model's vocabulary"));
}

}  // namespace DISTDIFF_UNITY_ID
