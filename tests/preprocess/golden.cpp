// Preprocessing against the reference implementations' outputs (golden files
// made by scripts/reference/make_preprocess_reference.py with transformers'
// CLIPImageProcessor and PIL; versions in tests/reference/preprocess.json):
// a square 320² textured image (downsampled), a 200×307 landscape (downsampled,
// crop offset 59 where rounding half to even gives 60) and a 22×13 portrait
// (upsampled, crop offset 77 where half to even gives 78).
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <string>

#include "distdiff/models/weights/safetensors.hpp"
#include "distdiff/preprocess.hpp"

using namespace distdiff;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {
const std::map<std::string, torch::Tensor>& golden() {
  static const auto files = models::load_safetensors(std::filesystem::path(DISTDIFF_MODELS_DIR).parent_path() /
                                                     "tests" / "reference" / "preprocess.safetensors");
  return files;
}
const torch::Tensor& at(const std::string& name) {
  const auto it = golden().find(name);
  if (it == golden().end()) throw std::runtime_error("preprocess.safetensors has no tensor '" + name + "'");
  return it->second;
}
// uint8 [H, W, 3] -> float [1, 3, H, W] in [0, 1]
torch::Tensor image(const torch::Tensor& hwc) { return hwc.permute({2, 0, 1}).unsqueeze(0).to(torch::kFloat) / 255.0; }
// float [1, 3, H, W] in [0, 1] -> levels [H, W, 3]
torch::Tensor levels(const torch::Tensor& x) { return (x[0].permute({1, 2, 0}) * 255.0).to(torch::kDouble); }
double max_level_diff(const torch::Tensor& ours, const torch::Tensor& ref_u8) {
  return (levels(ours) - ref_u8.to(torch::kDouble)).abs().max().item<double>();
}
constexpr std::int64_t kBand = 96;  // the golden float outputs hold rows 96..127
}  // namespace

TEST_CASE("preprocess golden: CLIPImageProcessor (published CLIP settings)", "[preprocess][golden]") {
  ClipImageProcessor plain;  // resize + crop only, as transformers without rescale / normalisation
  plain.do_normalize = false;
  const ClipImageProcessor published;  // CLIP mean / std
  for (int i = 0; i < 3; ++i) {
    CAPTURE(i);
    const auto x = image(at("input_" + std::to_string(i)));
    const auto ours = plain(x, 224);
    REQUIRE(ours.sizes() == torch::IntArrayRef({1, 3, 224, 224}));
    // Within one 8-bit level (the bound); the 8-bit arithmetic makes it exact.
    CHECK(max_level_diff(ours, at("clip_u8_" + std::to_string(i))) <= 1.0 + 1e-6);
    CHECK(max_level_diff(ours, at("clip_u8_" + std::to_string(i))) < 1e-3);
    const auto full = published(x, 224)[0].narrow(1, kBand, 32);
    CHECK((full - at("clip_band_" + std::to_string(i))).abs().max().item<double>() < 1e-5);
  }
}

TEST_CASE("preprocess golden: crop offsets are transformers' (floor), not half to even", "[preprocess][golden]") {
  CHECK(ClipImageProcessor::resized_size(200, 307, 224) == std::pair<std::int64_t, std::int64_t>{224, 343});
  CHECK(ClipImageProcessor::resized_size(22, 13, 224) == std::pair<std::int64_t, std::int64_t>{379, 224});
  // The same resize cropped one pixel further (where half-to-even rounding puts it) misses the reference by far.
  ClipImageProcessor resize_only;
  resize_only.do_normalize = false;
  resize_only.do_center_crop = false;
  const auto wide = resize_only(image(at("input_1")), 224);  // [1, 3, 224, 343]
  REQUIRE(wide.size(3) == 343);
  CHECK(max_level_diff(wide.narrow(3, 59, 224), at("clip_u8_1")) < 1e-3);
  CHECK(max_level_diff(wide.narrow(3, 60, 224), at("clip_u8_1")) > 50);
  const auto tall = resize_only(image(at("input_2")), 224);  // [1, 3, 379, 224]
  REQUIRE(tall.size(2) == 379);
  CHECK(max_level_diff(tall.narrow(2, 77, 224), at("clip_u8_2")) < 1e-3);
  CHECK(max_level_diff(tall.narrow(2, 78, 224), at("clip_u8_2")) > 5);  // upsampled 17×: neighbours are close
}

TEST_CASE("preprocess golden: DistDiff v1's prototype input (torchvision Resize((224, 224)) on PIL + Normalize)",
          "[preprocess][golden]") {
  const ReferenceV1PrototypeInput v1;
  for (int i = 0; i < 3; ++i) {
    CAPTURE(i);
    const auto x = image(at("input_" + std::to_string(i)));
    CHECK(max_level_diff(pil_resize(x, 224, 224), at("v1_u8_" + std::to_string(i))) < 1e-3);
    const auto full = v1(x, 224);
    REQUIRE(full.sizes() == torch::IntArrayRef({1, 3, 224, 224}));
    CHECK((full[0].narrow(1, kBand, 32) - at("v1_band_" + std::to_string(i))).abs().max().item<double>() < 1e-5);
  }
  // torch's bicubic (v1's guidance side: a = -0.75, no antialiasing) is not PIL's: far more than a level apart
  // when downsampling the textured image.
  const ReferenceV1GuidanceInput guidance;
  CHECK(max_level_diff(guidance(image(at("input_0")), 224).clamp(0, 1), at("v1_u8_0")) > 10);
}

}  // namespace DISTDIFF_UNITY_ID
