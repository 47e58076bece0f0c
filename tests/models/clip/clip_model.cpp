// ClipModel: names and published parameter count of openai/clip-vit-base-patch32,
// embeddings and zero-shot logits against independent computations.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <cmath>
#include <set>
#include <string>

#include "distdiff/models/clip/clip_model.hpp"
#include "distdiff/models/clip/init.hpp"
#include "support/clip_reference.hpp"

using namespace distdiff::models;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

TEST_CASE("ClipModel: parameter names of both towers and the projections", "[clip][model]") {
  ClipModel m(ClipModelConfig::tiny(60));
  std::set<std::string> keys;
  for (const auto& p : m->named_parameters()) keys.insert(p.key());
  for (const char* k : {"logit_scale", "text_projection.weight", "visual_projection.weight",
                        "text_model.embeddings.token_embedding.weight", "text_model.final_layer_norm.bias",
                        "text_model.encoder.layers.1.self_attn.v_proj.bias", "vision_model.pre_layrnorm.weight",
                        "vision_model.embeddings.class_embedding", "vision_model.post_layernorm.bias",
                        "vision_model.encoder.layers.0.mlp.fc2.weight"})
    CHECK(keys.count(k) == 1);
  // 2 tower layers x 16 tensors each, embeddings and norms, projections and logit_scale.
  CHECK(keys.size() == 2 * 16 + 4 /*text emb + final ln*/ + 2 * 16 + 7 /*vision emb + 2 ln*/ + 3);
  auto named = m->named_parameters();
  CHECK(named["logit_scale"].dim() == 0);
  CHECK(named["text_projection.weight"].sizes() == torch::IntArrayRef({16, 32}));
}

TEST_CASE("ClipModel: openai/clip-vit-base-patch32 has 151,277,313 parameters", "[clip][model][full]") {
  std::int64_t n = 0;
  {
    ClipModel m(ClipModelConfig::vit_b_32());
    for (const auto& p : m->parameters()) n += p.numel();
  }
  // Vision tower + projection 87,849,216 (see vision_model.cpp); text tower (width 512,
  // 8 heads, 12 layers, mlp 2048): 49408*512 + 77*512 + 12*3,152,384 + 1,024 = 63,165,952;
  // text_projection 512*512 = 262,144; logit_scale 1.
  CHECK(n == 87849216 + 63165952 + 262144 + 1);
  CHECK(n == 151277313);
}

TEST_CASE("ClipModel: embeddings and zero-shot logits", "[clip][model]") {
  ClipModel m(ClipModelConfig::tiny(60));
  init_clip_weights(*m, 5);
  const auto p = clip_test::params_of(*m);
  auto pixels = torch::randn({3, 3, 32, 32});
  auto ids = torch::tensor({1L, 7L, 59L, 59L, 2L, 9L, 11L, 59L}).view({2, 4});

  auto img = m->image_embeds(pixels);
  auto ref_img = clip_test::ref_vision(p, pixels, 8, 2, 4);
  CHECK(torch::allclose(img.to(torch::kDouble), ref_img, 1e-4, 1e-5));

  auto txt = m->text_embeds(ids);
  auto pooled = clip_test::ref_text(p, "text_model", ids, 2, 4).pooled;
  auto ref_txt = torch::matmul(pooled, p.at("text_projection.weight").t());
  CHECK(torch::allclose(txt.to(torch::kDouble), ref_txt, 1e-4, 1e-5));

  auto logits = m->logits_per_image(pixels, ids);
  REQUIRE(logits.sizes() == torch::IntArrayRef({3, 2}));
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 2; ++j) {
      const double cos = (ref_img[i] * ref_txt[j]).sum().item<double>() /
                         (ref_img[i].norm().item<double>() * ref_txt[j].norm().item<double>());
      CHECK(logits[i][j].item<double>() == Approx(cos / 0.07).epsilon(1e-4));
    }
}

}  // namespace DISTDIFF_UNITY_ID
