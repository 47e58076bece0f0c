#pragma once
// Prototypes on disk: one safetensors file with the tensors "class_level"
// [C, D] and (when defined) "group_level" [C, K, D], and string metadata
// recording how they were made.
//
//     distdiff::PrototypeInfo info{ClassMean{}.name(), AgglomerativeGroups<>{}.name(), "clip-vit-b32"};
//     distdiff::save_prototypes("caltech.prototypes.safetensors", protos, info);
//     auto back = distdiff::load_prototypes("caltech.prototypes.safetensors");
//
// Metadata keys: format = "distdiff-prototypes", class_strategy,
// group_strategy, feature_extractor, num_classes, feature_dim, groups (K; 0
// without group level), plus any `extra` entries. The file is written
// atomically (temporary name, then rename).
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>

#include "distdiff/core/types.hpp"
#include "distdiff/models/weights/safetensors.hpp"

namespace distdiff {

struct PrototypeInfo {
  std::string class_strategy;                  // e.g. ClassMean{}.name()
  std::string group_strategy;                  // e.g. AgglomerativeGroups<>{}.name(); "" if none
  std::string feature_extractor;               // the θ that produced the features
  std::map<std::string, std::string> extra;    // further metadata, stored verbatim
};

namespace detail {

inline constexpr const char* kPrototypeFormat = "distdiff-prototypes";

inline void check_prototype_shapes(const Prototypes& p, const std::string& where) {
  if (!p.class_level.defined())
    throw std::invalid_argument(where + "class_level prototypes are undefined");
  if (p.class_level.dim() != 2 || !p.class_level.is_floating_point())
    throw std::invalid_argument(where + "class_level must be a floating [C, D] tensor, got " +
                                std::to_string(p.class_level.dim()) + "-D");
  if (p.group_level.defined()) {
    if (p.group_level.dim() != 3 || !p.group_level.is_floating_point())
      throw std::invalid_argument(where + "group_level must be a floating [C, K, D] tensor, got " +
                                  std::to_string(p.group_level.dim()) + "-D");
    if (p.group_level.size(0) != p.class_level.size(0) ||
        p.group_level.size(2) != p.class_level.size(1))
      throw std::invalid_argument(
          where + "group_level [" + std::to_string(p.group_level.size(0)) + ", " +
          std::to_string(p.group_level.size(1)) + ", " + std::to_string(p.group_level.size(2)) +
          "] does not match class_level [" + std::to_string(p.class_level.size(0)) + ", " +
          std::to_string(p.class_level.size(1)) + "]");
  }
}

}  // namespace detail

inline void save_prototypes(const std::filesystem::path& path, const Prototypes& prototypes,
                            const PrototypeInfo& info = {}) {
  const std::string where = path.string() + ": cannot save prototypes: ";
  detail::check_prototype_shapes(prototypes, where);
  std::map<std::string, torch::Tensor> tensors{{"class_level", prototypes.class_level}};
  if (prototypes.group_level.defined()) tensors.emplace("group_level", prototypes.group_level);
  std::map<std::string, std::string> meta = info.extra;
  meta["format"] = detail::kPrototypeFormat;
  meta["class_strategy"] = info.class_strategy;
  meta["group_strategy"] = info.group_strategy;
  meta["feature_extractor"] = info.feature_extractor;
  meta["num_classes"] = std::to_string(prototypes.num_classes());
  meta["feature_dim"] = std::to_string(prototypes.class_level.size(1));
  meta["groups"] = std::to_string(prototypes.groups());
  models::save_safetensors(path, tensors, meta);
}

// The metadata of a prototype file (strategy names, feature extractor, extra keys).
inline PrototypeInfo read_prototype_info(const std::filesystem::path& path) {
  const auto file = models::SafetensorsFile::open(path);
  const auto& meta = file.header().metadata;
  auto get = [&](const char* key) {
    const auto it = meta.find(key);
    return it == meta.end() ? std::string() : it->second;
  };
  PrototypeInfo info{get("class_strategy"), get("group_strategy"), get("feature_extractor"), {}};
  for (const auto& [key, value] : meta)
    if (key != "format" && key != "class_strategy" && key != "group_strategy" &&
        key != "feature_extractor" && key != "num_classes" && key != "feature_dim" && key != "groups")
      info.extra.emplace(key, value);
  return info;
}

// Loads "class_level" (required) and "group_level" (optional) in their stored
// dtype on the CPU. With `renormalize`, every prototype is L2-normalised (as the
// reference does on load).
inline Prototypes load_prototypes(const std::filesystem::path& path, bool renormalize = false) {
  const std::string where = path.string() + ": ";
  const auto file = models::SafetensorsFile::open(path);
  if (!file.contains("class_level"))
    throw std::runtime_error(where + "not a prototype file: no tensor named \"class_level\"");
  Prototypes p;
  p.class_level = file.tensor("class_level").clone();
  if (file.contains("group_level")) p.group_level = file.tensor("group_level").clone();
  try {
    detail::check_prototype_shapes(p, "");
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(where + "corrupt prototype file: " + e.what());
  }
  const auto& meta = file.header().metadata;
  if (const auto it = meta.find("groups"); it != meta.end() && it->second != std::to_string(p.groups()))
    throw std::runtime_error(where + "corrupt prototype file: metadata says groups = " + it->second +
                             " but group_level holds " + std::to_string(p.groups()));
  if (renormalize) {
    p.class_level = p.class_level / p.class_level.norm(2, {1}, true).clamp_min(1e-12);
    if (p.group_level.defined())
      p.group_level = p.group_level / p.group_level.norm(2, {2}, true).clamp_min(1e-12);
  }
  return p;
}

}  // namespace distdiff
