#pragma once
// Dtd — the Describable Textures Dataset (47 classes) with its fold files.
//
//     distdiff::Dtd train("/data/dtd", distdiff::Split::train);  // train1 + val1 = 3760 (paper)
//     distdiff::Dtd test("/data/dtd", distdiff::Split::test);    // test1 = 1880
//
// Layout: <root>/images/<class>/<file>.jpg and <root>/labels/{train,val,test}<fold>.txt
// with lines "banded/banded_0002.jpg" (relative to images/). Classes are the
// sub-folders of images/ sorted by name; label = position. Splits for fold k:
// train = train<k> + val<k> when merge_val_into_train (the paper's 3760 / 1880),
// else train<k> alone; val = val<k>; test = test<k>.
#include <algorithm>
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

class Dtd : public detail::FileBackedDataset {
 public:
  using component_tag = dataset_tag;

  std::filesystem::path root;  // as constructed
  Split split = Split::train;
  int fold = 1;                // 1..10
  bool merge_val_into_train = true;

  static PublishedSizes published_sizes() { return {47, 3760, 1880, 1880}; }
  PublishedSizes expected_sizes() const {
    auto s = published_sizes();
    if (!merge_val_into_train) s.train = 1880;
    return s;
  }

  explicit Dtd(std::filesystem::path root_folder, Split which = Split::train, int fold_ = 1,
               bool merge_val_into_train_ = true)
      : root(std::move(root_folder)), split(which), fold(fold_), merge_val_into_train(merge_val_into_train_) {
    const std::string who = "distdiff::Dtd";
    id_ = who;
    prompt_template = std::string(prompts::dtd);
    if (fold < 1 || fold > 10) throw std::invalid_argument(who + ": fold must be in 1..10, got " + std::to_string(fold));
    detail::require_dir(root, who, "dataset root");
    detail::require_dir(root / "images", who, "image folder");
    detail::require_dir(root / "labels", who, "folder");
    classes_ = detail::sorted_entries(root / "images", true);
    if (classes_.empty()) throw std::runtime_error(who + ": no class folders in " + detail::quoted(root / "images"));
    std::vector<std::string> parts;
    if (split == Split::train) {
      parts.push_back("train");
      if (merge_val_into_train) parts.push_back("val");
    } else {
      parts.push_back(split == Split::val ? "val" : "test");
    }
    for (const auto& part : parts) {
      const auto file = root / "labels" / (part + std::to_string(fold) + ".txt");
      const auto lines = detail::read_lines(file, who);
      for (std::size_t i = 0; i < lines.size(); ++i) {
        const auto slash = lines[i].find('/');
        const std::string where = who + ": " + detail::quoted(file) + " line " + std::to_string(i + 1);
        if (slash == std::string::npos) throw std::runtime_error(where + ": expected \"<class>/<file>\", got '" + lines[i] + "'");
        const std::string cls = lines[i].substr(0, slash);
        const auto it = std::lower_bound(classes_.begin(), classes_.end(), cls);
        if (it == classes_.end() || *it != cls)
          throw std::runtime_error(where + ": class '" + cls + "' has no folder in " + detail::quoted(root / "images"));
        const auto path = root / "images" / lines[i];
        detail::require_file(path, who, "image");
        add_file(path, it - classes_.begin());
      }
    }
  }

  std::string name() const { return "dtd"; }
};

static_assert(LabelledDataset<Dtd>);

}  // namespace distdiff
