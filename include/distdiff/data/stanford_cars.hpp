#pragma once
// StanfordCars — Stanford Cars (196 classes) from the devkit .mat files or a CSV export.
//
//     distdiff::StanfordCars train("/data/stanford_cars", distdiff::Split::train);  // 8144
//     distdiff::StanfordCars test("/data/stanford_cars", distdiff::Split::test);    // 8041
//
// Layout (each .mat is looked up in <root>/devkit/ and then <root>/):
//   devkit/cars_meta.mat                   class_names: 1x196 cell of strings
//   devkit/cars_train_annos.mat            annotations: struct array (bbox_x1..y2, class, fname)
//   cars_test_annos_withlabels.mat         the same for the test images
//   cars_train/<fname>, cars_test/<fname>  images
// CSV alternative, used when the split's annotation .mat is absent:
//   <root>/{train,test}.csv or Kaggle's <root>/anno_{train,test}.csv: one row
//   per image, first field the file name, last field the 1-based class id
//   (so both "fname,class_id" and "fname,x1,y1,x2,y2,class" work; a header row
//   is skipped); class names from cars_meta.mat or <root>/names.csv (one per line).
// Labels are class - 1. Bounding boxes are not used (the paper trains on full images).
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "distdiff/concepts/dataset.hpp"
#include "distdiff/data/detail/file_backed.hpp"
#include "distdiff/data/detail/files.hpp"
#include "distdiff/data/detail/mat.hpp"
#include "distdiff/data/prompt.hpp"
#include "distdiff/data/published.hpp"
#include "distdiff/data/split.hpp"

namespace distdiff {

class StanfordCars : public detail::FileBackedDataset {
 public:
  using component_tag = dataset_tag;

  std::filesystem::path root;  // as constructed
  Split split = Split::train;

  static PublishedSizes published_sizes() { return {196, 8144, 8041, 0}; }
  PublishedSizes expected_sizes() const { return published_sizes(); }

  explicit StanfordCars(std::filesystem::path root_folder, Split which = Split::train)
      : root(std::move(root_folder)), split(which) {
    const std::string who = "distdiff::StanfordCars";
    id_ = who;
    prompt_template = std::string(prompts::stanford_cars);
    if (split == Split::val) throw std::invalid_argument(who + ": Stanford Cars has no validation split (train or test)");
    detail::require_dir(root, who, "dataset root");
    const bool train = split == Split::train;
    const std::filesystem::path images = root / (train ? "cars_train" : "cars_test");
    detail::require_dir(images, who, "image folder");

    // Class names.
    if (auto meta = find({root / "devkit" / "cars_meta.mat", root / "cars_meta.mat"}); !meta.empty()) {
      classes_ = detail::MatFile(meta, who).strings("class_names");
    } else if (std::filesystem::is_regular_file(root / "names.csv")) {
      classes_ = detail::read_lines(root / "names.csv", who);
    } else {
      throw std::runtime_error(who + ": missing file " + detail::quoted(root / "devkit" / "cars_meta.mat") +
                               " (or " + detail::quoted(root / "names.csv") + ")");
    }
    if (classes_.empty()) throw std::runtime_error(who + ": no class names");

    // Annotations.
    const std::string mat_name = train ? "cars_train_annos.mat" : "cars_test_annos_withlabels.mat";
    std::vector<std::pair<std::string, std::int64_t>> rows;  // (fname, 1-based class)
    if (auto annos = find({root / "devkit" / mat_name, root / mat_name}); !annos.empty()) {
      detail::MatFile mat(annos, who);
      auto var = mat.read("annotations");
      const std::string where = mat.where("annotations");
      const std::size_t n = detail::mat_numel(var.get());
      for (std::size_t i = 0; i < n; ++i) {
        const auto cls = detail::mat_integers(detail::mat_field(var.get(), "class", i, where),
                                              where + "(" + std::to_string(i + 1) + ").class");
        if (cls.size() != 1) throw std::runtime_error(where + "(" + std::to_string(i + 1) + ").class: expected one number");
        rows.emplace_back(detail::mat_string(detail::mat_field(var.get(), "fname", i, where),
                                             where + "(" + std::to_string(i + 1) + ").fname"),
                          cls[0]);
      }
    } else if (auto csv = find({root / (train ? "train.csv" : "test.csv"), root / (train ? "anno_train.csv" : "anno_test.csv")});
               !csv.empty()) {
      const auto lines = detail::read_lines(csv, who);
      for (std::size_t i = 0; i < lines.size(); ++i) {
        const auto first = lines[i].find(',');
        const auto last = lines[i].rfind(',');
        if (first == std::string::npos) throw std::runtime_error(who + ": " + detail::quoted(csv) + " line " + std::to_string(i + 1) + ": expected fname,...,class_id");
        const std::string where = who + ": " + detail::quoted(csv) + " line " + std::to_string(i + 1);
        const std::string last_field = detail::trim(lines[i].substr(last + 1));
        if (i == 0 && !last_field.empty() && !std::isdigit(static_cast<unsigned char>(last_field[0]))) continue;  // header
        rows.emplace_back(detail::trim(lines[i].substr(0, first)), detail::parse_int(last_field, where));
      }
    } else {
      throw std::runtime_error(who + ": missing file " + detail::quoted(root / "devkit" / mat_name) + " (or " +
                               detail::quoted(root / (train ? "train.csv" : "test.csv")) + ")");
    }
    if (rows.empty()) throw std::runtime_error(who + ": no annotations for the " + to_string(split) + " split");
    for (const auto& [fname, cls] : rows) {
      if (cls < 1 || static_cast<std::size_t>(cls) > classes_.size())
        throw std::runtime_error(who + ": image '" + fname + "' has class " + std::to_string(cls) + ", outside 1.." +
                                 std::to_string(classes_.size()));
      const auto path = images / fname;
      detail::require_file(path, who, "image");
      add_file(path, cls - 1);
    }
  }

  std::string name() const { return "stanford_cars"; }

 private:
  static std::filesystem::path find(std::initializer_list<std::filesystem::path> candidates) {
    for (const auto& p : candidates) {
      std::error_code ec;
      if (std::filesystem::is_regular_file(p, ec)) return p;
    }
    return {};
  }
};

static_assert(LabelledDataset<StanfordCars>);

}  // namespace distdiff
