#pragma once
// Reading an expansion run folder (pipeline/expand.hpp) back without its
// original dataset: the tools that compare runs (frechet, compare_grid).
//
//     auto entries = distdiff::read_run_manifest("out/run1");   // validated, one per image
//     auto images = distdiff::run_image_files("out/run1");      // an ImageSource of the generated images
//
// read_run_manifest is read_generated_manifest (data/expanded.hpp: every
// check, the resume tolerances, a file listed again keeps its later line)
// with the class list taken from the manifest's own (label, class) pairs.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "distdiff/data/expanded.hpp"
#include "distdiff/eval/image_files.hpp"
#include "distdiff/io/manifest.hpp"
#include "distdiff/io/results.hpp"

namespace distdiff {

// The entries of <run>/manifest.jsonl, in manifest order. Throws, naming the
// folder, when it is not a folder, has no manifest.jsonl or lists no image; a
// label given two class names is an error naming the classes.
inline std::vector<GeneratedEntry> read_run_manifest(const std::filesystem::path& run) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(run, ec)) throw std::runtime_error(run.string() + ": not a folder (expected an expansion run)");
  const auto jsonl = run / "manifest.jsonl";
  if (!fs::is_regular_file(jsonl, ec))
    throw std::runtime_error(run.string() + ": no manifest.jsonl (not an expansion run folder?)");
  std::vector<std::string> classes;
  std::vector<bool> seen;
  for (const auto& e : read_manifest(jsonl)) {
    // A label indexes the class list: bound it before sizing the list by it.
    if (e.label < 0 || e.label > 1'000'000)
      throw std::runtime_error(jsonl.string() + ": label " + std::to_string(e.label) + " of '" + e.file +
                               "' is out of range [0, 1000000]");
    const auto l = std::size_t(e.label);
    if (l >= classes.size()) {
      classes.resize(l + 1);
      seen.resize(l + 1, false);
    }
    if (!seen[l]) {
      classes[l] = e.class_name;
      seen[l] = true;
    } else if (classes[l] != e.class_name) {
      throw std::runtime_error(jsonl.string() + ": label " + std::to_string(l) + " is class '" + classes[l] +
                               "' and also '" + e.class_name + "'");
    }
  }
  // Labels no image has: names no manifest line can hold.
  for (std::size_t l = 0; l < classes.size(); ++l)
    if (!seen[l]) classes[l] = std::string("\n(no image has label ") + std::to_string(l) + ")";
  auto entries = read_generated_manifest(run, classes, "the classes of its own manifest");
  if (entries.empty()) throw std::runtime_error(run.string() + ": manifest.jsonl lists no image");
  return entries;
}

// The settings of <run>/run.json ("settings"), or nothing when the file is
// absent or unreadable.
inline std::optional<nlohmann::json> read_run_settings(const std::filesystem::path& run) {
  std::ifstream in(run / "run.json");
  if (!in) return std::nullopt;
  try {
    auto j = nlohmann::json::parse(in);
    if (j.is_object() && j.contains("settings") && j["settings"].is_object()) return j["settings"];
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

// <run>/run.json's "keys" (composition, K, M, steps, prototypes: written by
// expand) copied into a result row, with the run's composition as the row's
// method when it has none. A run without keys (written before distdiff 0.2)
// leaves the row as it is and returns false.
inline bool fill_result_keys(io::ResultRow& row, const std::filesystem::path& run) {
  std::ifstream in(run / "run.json");
  if (!in) return false;
  nlohmann::json keys;
  try {
    const auto j = nlohmann::json::parse(in);
    if (!j.is_object() || !j.contains("keys") || !j["keys"].is_object()) return false;
    keys = j["keys"];
  } catch (const std::exception& e) {
    throw std::runtime_error((run / "run.json").string() + ": not readable JSON: " + e.what());
  }
  try {
    row.composition = keys.value("composition", std::string());
    row.k = keys.contains("K") && keys["K"].is_number_integer() ? std::optional(keys["K"].get<std::int64_t>())
                                                                   : std::nullopt;
    row.m = keys.contains("M") && keys["M"].is_number_integer() ? std::optional(keys["M"].get<std::int64_t>())
                                                                   : std::nullopt;
    row.steps.clear();
    for (const auto& t : keys.value("steps", nlohmann::json::array()))
      row.steps += (row.steps.empty() ? "" : ";") + std::to_string(t.get<std::int64_t>());
    row.prototypes = keys.value("prototypes", std::string());
  } catch (const std::exception& e) {
    throw std::runtime_error((run / "run.json").string() + ": malformed \"keys\": " + e.what());
  }
  if (row.method.empty()) row.method = row.composition;
  return true;
}

// The generated images of a run as an image source: the files its manifest
// lists, in manifest order. A folder without manifest.jsonl is taken as a
// plain folder of images: every image below it (ImageFiles, recursive).
inline ImageFiles run_image_files(const std::filesystem::path& folder) {
  std::error_code ec;
  if (!std::filesystem::exists(folder / "manifest.jsonl", ec)) return ImageFiles::in_folder(folder, /*recursive=*/true);
  ImageFiles files;
  for (const auto& e : read_run_manifest(folder)) files.paths.push_back(e.path);
  return files;
}

}  // namespace distdiff
