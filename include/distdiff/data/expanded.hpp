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
// exists inside <out> (no "..", no symbolic link leading out of it); integer
// fields are JSON integers in range; no key appears twice in a line. Two tolerances match the generator's resume logic: a final line cut
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
#include "distdiff/io/manifest.hpp"

namespace distdiff {

// One line of manifest.jsonl: the generator's record (`file` is relative to
// the output folder) plus where it was found.
struct GeneratedEntry : ManifestEntry {
  std::filesystem::path path;  // absolute: <out>/<file>
  nlohmann::json raw;          // the whole manifest object
  std::size_t line = 0;        // 1-based line in the manifest
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
  const auto real_out = std::filesystem::weakly_canonical(out_dir);
  std::map<std::string, std::size_t> class_index;
  for (std::size_t c = 0; c < classes.size(); ++c) class_index.emplace(classes[c], c);
  std::vector<GeneratedEntry> out;
  std::map<std::string, std::size_t> position;  // relative file -> index in `out`
  detail::for_each_manifest_line(manifest, who, [&](nlohmann::json j, std::size_t line, const std::string& where) {
    GeneratedEntry e;
    static_cast<ManifestEntry&>(e) = ManifestEntry::from_json(j, where);
    e.line = line;
    const auto it = class_index.find(e.class_name);
    if (it == class_index.end())
      throw std::runtime_error(where + ": class '" + e.class_name + "' is not a class of " + original_name);
    if (e.label != static_cast<std::int64_t>(it->second))
      throw std::runtime_error(where + ": label " + std::to_string(e.label) + " but class '" + e.class_name +
                               "' is label " + std::to_string(it->second) + " in " + original_name);
    // from_json checked that `file` is relative and stays inside out_dir lexically;
    // through a symbolic link it must stay inside too.
    e.path = out_dir / std::filesystem::path(e.file);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(e.path, ec))
      throw std::runtime_error(where + ": listed file " + detail::quoted(e.path) + " is missing");
    const auto real = std::filesystem::weakly_canonical(e.path, ec);
    const auto inside = real.lexically_relative(real_out);
    if (ec || inside.empty() || *inside.begin() == "..")
      throw std::runtime_error(where + ": listed file " + detail::quoted(e.path) + " resolves to " +
                               detail::quoted(real) + ", outside " + detail::quoted(real_out));
    e.raw = std::move(j);
    if (auto it2 = position.find(e.file); it2 != position.end()) {
      out[it2->second] = std::move(e);  // regenerated on resume: the later record describes the file on disk
    } else {
      position.emplace(e.file, out.size());
      out.push_back(std::move(e));
    }
  });
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
  Image load(std::size_t i) const { return i < offset() ? original_.load(i) : read_image(entry(i).path); }
  const std::vector<std::string>& class_names() const { return original_.class_names(); }
  std::string prompt(std::int64_t label) const { return original_.prompt(label); }
  std::string source(std::size_t i) const { return i < offset() ? original_.source(i) : entry(i).path.string(); }
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
