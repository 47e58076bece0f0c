#pragma once
// ClipImageProcessor — transformers' CLIPImageProcessor, the preprocessing that
// the published CLIP weights (openai/clip-vit-base-patch32) expect, as a
// differentiable ImagePreprocessor:
//
//   images [B, 3, H, W] in [0, 1]
//     -> shorter side to `shortest_edge`, longer side int(shortest_edge · long / short),
//        PIL bicubic with antialiasing (pil_resize: what transformers runs)
//     -> centre crop crop_size × crop_size at offset (side − crop) // 2 (transformers floors)
//     -> (x − image_mean) / image_std
//
//   auto p = distdiff::ClipImageProcessor::load(clip_dir);   // preprocessor_config.json, if the folder has one
//   torch::Tensor pixels = p(images, 224);
//
// Defaults are the published model's preprocessor_config.json: bicubic, CLIP
// mean / std. `shortest_edge` and `crop_size` 0 mean the tower's image size
// (the input_size argument). A folder without preprocessor_config.json gets
// the defaults; a file with settings this class does not compute (another
// resampling filter, another rescale factor, a non-square crop) is rejected
// with the key's name.
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "distdiff/concepts/preprocess.hpp"
#include "distdiff/models/weights/config.hpp"
#include "distdiff/preprocess/normalize.hpp"
#include "distdiff/preprocess/pil_resize.hpp"

namespace distdiff {

struct ClipImageProcessor {
  using component_tag = image_preprocessor_tag;

  std::int64_t shortest_edge = 0;  // 0: the tower's image size
  std::int64_t crop_size = 0;      // 0: the tower's image size
  bool do_resize = true;
  bool do_center_crop = true;
  bool do_normalize = true;
  std::array<double, 3> image_mean = kClipImageMean;
  std::array<double, 3> image_std = kClipImageStd;

  torch::Tensor operator()(const torch::Tensor& images, std::int64_t input_size) const {
    if (!images.defined() || images.dim() != 4 || images.size(1) != 3)
      throw std::invalid_argument("ClipImageProcessor: images must be [B, 3, H, W] in [0, 1], got " +
                                  (images.defined() ? c10::str(images.sizes()) : std::string("undefined")));
    const auto edge = shortest_edge > 0 ? shortest_edge : input_size;
    const auto crop = crop_size > 0 ? crop_size : input_size;
    if (edge < 1 || crop < 1) throw std::invalid_argument("ClipImageProcessor: sizes must be positive");
    auto x = images;
    if (do_resize) {
      const auto H = x.size(2), W = x.size(3);
      const auto [h, w] = resized_size(H, W, edge);
      x = pil_resize(x, h, w);
    }
    if (do_center_crop) {
      const auto H = x.size(2), W = x.size(3);
      if (H < crop || W < crop)
        throw std::invalid_argument("ClipImageProcessor: a " + std::to_string(H) + "x" + std::to_string(W) +
                                    " image is smaller than the " + std::to_string(crop) + " px crop");
      x = x.narrow(2, (H - crop) / 2, crop).narrow(3, (W - crop) / 2, crop);
    }
    return do_normalize ? normalize_rgb(x, image_mean, image_std) : x;
  }

  // transformers' get_resize_output_image_size(default_to_square=False): the
  // shorter side becomes `edge`, the longer int(edge · long / short) in floating point.
  static std::pair<std::int64_t, std::int64_t> resized_size(std::int64_t H, std::int64_t W, std::int64_t edge) {
    const bool portrait = H > W;
    const auto short_side = portrait ? W : H, long_side = portrait ? H : W;
    const auto other = static_cast<std::int64_t>(double(edge) * double(long_side) / double(short_side));
    return portrait ? std::pair{other, edge} : std::pair{edge, other};
  }

  std::string name() const { return "clip-image-processor"; }
  nlohmann::json params() const {
    nlohmann::json j{{"resample", "pil-bicubic"},
                     {"shortest_edge", shortest_edge},
                     {"crop_size", crop_size},
                     {"do_resize", do_resize},
                     {"do_center_crop", do_center_crop},
                     {"do_normalize", do_normalize}};
    if (do_normalize) {
      j["image_mean"] = image_mean;
      j["image_std"] = image_std;
    }
    return j;
  }

  // The keys of a preprocessor_config.json (what transformers reads).
  nlohmann::json to_config() const {
    return {{"image_processor_type", "CLIPImageProcessor"},
            {"do_resize", do_resize},
            {"size", {{"shortest_edge", shortest_edge}}},
            {"resample", 3},
            {"do_center_crop", do_center_crop},
            {"crop_size", {{"height", crop_size}, {"width", crop_size}}},
            {"do_rescale", true},
            {"rescale_factor", 1.0 / 255.0},
            {"do_normalize", do_normalize},
            {"image_mean", image_mean},
            {"image_std", image_std},
            {"do_convert_rgb", true}};
  }

  // From a parsed preprocessor_config.json; `where` names the file in errors.
  static ClipImageProcessor from_config(const nlohmann::json& j, const std::string& where) {
    if (!j.is_object()) throw std::invalid_argument(where + ": expected a JSON object");
    ClipImageProcessor p;
    auto flag = [&](const char* key, bool& out) {
      if (!j.contains(key)) return;
      if (!j[key].is_boolean()) throw std::invalid_argument(where + ": '" + key + "' must be true or false");
      out = j[key].get<bool>();
    };
    auto side = [&](const char* key, const char* inner_a, const char* inner_b) -> std::int64_t {
      const auto& v = j[key];
      if (v.is_number()) return models::detail::config_int_in(where, v, key, 1, models::kConfigMaxSampleSize);
      if (v.is_object() && v.contains(inner_a)) {
        const auto a = models::detail::config_int_in(where, v[inner_a], std::string(key) + "." + inner_a, 1,
                                                     models::kConfigMaxSampleSize);
        if (inner_b && v.contains(inner_b) &&
            models::detail::config_int_in(where, v[inner_b], std::string(key) + "." + inner_b, 1,
                                          models::kConfigMaxSampleSize) != a)
          throw std::invalid_argument(where + ": '" + key + "' must be square (height = width)");
        return a;
      }
      throw std::invalid_argument(where + ": '" + key + "' must be an integer or {\"" + inner_a + "\": n}, got " +
                                  v.dump());
    };
    auto triple = [&](const char* key, std::array<double, 3>& out) {
      if (!j.contains(key)) return;
      const auto& v = j[key];
      if (!v.is_array() || v.size() != 3 || !v[0].is_number() || !v[1].is_number() || !v[2].is_number())
        throw std::invalid_argument(where + ": '" + key + "' must be three numbers, got " + v.dump());
      for (int c = 0; c < 3; ++c) out[std::size_t(c)] = v[std::size_t(c)].get<double>();
    };
    flag("do_resize", p.do_resize);
    flag("do_center_crop", p.do_center_crop);
    flag("do_normalize", p.do_normalize);
    if (j.contains("size")) p.shortest_edge = side("size", "shortest_edge", nullptr);
    if (j.contains("crop_size")) p.crop_size = side("crop_size", "height", "width");
    triple("image_mean", p.image_mean);
    triple("image_std", p.image_std);
    for (double s : p.image_std)
      if (!(s > 0)) throw std::invalid_argument(where + ": 'image_std' must be positive");
    if (j.contains("resample") && !(j["resample"].is_number_integer() && j["resample"].get<int>() == 3))
      throw std::invalid_argument(where + ": 'resample' " + j["resample"].dump() +
                                  " is not computed here (3 = bicubic is)");
    bool rescale = true;
    flag("do_rescale", rescale);
    if (!rescale)
      throw std::invalid_argument(where + ": 'do_rescale' false is not computed here (images are taken in [0, 1])");
    if (j.contains("rescale_factor") &&
        !(j["rescale_factor"].is_number() && std::abs(j["rescale_factor"].get<double>() * 255.0 - 1.0) < 1e-9))
      throw std::invalid_argument(where + ": 'rescale_factor' " + j["rescale_factor"].dump() +
                                  " is not computed here (1/255 is)");
    return p;
  }

  // <dir>/preprocessor_config.json when the folder has one, else the defaults.
  static ClipImageProcessor load(const std::filesystem::path& dir) {
    const auto file = dir / "preprocessor_config.json";
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) return {};
    return from_config(models::read_json_file(file), file.string());
  }
};

static_assert(ImagePreprocessor<ClipImageProcessor>);

}  // namespace distdiff
