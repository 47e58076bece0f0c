#pragma once
// PyTorch-style state dicts for torch::nn::Module: dotted names of parameters
// and buffers, strict loading with one readable report, and safetensors
// files/folders (single file, diffusers/transformers folder, sharded index).
//
//   distdiff::models::LoadOptions opts;
//   opts.ignore_unexpected = {"text_model.embeddings.position_ids"};
//   auto report = distdiff::models::load_module(model, "clip/text_encoder", opts);
#include "distdiff/models/weights/safetensors.hpp"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace distdiff::models {

struct LoadReport {
  std::vector<std::string> loaded;      // module names that received a tensor
  std::vector<std::string> missing;     // module names no tensor was given for
  std::vector<std::string> unexpected;  // given names (before renaming) the module lacks
  std::vector<std::string> ignored;     // given names dropped by rename ("") or ignore_unexpected
  std::string summary() const;
};

struct LoadOptions {
  // Missing or unexpected tensors are an error (else they are only reported).
  bool strict = true;
  // Maps a given name to the module's name; returning "" drops the tensor.
  std::function<std::string(const std::string&)> rename;
  // Exact names, or prefixes ending in '.', that may be unexpected without
  // error (e.g. "text_model.embeddings.position_ids"). Matched against the
  // name before and after renaming.
  std::vector<std::string> ignore_unexpected;
};

namespace detail {

inline std::string weights_name_list(const std::vector<std::string>& names, std::size_t max = 10) {
  std::string s;
  for (std::size_t i = 0; i < names.size() && i < max; ++i) s += (i ? ", " : "") + names[i];
  if (names.size() > max) s += ", ... (" + std::to_string(names.size() - max) + " more)";
  return s;
}

inline std::string weights_shape(torch::IntArrayRef s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

inline bool weights_matches(const std::vector<std::string>& patterns, const std::string& name) {
  return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) {
    if (p == name) return true;
    return !p.empty() && p.back() == '.' && name.compare(0, p.size(), p) == 0;
  });
}

}  // namespace detail

inline std::string LoadReport::summary() const {
  std::string s = "loaded " + std::to_string(loaded.size()) + " tensors";
  if (!missing.empty()) {
    s += "; missing " + std::to_string(missing.size()) + ": " + detail::weights_name_list(missing);
  }
  if (!unexpected.empty()) {
    s += "; unexpected " + std::to_string(unexpected.size()) + ": " +
         detail::weights_name_list(unexpected);
  }
  if (!ignored.empty()) s += "; ignored " + std::to_string(ignored.size());
  return s;
}

// Parameters and buffers with PyTorch's dotted names ("0.weight",
// "encoder.layers.3.norm.running_mean"). The tensors share storage with the
// module (detached). Undefined slots (e.g. a disabled bias) are skipped.
inline std::map<std::string, torch::Tensor> state_dict(const torch::nn::Module& module) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) {
    if (item.value().defined()) out.emplace(item.key(), item.value().detach());
  }
  for (const auto& item : module.named_buffers(/*recurse=*/true)) {
    if (item.value().defined()) out.emplace(item.key(), item.value().detach());
  }
  return out;
}

namespace detail {
// load_state_dict, calling after_copy(source) once each source is copied.
inline LoadReport load_state_dict_then(torch::nn::Module& module, const std::map<std::string, torch::Tensor>& tensors,
                                       const LoadOptions& options,
                                       const std::function<void(const torch::Tensor&)>& after_copy) {
  const auto targets = state_dict(module);
  struct Source {
    const std::string* key;
    const torch::Tensor* tensor;
  };
  std::map<std::string, Source> plan;
  LoadReport report;
  for (const auto& [key, t] : tensors) {
    const std::string name = options.rename ? options.rename(key) : key;
    if (name.empty()) {
      report.ignored.push_back(key);
      continue;
    }
    const auto it = targets.find(name);
    if (it == targets.end()) {
      if (detail::weights_matches(options.ignore_unexpected, key) ||
          detail::weights_matches(options.ignore_unexpected, name)) {
        report.ignored.push_back(key);
      } else {
        report.unexpected.push_back(name == key ? key : key + " (as " + name + ")");
      }
      continue;
    }
    const std::string what = "load_state_dict: '" + key + "'" +
                             (name == key ? std::string() : " (as '" + name + "')");
    if (!t.defined()) throw std::runtime_error(what + ": tensor is undefined");
    if (t.sizes() != it->second.sizes()) {
      throw std::runtime_error(what + ": shape mismatch: given " + detail::weights_shape(t.sizes()) +
                               ", module expects " + detail::weights_shape(it->second.sizes()));
    }
    const auto [slot, inserted] = plan.emplace(name, Source{&key, &t});
    if (!inserted) {
      throw std::runtime_error("load_state_dict: '" + *slot->second.key + "' and '" + key +
                               "' both map to '" + name + "'");
    }
  }
  for (const auto& [name, t] : targets) {
    if (!plan.count(name)) report.missing.push_back(name);
  }
  if (options.strict && (!report.missing.empty() || !report.unexpected.empty())) {
    std::string msg = "load_state_dict (strict): ";
    if (!report.missing.empty()) {
      msg += std::to_string(report.missing.size()) + " missing: " +
             detail::weights_name_list(report.missing);
    }
    if (!report.unexpected.empty()) {
      if (!report.missing.empty()) msg += "; ";
      msg += std::to_string(report.unexpected.size()) + " unexpected: " +
             detail::weights_name_list(report.unexpected);
    }
    msg += " (" + std::to_string(plan.size()) + " matched)";
    throw std::runtime_error(msg);
  }
  torch::NoGradGuard no_grad;
  for (const auto& [name, src] : plan) {
    targets.at(name).copy_(*src.tensor);
    if (after_copy) after_copy(*src.tensor);
    report.loaded.push_back(name);
  }
  return report;
}
}  // namespace detail

// Copies `tensors` into the module's parameters and buffers, converting to
// each slot's own device and dtype. Everything is checked before anything is
// copied: a shape mismatch, two names landing on one slot, or (strict)
// missing/unexpected names throw ONE std::runtime_error and leave the module
// unchanged.
inline LoadReport load_state_dict(torch::nn::Module& module,
                                  const std::map<std::string, torch::Tensor>& tensors,
                                  const LoadOptions& options = {}) {
  return detail::load_state_dict_then(module, tensors, options, {});
}

// Writes the module's state dict as a safetensors file (atomically).
inline void save_module(const torch::nn::Module& module, const std::filesystem::path& path,
                        const std::map<std::string, std::string>& metadata = {}) {
  save_safetensors(path, state_dict(module), metadata);
}

namespace detail {

// The tensors of a sharded checkpoint described by an index file
// ({"weight_map": {"<tensor>": "<shard file>"}, ...}).
inline std::map<std::string, torch::Tensor> load_sharded_safetensors(const std::filesystem::path& index) {
  const std::string where = index.string() + ": ";
  nlohmann::json j;
  {
    std::ifstream f(index, std::ios::binary);
    if (!f) throw std::runtime_error(where + "cannot open");
    try {
      j = nlohmann::json::parse(f);
    } catch (const nlohmann::json::exception& e) {
      throw std::runtime_error(where + "JSON parse error: " + e.what());
    }
  }
  if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object()) {
    throw std::runtime_error(where + "not a shard index: needs an object \"weight_map\"");
  }
  std::map<std::string, std::set<std::string>> by_shard;
  for (const auto& [name, shard] : j["weight_map"].items()) {
    if (!shard.is_string()) throw std::runtime_error(where + "weight_map['" + name + "'] is not a string");
    const std::filesystem::path rel(shard.get<std::string>());
    if (rel.empty() || rel.is_absolute() || rel.has_parent_path()) {
      throw std::runtime_error(where + "shard name '" + rel.string() + "' must be a plain file name");
    }
    by_shard[rel.string()].insert(name);
  }
  std::map<std::string, torch::Tensor> out;
  for (const auto& [shard, names] : by_shard) {
    const auto file = SafetensorsFile::open(index.parent_path() / shard);
    for (const auto& name : names) {
      if (!file.contains(name)) {
        throw std::runtime_error(where + "lists '" + name + "' in " + shard + ", which lacks it");
      }
    }
    for (const auto& info : file.header().tensors) {
      if (!out.emplace(info.name, file.tensor(info.name)).second) {
        throw std::runtime_error(where + "tensor '" + info.name + "' appears in more than one shard");
      }
    }
  }
  return out;
}

inline bool weights_is_index(const std::filesystem::path& p) {
  const std::string s = p.filename().string();
  const std::string suffix = ".safetensors.index.json";
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace detail

// Loads a module from a safetensors file, a shard index (*.safetensors.index.json),
// or a folder holding one of: model.safetensors, diffusion_pytorch_model.safetensors,
// diffusion_pytorch_model.fp16.safetensors, *.safetensors.index.json (tried in
// that order). Errors name the file.
inline LoadReport load_module(torch::nn::Module& module, const std::filesystem::path& path_or_dir,
                              const LoadOptions& options = {}) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(path_or_dir, ec)) {
    throw std::runtime_error(path_or_dir.string() + ": no such file or folder");
  }
  fs::path file = path_or_dir;
  if (fs::is_directory(path_or_dir, ec)) {
    file.clear();
    for (const char* candidate : {"model.safetensors", "diffusion_pytorch_model.safetensors",
                                  "diffusion_pytorch_model.fp16.safetensors"}) {
      if (fs::is_regular_file(path_or_dir / candidate, ec)) {
        file = path_or_dir / candidate;
        break;
      }
    }
    if (file.empty()) {
      std::vector<fs::path> indexes;
      for (const auto& entry : fs::directory_iterator(path_or_dir, ec)) {
        if (entry.is_regular_file() && detail::weights_is_index(entry.path())) indexes.push_back(entry.path());
      }
      std::sort(indexes.begin(), indexes.end());
      if (!indexes.empty()) file = indexes.front();
    }
    if (file.empty()) {
      throw std::runtime_error(path_or_dir.string() +
                               ": no weights found; looked for model.safetensors, "
                               "diffusion_pytorch_model.safetensors, "
                               "diffusion_pytorch_model.fp16.safetensors and *.safetensors.index.json");
    }
  }
  const auto tensors = detail::weights_is_index(file) ? detail::load_sharded_safetensors(file)
                                                      : load_safetensors(file);
  try {
    // The views of the file's mapping are this function's own: each one's pages
    // are dropped once copied (peak memory: the module plus about one tensor).
    return detail::load_state_dict_then(module, tensors, options, detail::st_release_view_pages);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(file.string() + ": " + e.what());
  }
}

}  // namespace distdiff::models
