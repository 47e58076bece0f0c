// ClipImageProcessor: preprocessor_config.json reading (the published and the
// newer key layouts, rejected settings), sizes that follow the tower, errors.
// The pixel values against transformers: tests/preprocess/golden.cpp.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "distdiff/preprocess/clip_image_processor.hpp"

using namespace distdiff;
using nlohmann::json;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

TEST_CASE("ClipImageProcessor: preprocessor_config.json, both key layouts", "[preprocess][clip]") {
  STATIC_REQUIRE(ImagePreprocessor<ClipImageProcessor>);
  // openai/clip-vit-base-patch32's file (integers for size and crop_size).
  const auto published = ClipImageProcessor::from_config(
      json::parse(R"({"crop_size": 224, "do_center_crop": true, "do_normalize": true, "do_resize": true,
                      "feature_extractor_type": "CLIPFeatureExtractor", "image_mean": [0.48145466, 0.4578275, 0.40821073],
                      "image_std": [0.26862954, 0.26130258, 0.27577711], "resample": 3, "size": 224})"),
      "published");
  CHECK(published.shortest_edge == 224);
  CHECK(published.crop_size == 224);
  CHECK(published.do_normalize);
  CHECK(published.image_std == kClipImageStd);
  // The newer layout, as to_config() writes it, round-trips.
  ClipImageProcessor p{.shortest_edge = 32, .crop_size = 32, .do_normalize = false};
  p.image_mean = {0.5, 0.4, 0.3};
  const auto back = ClipImageProcessor::from_config(p.to_config(), "written");
  CHECK(back.shortest_edge == 32);
  CHECK(back.crop_size == 32);
  CHECK_FALSE(back.do_normalize);
  CHECK(back.image_mean == p.image_mean);
}

TEST_CASE("ClipImageProcessor: settings it does not compute are rejected with the key", "[preprocess][clip]") {
  auto bad = [](const char* text) { return ClipImageProcessor::from_config(json::parse(text), "cfg.json"); };
  CHECK_THROWS_WITH(bad(R"({"resample": 2})"), Catch::Contains("cfg.json") && Catch::Contains("'resample'"));
  CHECK_THROWS_WITH(bad(R"({"crop_size": {"height": 224, "width": 200}})"), Catch::Contains("'crop_size'"));
  CHECK_THROWS_WITH(bad(R"({"do_rescale": false})"), Catch::Contains("'do_rescale'"));
  CHECK_THROWS_WITH(bad(R"({"rescale_factor": 0.5})"), Catch::Contains("'rescale_factor'"));
  CHECK_THROWS_WITH(bad(R"({"image_mean": [0.5, 0.5]})"), Catch::Contains("'image_mean'"));
  CHECK_THROWS_WITH(bad(R"({"image_std": [0.5, 0, 0.5]})"), Catch::Contains("'image_std'"));
  CHECK_THROWS_WITH(bad(R"({"size": -3})"), Catch::Contains("'size'"));
  CHECK_THROWS_WITH(bad(R"({"do_normalize": "yes"})"), Catch::Contains("'do_normalize'"));
}

TEST_CASE("ClipImageProcessor: load() reads the folder's file, or takes the published defaults", "[preprocess][clip]") {
  const auto dir = std::filesystem::temp_directory_path() / "distdiff_clip_processor_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto defaults = ClipImageProcessor::load(dir);
  CHECK(defaults.do_normalize);
  CHECK(defaults.shortest_edge == 0);  // the tower's size
  std::ofstream(dir / "preprocessor_config.json") << R"({"do_normalize": false, "size": {"shortest_edge": 16}})";
  const auto read = ClipImageProcessor::load(dir);
  CHECK_FALSE(read.do_normalize);
  CHECK(read.shortest_edge == 16);
  std::ofstream(dir / "preprocessor_config.json") << "{ not json";
  CHECK_THROWS_WITH(ClipImageProcessor::load(dir), Catch::Contains("preprocessor_config.json"));
  std::filesystem::remove_all(dir);
  // The shipped small world's CLIP saw [0, 1] images at 32 px without normalisation.
  const auto world = ClipImageProcessor::load(std::filesystem::path(DISTDIFF_MODELS_DIR) / "small_world" / "clip");
  CHECK_FALSE(world.do_normalize);
  CHECK(world.crop_size == 32);
}

TEST_CASE("ClipImageProcessor: sizes 0 follow the tower; normalisation; errors", "[preprocess][clip]") {
  const ClipImageProcessor p;
  const auto x = torch::rand({2, 3, 40, 56});
  const auto y = p(x, 32);
  REQUIRE(y.sizes() == torch::IntArrayRef({2, 3, 32, 32}));
  ClipImageProcessor raw = p;
  raw.do_normalize = false;
  const auto r = raw(x, 32);
  CHECK(torch::allclose(y, normalize_rgb(r, kClipImageMean, kClipImageStd)));
  CHECK(r.min().item<double>() >= 0);  // 8-bit arithmetic clips like PIL
  ClipImageProcessor no_resize = raw;
  no_resize.do_resize = false;
  CHECK(torch::equal(no_resize(x, 32), x.narrow(2, 4, 32).narrow(3, 12, 32)));
  CHECK_THROWS_WITH(no_resize(torch::rand({1, 3, 20, 40}), 32), Catch::Contains("smaller than the 32 px crop"));
  CHECK_THROWS_WITH(p(torch::rand({1, 4, 32, 32}), 32), Catch::Contains("[B, 3, H, W]"));
}

}  // namespace DISTDIFF_UNITY_ID
