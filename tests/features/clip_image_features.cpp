// ClipImageFeatures: FeatureExtractor concept, the two preprocessing sides, frozen
// weights, finite-difference gradient with respect to the pixels, loading a
// transformers CLIPModel folder, runtime dtypes, errors.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "distdiff/features.hpp"
#include "distdiff/models/clip/clip_model.hpp"
#include "distdiff/models/clip/io.hpp"
#include "distdiff/models/weights/state_dict.hpp"
#include "support/clip_test_support.hpp"

#include <fstream>

#include "distdiff/core/model_set.hpp"
#include "distdiff/preprocess/reference_v1.hpp"

using distdiff::ClipImageFeatures;
using distdiff::models::ClipVisionConfig;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

TEST_CASE("ClipImageFeatures: models FeatureExtractor", "[features][clip]") {
  STATIC_REQUIRE(distdiff::FeatureExtractor<ClipImageFeatures>);
  ClipImageFeatures f;
  CHECK(f.prototype_input.do_normalize);  // the published CLIP's CLIPImageProcessor by default
  CHECK(f.guidance_input.do_normalize);
  CHECK_THROWS_AS(f.extract(torch::rand({1, 3, 8, 8})), std::logic_error);
  CHECK_THROWS_AS(f.feature_dim(), std::logic_error);
}

TEST_CASE("ClipImageFeatures: extract = preprocess + image_embeds, not normalised", "[features][clip]") {
  auto f = ClipImageFeatures::random(ClipVisionConfig::tiny(), {}, 3);
  CHECK(f.feature_dim() == 16);
  CHECK(f.image_size() == 32);
  CHECK(f.name() == "clip-image(random(seed=3))");
  CHECK(f.params()["guidance_input"]["name"] == "clip-image-processor");
  CHECK(f.params()["prototype_input"]["params"]["do_normalize"] == true);
  for (const auto& p : f.model->parameters()) CHECK_FALSE(p.requires_grad());
  CHECK_FALSE(f.model->is_training());

  auto images = torch::rand({2, 3, 40, 56});
  auto feats = f.extract(images);
  REQUIRE(feats.sizes() == torch::IntArrayRef({2, 16}));
  CHECK(feats.scalar_type() == torch::kFloat);
  CHECK(torch::equal(feats, f.model->image_embeds(f.guidance_input(images, 32))));
  CHECK(torch::equal(feats, f.encode(f.guidance_input(images, 32))));
  CHECK_FALSE(torch::allclose(feats.norm(2, 1), torch::ones({2}), 1e-3, 1e-3));
  CHECK(torch::equal(f.extract_real(images), f.encode(f.prototype_input(images, 32))));

  f.guidance_input.do_normalize = false;  // each side is its own setting
  auto raw_feats = f.extract(images);
  CHECK_FALSE(torch::allclose(raw_feats, feats));
  CHECK(torch::equal(f.extract_real(images), f.encode(f.prototype_input(images, 32))));

  // v1's two sides differ from each other: the same images give other features.
  distdiff::BasicClipImageFeatures<distdiff::ReferenceV1PrototypeInput, distdiff::ReferenceV1GuidanceInput> v1;
  v1 = v1.bind(distdiff::ModelSet<int, int, int, int, ClipImageFeatures>{0, 0, 0, 0, f, {}});
  CHECK(v1.name() == f.name());
  CHECK(torch::equal(v1.extract(images), f.encode(distdiff::ReferenceV1GuidanceInput{}(images, 32))));
  CHECK(torch::allclose(v1.extract_real(images), f.encode(distdiff::ReferenceV1PrototypeInput{}(images, 32))));
  CHECK_FALSE(torch::allclose(v1.extract_real(images), v1.extract(images), 1e-3, 1e-3));
  CHECK(v1.params()["prototype_input"]["name"] == "reference-v1-prototype-input");
  // A preprocessor whose size is not the tower's is one clear error.
  v1.prototype_input.size = 224;
  CHECK_THROWS_WITH(v1.extract_real(images), Catch::Contains("prototype_input") && Catch::Contains("the tower takes"));

  // Deterministic per seed.
  CHECK(torch::equal(ClipImageFeatures::random(ClipVisionConfig::tiny(), {}, 3).extract(images), feats));
  CHECK_FALSE(torch::allclose(ClipImageFeatures::random(ClipVisionConfig::tiny(), {}, 4).extract(images), feats));
}

TEST_CASE("ClipImageFeatures: gradient w.r.t. pixels matches finite differences", "[features][clip]") {
  distdiff::RuntimeOptions opts;
  opts.dtype = torch::kDouble;
  auto f = ClipImageFeatures::random(ClipVisionConfig::tiny(), opts, 17);
  auto images = torch::rand({1, 3, 20, 26}, torch::kDouble).requires_grad_(true);
  auto weights = torch::randn({1, 16}, torch::kDouble);
  auto energy = [&](const torch::Tensor& x) { return (f.extract(x) * weights).sum(); };
  energy(images).backward();
  auto grad = images.grad();
  REQUIRE(grad.defined());
  CHECK(grad.abs().sum().item<double>() > 0);
  torch::NoGradGuard no_grad;
  const double h = 1e-6;
  for (std::int64_t k : {0L, 55L, 300L, 777L, 1500L}) {
    auto plus = images.detach().clone(), minus = images.detach().clone();
    plus.view(-1)[k] += h;
    minus.view(-1)[k] -= h;
    // Images that carry a gradient are resampled in floating point (pil_resize's automatic
    // arithmetic), the function whose derivative backward() computed.
    plus.requires_grad_(true);
    minus.requires_grad_(true);
    const double fd = (energy(plus).item<double>() - energy(minus).item<double>()) / (2 * h);
    CHECK(grad.view(-1)[k].item<double>() == Approx(fd).epsilon(1e-5).margin(1e-8));
  }
}

TEST_CASE("ClipImageFeatures: loads a transformers CLIPModel folder", "[features][clip]") {
  clip_test::TempDir tmp;
  auto ref = ClipImageFeatures::random(ClipVisionConfig::tiny(), {}, 5);
  // A full tiny CLIPModel whose vision tower is ref's.
  auto cfg = distdiff::models::ClipModelConfig::tiny(50);
  distdiff::models::ClipModel clip(cfg);
  distdiff::models::LoadOptions partial;
  partial.strict = false;
  auto report = distdiff::models::load_state_dict(*clip, distdiff::models::state_dict(*ref.model), partial);
  CHECK(report.missing.size() == 2 * 16 + 4 + 2);  // the text tower, text_projection, logit_scale
  CHECK(report.unexpected.empty());
  distdiff::models::save_clip_model(clip, tmp.path / "clip-vit-tiny");

  auto f = ClipImageFeatures::load(tmp.path / "clip-vit-tiny", {});
  CHECK(f.name() == "clip-image(clip-vit-tiny)");
  auto images = torch::rand({3, 3, 32, 32});
  CHECK(torch::equal(f.extract(images), ref.extract(images)));
  // The folder's preprocessor_config.json sets both sides.
  std::ofstream(tmp.path / "clip-vit-tiny" / "preprocessor_config.json") << R"({"do_normalize": false})";
  auto unnormalised = ClipImageFeatures::load(tmp.path / "clip-vit-tiny", {});
  CHECK_FALSE(unnormalised.guidance_input.do_normalize);
  CHECK_FALSE(unnormalised.prototype_input.do_normalize);
  CHECK(torch::equal(unnormalised.extract(images), ref.encode(images)));
  std::filesystem::remove(tmp.path / "clip-vit-tiny" / "preprocessor_config.json");

  distdiff::RuntimeOptions bf16;
  bf16.dtype = torch::kBFloat16;
  auto low = ClipImageFeatures::load(tmp.path / "clip-vit-tiny", bf16);
  auto lf = low.extract(images);
  CHECK(lf.scalar_type() == torch::kFloat);
  CHECK(torch::allclose(lf, ref.extract(images), 0.1, 0.1));
}

TEST_CASE("ClipImageFeatures: bad images are rejected", "[features][clip]") {
  auto f = ClipImageFeatures::random(ClipVisionConfig::tiny(), {}, 1);
  CHECK_THROWS_WITH(f.extract(torch::rand({1, 4, 32, 32})), Catch::Contains("[B, 3, H, W]"));
  CHECK_THROWS_WITH(f.extract(torch::rand({3, 32, 32})), Catch::Contains("[B, 3, H, W]"));
  CHECK_THROWS_WITH(f.extract(torch::zeros({1, 3, 32, 32}, torch::kByte)), Catch::Contains("floating point"));
}

}  // namespace DISTDIFF_UNITY_ID
