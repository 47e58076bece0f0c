#pragma once
// OxfordPets — Oxford-IIIT Pet (37 breeds) with its trainval / test split.
//
//     distdiff::OxfordPets train("/data/oxford-iiit-pet", distdiff::Split::train);  // trainval: 3680
//     distdiff::OxfordPets test("/data/oxford-iiit-pet", distdiff::Split::test);    // test: 3669
//
// Layout: <root>/annotations/{trainval.txt,test.txt}, lines
// "Abyssinian_100 1 1 1" = image stem, class id 1..37, species, breed id
// ('#' lines are comments); images <root>/images/<stem>.jpg. Class names are the
// image stems without the trailing "_<number>" (e.g. "american_bulldog"; the
// prompt shows '_' as a space), read from both annotation files so every split
// sees all 37. Label = class id - 1.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "distdiff/concepts/dataset.hpp"
#include "distdiff/data/detail/file_backed.hpp"
#include "distdiff/data/detail/files.hpp"
#include "distdiff/data/prompt.hpp"
#include "distdiff/data/published.hpp"
#include "distdiff/data/split.hpp"

namespace distdiff {

class OxfordPets : public detail::FileBackedDataset {
 public:
  using component_tag = dataset_tag;

  std::filesystem::path root;  // as constructed
  Split split = Split::train;

  static PublishedSizes published_sizes() { return {37, 3680, 3669, 0}; }
  PublishedSizes expected_sizes() const { return published_sizes(); }

  explicit OxfordPets(std::filesystem::path root_folder, Split which = Split::train)
      : root(std::move(root_folder)), split(which) {
    const std::string who = "distdiff::OxfordPets";
    id_ = who;
    prompt_template = std::string(prompts::oxford_pets);
    if (split == Split::val) throw std::invalid_argument(who + ": Oxford-IIIT Pet has no validation split (train = trainval, or test)");
    detail::require_dir(root, who, "dataset root");
    detail::require_dir(root / "annotations", who, "folder");
    detail::require_dir(root / "images", who, "image folder");
    struct Row {
      std::string stem;
      std::int64_t id;
    };
    auto parse = [&](const std::filesystem::path& file) {
      std::vector<Row> rows;
      const auto lines = detail::read_lines(file, who);
      for (std::size_t i = 0; i < lines.size(); ++i) {
        if (lines[i][0] == '#') continue;
        const auto f = detail::split_ws(lines[i]);
        const std::string where = who + ": " + detail::quoted(file) + " line " + std::to_string(i + 1);
        if (f.size() < 2) throw std::runtime_error(where + ": expected \"<image> <class id> <species> <breed id>\"");
        rows.push_back({f[0], detail::parse_int(f[1], where)});
        if (rows.back().id < 1) throw std::runtime_error(where + ": class id must be >= 1");
      }
      return rows;
    };
    const auto trainval = parse(root / "annotations" / "trainval.txt");
    const auto test = parse(root / "annotations" / "test.txt");
    for (const auto* rows : {&trainval, &test})
      for (const auto& r : *rows) {
        const auto us = r.stem.rfind('_');
        const std::string cls = us == std::string::npos ? r.stem : r.stem.substr(0, us);
        const auto idx = static_cast<std::size_t>(r.id - 1);
        if (classes_.size() <= idx) classes_.resize(idx + 1);
        if (classes_[idx].empty()) classes_[idx] = cls;
        if (classes_[idx] != cls)
          throw std::runtime_error(who + ": class id " + std::to_string(r.id) + " names both '" + classes_[idx] +
                                   "' and '" + cls + "' (image " + r.stem + ")");
      }
    for (std::size_t c = 0; c < classes_.size(); ++c)
      if (classes_[c].empty())
        throw std::runtime_error(who + ": no image of class id " + std::to_string(c + 1) + " in the annotation files");
    for (const auto& r : split == Split::train ? trainval : test) {
      const auto path = root / "images" / (r.stem + ".jpg");
      detail::require_file(path, who, "image");
      add_file(path, r.id - 1);
    }
  }

  std::string name() const { return "oxford_pets"; }
};

static_assert(LabelledDataset<OxfordPets>);

}  // namespace distdiff
