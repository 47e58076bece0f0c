#pragma once
// Caltech101 — Caltech-101 in its published layout.
//
//     distdiff::Caltech101 train("/data/caltech101", distdiff::Split::train);  // 3060 images
//     distdiff::Caltech101 test("/data/caltech101", distdiff::Split::test);    // 6085 images
//
// Layout: <root>/101_ObjectCategories/<class>/image_*.jpg (or `root` is that
// folder itself). 102 classes including BACKGROUND_Google, sorted bytewise
// (upper case first, as Python's sorted()); label = position.
// Split rule (paper Table 8: 30 per class for training, the rest for testing):
// each class's files are sorted by name, optionally permuted with
// `shuffle_seed`, and the first `train_per_class` go to train, the rest to test.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "distdiff/concepts/dataset.hpp"
#include "distdiff/data/detail/file_backed.hpp"
#include "distdiff/data/detail/files.hpp"
#include "distdiff/data/detail/random.hpp"
#include "distdiff/data/prompt.hpp"
#include "distdiff/data/published.hpp"
#include "distdiff/data/split.hpp"

namespace distdiff {

class Caltech101 : public detail::FileBackedDataset {
 public:
  using component_tag = dataset_tag;

  std::filesystem::path root;                  // as constructed
  Split split = Split::train;
  std::size_t train_per_class = 30;
  std::optional<std::uint64_t> shuffle_seed;   // none: the first files by name

  static PublishedSizes published_sizes() { return {102, 3060, 6085, 0}; }
  PublishedSizes expected_sizes() const { return published_sizes(); }

  explicit Caltech101(std::filesystem::path root_folder, Split which = Split::train, std::size_t train_per_class_ = 30,
                      std::optional<std::uint64_t> shuffle_seed_ = std::nullopt)
      : root(std::move(root_folder)), split(which), train_per_class(train_per_class_), shuffle_seed(shuffle_seed_) {
    const std::string who = "distdiff::Caltech101";
    id_ = who;
    prompt_template = std::string(prompts::caltech101);
    if (split == Split::val) throw std::invalid_argument(who + ": Caltech-101 has no validation split (train or test)");
    detail::require_dir(root, who, "dataset root");
    std::filesystem::path cats = root / "101_ObjectCategories";
    if (!std::filesystem::is_directory(cats) && root.filename() == "101_ObjectCategories") cats = root;
    detail::require_dir(cats, who, "folder");
    classes_ = detail::sorted_entries(cats, true);
    if (classes_.empty()) throw std::runtime_error(who + ": no class folders in " + detail::quoted(cats));
    for (std::size_t c = 0; c < classes_.size(); ++c) {
      std::vector<std::string> files;
      for (auto& f : detail::sorted_entries(cats / classes_[c], false))
        if (detail::has_image_extension(f)) files.push_back(f);
      if (files.size() < train_per_class)
        throw std::runtime_error(who + ": class folder " + detail::quoted(cats / classes_[c]) + " holds " +
                                 std::to_string(files.size()) + " images, fewer than train_per_class = " +
                                 std::to_string(train_per_class));
      if (shuffle_seed) {
        std::mt19937_64 rng(detail::mix_seed({*shuffle_seed, c}));
        detail::shuffle(files, rng);
      }
      const std::size_t b = split == Split::train ? 0 : train_per_class;
      const std::size_t e = split == Split::train ? train_per_class : files.size();
      for (std::size_t k = b; k < e; ++k) add_file(cats / classes_[c] / files[k], static_cast<std::int64_t>(c));
    }
  }

  std::string name() const { return "caltech101"; }
};

static_assert(LabelledDataset<Caltech101>);

}  // namespace distdiff
