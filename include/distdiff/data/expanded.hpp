#pragma once
// Expanded datasets: an original LabelledDataset plus the images a generator
// wrote to an output folder.
//
//     distdiff::Caltech101 train(root, distdiff::Split::train);
//     distdiff::ExpandedDataset expanded(train, "out/caltech_distdiff");   // original, then generated
//     auto synthetic = distdiff::generated_only(train, "out/caltech_distdiff");
//
// Output folder contract: <out>/<class_name>/<seed_index>_<i>.png and
// <out>/manifest.jsonl with one JSON object per generated image, at least
//   {"file": "<class_name>/<seed_index>_<i>.png", "label": int, "class": "<class_name>",
//    "seed_index": int, "sample": int, "seed_source": "...", "random_seed": int,
//    "composition": "...", "energy_before": float|null, "energy_after": float|null}
// (the generator also writes prompt, batch, method, guided_timesteps).
// Required here: file (relative to <out>), label, class; the others are kept
// when present (`raw` holds the whole object). Checked when the dataset is
// built, each with one error naming the manifest line: the JSON parses; the
// class is a class of the original and the label is its index there; the file
// exists. Two tolerances match the generator's resume logic: a final line cut
// short by a killed run (no trailing newline, not valid JSON) is ignored, and
// when a file is listed again (regenerated on resume) the later line replaces
// the earlier one.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "distdiff/concepts/dataset.hpp"
#include "distdiff/core/image.hpp"
#include "distdiff/data/detail/files.hpp"
#include "distdiff/io/image_io.hpp"

namespace distdiff {

// One line of manifest.jsonl.
struct GeneratedEntry {
  std::filesystem::path file;  // absolute: <out>/<file>
  std::string relative_file;   // as written in the manifest
  std::int64_t label = 0;
  std::string class_name;
  std::int64_t seed_index = -1;  // -1 when absent
  std::int64_t sample = -1;      // -1 when absent
  std::string seed_source;
  std::string prompt;
  std::uint64_t random_seed = 0;
  std::string composition;
  std::string method;
  std::optional<double> energy_before;
  std::optional<double> energy_after;
  nlohmann::json raw;    // the whole manifest object
  std::size_t line = 0;  // 1-based line in the manifest
};

// Reads <out>/manifest.jsonl and validates it against the original's class
// names (see the contract above); entries in manifest order.
inline std::vector<GeneratedEntry> read_generated_manifest(const std::filesystem::path& out_dir,
                                                           const std::vector<std::string>& classes,
                                                           const std::string& original_name = "the original dataset") {
  const std::string who = "distdiff::read_generated_manifest";
  detail::require_dir(out_dir, who, "generated-images folder");
  const auto manifest = out_dir / "manifest.jsonl";
  detail::require_file(manifest, who, "manifest");
  std::map<std::string, std::size_t> class_index;
  for (std::size_t c = 0; c < classes.size(); ++c) class_index.emplace(classes[c], c);
  std::ifstream in(manifest, std::ios::binary);
  if (!in) throw std::runtime_error(who + ": cannot open " + detail::quoted(manifest));
  const std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<GeneratedEntry> out;
  std::map<std::string, std::size_t> position;  // relative file -> index in `out`
  std::size_t line = 0;
  for (std::size_t begin = 0; begin < content.size();) {
    ++line;
    const std::size_t nl = content.find('\n', begin);
    const bool torn = nl == std::string::npos;  // the last line, without its newline
    const std::string text = content.substr(begin, torn ? std::string::npos : nl - begin);
    begin = torn ? content.size() : nl + 1;
    if (detail::trim(text).empty()) continue;
    const std::string where = who + ": " + detail::quoted(manifest) + " line " + std::to_string(line);
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(text);
    } catch (const std::exception& e) {
      if (torn) break;  // cut short by a killed run: its image was never recorded
      throw std::runtime_error(where + ": invalid JSON (" + e.what() + ")");
    }
    if (!j.is_object()) throw std::runtime_error(where + ": expected a JSON object");
    auto need = [&](const char* key) -> const nlohmann::json& {
      if (!j.contains(key)) throw std::runtime_error(where + ": missing field \"" + key + "\"");
      return j[key];
    };
    GeneratedEntry e;
    e.line = line;
    try {
      e.relative_file = need("file").get<std::string>();
      e.label = need("label").get<std::int64_t>();
      e.class_name = need("class").get<std::string>();
      auto opt_int = [&](const char* key, std::int64_t& dst) {
        if (j.contains(key) && !j[key].is_null()) dst = j[key].get<std::int64_t>();
      };
      auto opt_str = [&](const char* key, std::string& dst) {
        if (j.contains(key) && !j[key].is_null()) dst = j[key].get<std::string>();
      };
      auto opt_num = [&](const char* key, std::optional<double>& dst) {
        if (j.contains(key) && !j[key].is_null()) dst = j[key].get<double>();
      };
      opt_int("seed_index", e.seed_index);
      opt_int("sample", e.sample);
      if (j.contains("random_seed") && !j["random_seed"].is_null()) e.random_seed = j["random_seed"].get<std::uint64_t>();
      opt_str("seed_source", e.seed_source);
      opt_str("prompt", e.prompt);
      opt_str("composition", e.composition);
      opt_str("method", e.method);
      opt_num("energy_before", e.energy_before);
      opt_num("energy_after", e.energy_after);
    } catch (const nlohmann::json::exception& ex) {
      throw std::runtime_error(where + ": a field has the wrong type (" + ex.what() + ")");
    }
    const auto it = class_index.find(e.class_name);
    if (it == class_index.end())
      throw std::runtime_error(where + ": class '" + e.class_name + "' is not a class of " + original_name);
    if (e.label != static_cast<std::int64_t>(it->second))
      throw std::runtime_error(where + ": label " + std::to_string(e.label) + " but class '" + e.class_name +
                               "' is label " + std::to_string(it->second) + " in " + original_name);
    const std::filesystem::path rel(e.relative_file);
    if (e.relative_file.empty() || rel.is_absolute())
      throw std::runtime_error(where + ": \"file\" must be a path relative to " + detail::quoted(out_dir));
    e.file = out_dir / rel;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(e.file, ec))
      throw std::runtime_error(where + ": listed file " + detail::quoted(e.file) + " is missing");
    e.raw = std::move(j);
    if (auto it2 = position.find(e.relative_file); it2 != position.end()) {
      out[it2->second] = std::move(e);  // regenerated on resume: the later record describes the file on disk
    } else {
      position.emplace(e.relative_file, out.size());
      out.push_back(std::move(e));
    }
  }
  return out;
}

// The original's samples (unless generated_only) followed by the manifest's images.
template <LabelledDataset Original>
class ExpandedDataset {
 public:
  using component_tag = dataset_tag;

  ExpandedDataset(Original original, std::filesystem::path out_dir, bool include_original = true)
      : original_(std::move(original)), out_dir_(std::move(out_dir)), include_original_(include_original) {
    entries_ = read_generated_manifest(out_dir_, original_.class_names(), detail::quoted(std::string(original_.name())));
  }

  std::size_t size() const { return offset() + entries_.size(); }
  std::int64_t label(std::size_t i) const { return i < offset() ? original_.label(i) : entry(i).label; }
  Image load(std::size_t i) const { return i < offset() ? original_.load(i) : read_image(entry(i).file); }
  const std::vector<std::string>& class_names() const { return original_.class_names(); }
  std::string prompt(std::int64_t label) const { return original_.prompt(label); }
  std::string source(std::size_t i) const { return i < offset() ? original_.source(i) : entry(i).file.string(); }
  std::string name() const {
    return std::string(original_.name()) + (include_original_ ? "+generated" : ":generated_only");
  }

  const Original& original() const { return original_; }
  const std::vector<GeneratedEntry>& generated() const { return entries_; }
  bool includes_original() const { return include_original_; }
  std::size_t original_size() const { return offset(); }
  // The manifest entry of sample i, or nullptr for an original sample.
  const GeneratedEntry* generated_entry(std::size_t i) const { return i < offset() ? nullptr : &entry(i); }

 private:
  Original original_;
  std::filesystem::path out_dir_;
  bool include_original_ = true;
  std::vector<GeneratedEntry> entries_;

  std::size_t offset() const { return include_original_ ? original_.size() : 0; }
  const GeneratedEntry& entry(std::size_t i) const {
    if (i >= size())
      throw std::out_of_range("distdiff::ExpandedDataset '" + name() + "': index " + std::to_string(i) +
                              " >= size " + std::to_string(size()));
    return entries_[i - offset()];
  }
};

// Only the generated images, with the original's classes and prompts.
template <LabelledDataset Original>
ExpandedDataset<Original> generated_only(Original original, std::filesystem::path out_dir) {
  return ExpandedDataset<Original>(std::move(original), std::move(out_dir), /*include_original=*/false);
}

}  // namespace distdiff
