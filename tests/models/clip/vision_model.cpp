// ClipVisionModelWithProjection: published names, parameter count (formula and
// hand arithmetic for ViT-B/32), forward against a naive reference, errors.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <set>
#include <string>
#include <vector>

#include "distdiff/models/clip/init.hpp"
#include "distdiff/models/clip/vision_model.hpp"
#include "support/clip_reference.hpp"

using namespace distdiff::models;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {
std::int64_t count_params(const torch::nn::Module& m) {
  std::int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

// The architecture's parameter count, from the config alone.
std::int64_t vit_with_projection_params(const ClipVisionConfig& c) {
  const std::int64_t D = c.hidden_size, I = c.intermediate_size, P = c.patch_size, C = c.num_channels;
  const std::int64_t grid = c.image_size / P;
  const std::int64_t embeddings = D /*class*/ + D * C * P * P /*patch conv, no bias*/ + (grid * grid + 1) * D;
  const std::int64_t layer = 4 * (D * D + D) /*q,k,v,out*/ + 2 * (2 * D) /*two layer norms*/ +
                             (D * I + I) /*fc1*/ + (I * D + D) /*fc2*/;
  return embeddings + 2 * D /*pre_layrnorm*/ + c.num_hidden_layers * layer + 2 * D /*post_layernorm*/ +
         D * c.projection_dim /*visual_projection, no bias*/;
}
}  // namespace

TEST_CASE("ClipVisionModelWithProjection: parameter names are the transformers ones", "[clip][vision]") {
  ClipVisionModelWithProjection m(ClipVisionConfig::tiny());
  std::vector<std::string> expected = clip_test::encoder_keys("vision_model.encoder", 2);
  for (const char* k : {"vision_model.embeddings.class_embedding", "vision_model.embeddings.patch_embedding.weight",
                        "vision_model.embeddings.position_embedding.weight", "vision_model.pre_layrnorm.weight",
                        "vision_model.pre_layrnorm.bias", "vision_model.post_layernorm.weight",
                        "vision_model.post_layernorm.bias", "visual_projection.weight"})
    expected.push_back(k);
  std::set<std::string> keys;
  for (const auto& p : m->named_parameters()) keys.insert(p.key());
  CHECK(keys == std::set<std::string>(expected.begin(), expected.end()));
  auto named = m->named_parameters();
  CHECK(named["vision_model.embeddings.patch_embedding.weight"].sizes() == torch::IntArrayRef({32, 3, 8, 8}));
  CHECK(named["vision_model.embeddings.position_embedding.weight"].sizes() == torch::IntArrayRef({17, 32}));
  CHECK(named["vision_model.embeddings.class_embedding"].sizes() == torch::IntArrayRef({32}));
  CHECK(named["visual_projection.weight"].sizes() == torch::IntArrayRef({16, 32}));
  CHECK(count_params(*m) == vit_with_projection_params(ClipVisionConfig::tiny()));
}

TEST_CASE("ClipVisionModelWithProjection: ViT-B/32 parameter count", "[clip][vision][full]") {
  const auto cfg = ClipVisionConfig::vit_b_32();
  // By hand, ViT-B/32 (width 768, 12 layers, mlp 3072, 224 px in 32 px patches = 7x7 + 1 positions):
  //   class_embedding            768
  //   patch_embedding            768 * 3 * 32 * 32          =  2,359,296
  //   position_embedding         50 * 768                   =     38,400
  //   pre_layrnorm               2 * 768                    =      1,536
  //   one layer: q,k,v,out       4 * (768*768 + 768)        =  2,362,368
  //              layer norms     2 * 2 * 768                =      3,072
  //              fc1             768*3072 + 3072            =  2,362,368
  //              fc2             3072*768 + 768             =  2,360,064
  //              sum                                        =  7,087,872
  //   12 layers                  12 * 7,087,872             = 85,054,464
  //   post_layernorm             2 * 768                    =      1,536
  //   visual_projection          768 * 512                  =    393,216
  //   total = 768 + 2,359,296 + 38,400 + 1,536 + 85,054,464 + 1,536 + 393,216 = 87,849,216
  const std::int64_t by_hand = 87849216;
  CHECK(vit_with_projection_params(cfg) == by_hand);
  std::int64_t n = 0;
  {
    ClipVisionModelWithProjection m(cfg);
    n = count_params(*m);
  }
  CHECK(n == by_hand);
}

TEST_CASE("ClipVisionModelWithProjection: forward matches a naive reference", "[clip][vision]") {
  ClipVisionModelWithProjection m(ClipVisionConfig::tiny());
  init_clip_weights(*m, 21);
  auto pixels = torch::randn({2, 3, 32, 32}, torch::TensorOptions().dtype(torch::kFloat));
  auto embeds = m->image_embeds(pixels);
  REQUIRE(embeds.sizes() == torch::IntArrayRef({2, 16}));
  auto ref = clip_test::ref_vision(clip_test::params_of(*m), pixels, 8, 2, 4);
  CHECK(torch::allclose(embeds.to(torch::kDouble), ref, 1e-4, 1e-5));

  auto out = m->vision_model->forward(pixels);
  CHECK(out.last_hidden_state.sizes() == torch::IntArrayRef({2, 17, 32}));
  CHECK(torch::equal(m->forward(pixels), embeds));
}

TEST_CASE("ClipVisionModelWithProjection: float64 forward agrees with the reference to rounding", "[clip][vision]") {
  ClipVisionModelWithProjection m(ClipVisionConfig::tiny());
  init_clip_weights(*m, 22);
  m->to(torch::kDouble);
  auto pixels = torch::randn({1, 3, 32, 32}, torch::kDouble);
  auto ref = clip_test::ref_vision(clip_test::params_of(*m), pixels, 8, 2, 4);
  CHECK(torch::allclose(m->image_embeds(pixels), ref, 1e-10, 1e-12));
}

TEST_CASE("ClipVisionModelWithProjection: wrong pixel shapes are rejected", "[clip][vision]") {
  ClipVisionModelWithProjection m(ClipVisionConfig::tiny());
  CHECK_THROWS_WITH(m->image_embeds(torch::zeros({1, 3, 33, 32})), Catch::Contains("[B, 3, 32, 32]"));
  CHECK_THROWS_WITH(m->image_embeds(torch::zeros({1, 1, 32, 32})), Catch::Contains("[B, 3, 32, 32]"));
  CHECK_THROWS_WITH(m->image_embeds(torch::zeros({3, 32, 32})), Catch::Contains("[B, 3, 32, 32]"));
  CHECK_THROWS_WITH(m->image_embeds(torch::zeros({1, 3, 32, 32}, torch::kLong)), Catch::Contains("floating"));
  auto cfg = ClipVisionConfig::tiny();
  cfg.patch_size = 64;
  CHECK_THROWS_WITH(ClipVisionModelWithProjection(cfg), Catch::Contains("smaller than patch_size"));
}

}  // namespace DISTDIFF_UNITY_ID
