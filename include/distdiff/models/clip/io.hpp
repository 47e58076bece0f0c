#pragma once
// Loading and saving CLIP towers in the transformers folder layout:
// <dir>/config.json + <dir>/model.safetensors (or model.fp16.safetensors, or a
// sharded *.safetensors.index.json).
//
//   auto opts = distdiff::RuntimeOptions::best_available();
//   auto text = distdiff::models::load_clip_text_model(sd_dir / "text_encoder", opts);
//   auto vision = distdiff::models::load_clip_vision_model("clip-vit-base-patch32", opts);
//   auto clip = distdiff::models::load_clip_model("clip-vit-base-patch32", opts);
//
// Loading is strict (every parameter of the module must be in the file, with its
// shape). Tensors of the other tower are ignored, so load_clip_text_model and
// load_clip_vision_model also read a full CLIPModel folder (its config.json holds
// "text_config"/"vision_config"); the legacy buffers *.embeddings.position_ids are
// ignored too. The loaded module is on opts.device in the compute dtype (see
// clip_compute_dtype) and in eval mode.
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <filesystem>
#include <functional>
#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "distdiff/core/types.hpp"
#include "distdiff/models/clip/clip_model.hpp"
#include "distdiff/models/clip/config.hpp"
#include "distdiff/models/clip/text_model.hpp"
#include "distdiff/models/clip/vision_model.hpp"
#include "distdiff/models/weights/config.hpp"
#include "distdiff/models/weights/state_dict.hpp"

namespace distdiff::models {

// The dtype CLIP computes in for a runtime: float16 on CPU (whose half kernels are
// incomplete) becomes float32; everything else is kept.
inline torch::Dtype clip_compute_dtype(const distdiff::RuntimeOptions& opts) {
  if (opts.device.is_cpu() && opts.dtype == torch::kHalf) return torch::kFloat32;
  return opts.dtype;
}

namespace detail {

// The weights file (or folder, for load_module) of a transformers model folder.
inline std::filesystem::path clip_weights_path(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw std::runtime_error(dir.string() + ": model folder does not exist");
  if (fs::is_regular_file(dir / "model.safetensors", ec)) return dir / "model.safetensors";
  if (fs::is_regular_file(dir / "model.fp16.safetensors", ec)) return dir / "model.fp16.safetensors";
  bool any_safetensors = false;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const auto name = e.path().filename().string();
    if (name.find(".safetensors") != std::string::npos) any_safetensors = true;
  }
  if (!any_safetensors && fs::exists(dir / "pytorch_model.bin", ec))
    throw std::runtime_error(dir.string() +
                             ": holds only pytorch_model.bin (a Python pickle, not readable here); "
                             "convert it to model.safetensors");
  return dir;  // load_module looks for an index and names what it tried
}

inline nlohmann::json clip_read_config(const std::filesystem::path& dir) {
  return read_json_file(dir / "config.json");
}

template <class Config>
Config clip_parse_config(const std::filesystem::path& dir) {
  const auto j = clip_read_config(dir);
  try {
    return Config::from_json(j);
  } catch (const std::exception& e) {
    throw std::runtime_error((dir / "config.json").string() + ": " + e.what());
  }
}

template <class ModuleHolder>
void clip_load_into(ModuleHolder& m, const std::filesystem::path& dir, std::vector<std::string> ignore,
                    const distdiff::RuntimeOptions& opts,
                    std::function<std::string(const std::string&)> rename = {}) {
  LoadOptions lo;
  lo.strict = true;
  lo.ignore_unexpected = std::move(ignore);
  lo.rename = std::move(rename);
  load_module(*m, clip_weights_path(dir), lo);
  m->to(opts.device, clip_compute_dtype(opts));
  m->eval();
}

// Writes text to `path` atomically (temporary name in the same folder, then rename).
inline void clip_write_file_atomic(const std::filesystem::path& path, const std::string& text) {
  namespace fs = std::filesystem;
  static std::atomic<unsigned> counter{0};
  const fs::path tmp = path.string() + ".tmp" + std::to_string(counter++);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error(path.string() + ": cannot create " + tmp.string());
    out << text;
    out.flush();
    if (!out) {
      out.close();
      std::error_code ec;
      fs::remove(tmp, ec);
      throw std::runtime_error(path.string() + ": write failed");
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw std::runtime_error(path.string() + ": cannot move the written file into place");
  }
}

inline void clip_save_folder(const torch::nn::Module& m, const nlohmann::json& config,
                             const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  save_module(m, dir / "model.safetensors", {{"format", "pt"}});
  clip_write_file_atomic(dir / "config.json", config.dump(2) + "\n");
}

}  // namespace detail

// transformers CLIPTextModel folder (e.g. SD's text_encoder/), or a CLIPModel folder.
// transformers 5 saves a CLIPTextModel without the "text_model." prefix
// (embeddings.*, encoder.*, final_layer_norm.*): both layouts load.
inline ClipTextModel load_clip_text_model(const std::filesystem::path& dir,
                                          const distdiff::RuntimeOptions& opts = {}) {
  ClipTextModel m(detail::clip_parse_config<ClipTextConfig>(dir));
  auto rename = [](const std::string& name) {
    for (const char* top : {"embeddings.", "encoder.", "final_layer_norm."})
      if (name.rfind(top, 0) == 0) return "text_model." + name;
    return name;
  };
  detail::clip_load_into(m, dir,
                         {"text_model.embeddings.position_ids", "text_projection.weight", "vision_model.",
                          "visual_projection.weight", "logit_scale"},
                         opts, rename);
  return m;
}

// transformers CLIPVisionModelWithProjection folder, or a CLIPModel folder
// (openai/clip-vit-base-patch32).
inline ClipVisionModelWithProjection load_clip_vision_model(const std::filesystem::path& dir,
                                                            const distdiff::RuntimeOptions& opts = {}) {
  ClipVisionModelWithProjection m(detail::clip_parse_config<ClipVisionConfig>(dir));
  detail::clip_load_into(m, dir,
                         {"vision_model.embeddings.position_ids", "text_model.", "text_projection.weight",
                          "logit_scale"},
                         opts);
  return m;
}

// transformers CLIPModel folder (openai/clip-vit-base-patch32).
inline ClipModel load_clip_model(const std::filesystem::path& dir, const distdiff::RuntimeOptions& opts = {}) {
  ClipModel m(detail::clip_parse_config<ClipModelConfig>(dir));
  detail::clip_load_into(m, dir, {"text_model.embeddings.position_ids", "vision_model.embeddings.position_ids"},
                         opts);
  return m;
}

// Writers of the same layouts (config.json + model.safetensors, both atomic).
inline void save_clip_text_model(const ClipTextModel& m, const std::filesystem::path& dir) {
  detail::clip_save_folder(*m, m->config.to_json(), dir);
}
inline void save_clip_vision_model(const ClipVisionModelWithProjection& m, const std::filesystem::path& dir) {
  detail::clip_save_folder(*m, m->config.to_json(), dir);
}
inline void save_clip_model(const ClipModel& m, const std::filesystem::path& dir) {
  detail::clip_save_folder(*m, m->config.to_json(), dir);
}

}  // namespace distdiff::models
