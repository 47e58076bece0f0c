#pragma once
// The images a tool reads, chosen by name — one definition shared by the
// expansion tools (`expand_main`) and `train_classifier`, so a classifier
// trains on exactly the seed images a run expanded and is tested on the same
// classes under the same shift:
//
//     distdiff::DatasetChoice c{.kind = "fashion_mnist", .pool = "target", .shots = 10, .seed = 1,
//                               .shift = "invert"};
//     auto seeds = distdiff::open_seed_dataset(c);   // 10 per class from the target pool, inverted
//     auto test  = distdiff::open_test_dataset(c);   // the 10,000 test images, inverted
//
// Order of narrowing: the dataset's training split → its first `classes`
// classes → the small world's `pool` → `shots` images per class drawn by
// `seed` → the `shift` (data/shifted.hpp). The test split gets the same
// classes and shift, never a pool or a draw.
//
// image_folder: `root` holds one folder per class (root/<class>/*.png), the
// test images are in `test_root` (same class folders); a root that holds
// train/ (and test/) folders is read as root/train and root/test.
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "distdiff/data/any.hpp"
#include "distdiff/data/fashion_mnist.hpp"
#include "distdiff/data/first_classes.hpp"
#include "distdiff/data/image_folder.hpp"
#include "distdiff/data/shapes.hpp"
#include "distdiff/data/shifted.hpp"
#include "distdiff/data/split.hpp"
#include "distdiff/data/subset.hpp"
#include "distdiff/pretrain/foundation_split.hpp"

namespace distdiff {

struct DatasetChoice {
  std::string kind = "shapes";       // "shapes" or a name of distdiff::dataset_names()
  std::filesystem::path root;        // dataset folder (fashion_mnist: Debian's by default)
  std::filesystem::path test_root;   // image_folder: the test images' class folders
  std::int64_t per_class = 4;        // shapes: images per class
  // Which training images: "all", or the small world's "target" pool /
  // "foundation" split (pretrain::split_foundation with its default settings,
  // the ones the shipped models were trained with).
  std::string pool = "all";
  std::int64_t shots = 0;            // > 0: that many seed images per class, drawn by `seed` from the pool
  std::uint64_t seed = 0;            // the k-shot draw (and the shapes generator)
  std::int64_t classes = 0;          // > 0: only the first `classes` classes
  std::string shift = "none";        // data/shifted.hpp

  // "fashion_mnist", "fashion_mnist+invert", an image folder's folder name …:
  // what a results row calls the data (pool, shots and seed are columns of their own).
  std::string id() const {
    std::string base = kind;
    if (kind == "image_folder") {
      auto r = std::filesystem::weakly_canonical(root);
      if (r.filename() == "train") r = r.parent_path();
      if (!r.filename().empty()) base = r.filename().string();
    }
    if (classes > 0) base += "-" + std::to_string(classes) + "c";
    return shift == "none" ? base : base + "+" + shift;
  }

  // One line for logs: "fashion_mnist, target pool, 10-shot (draw 1), shift invert".
  std::string describe() const {
    std::string s = kind;
    if (classes > 0) s += ", first " + std::to_string(classes) + " classes";
    if (pool != "all") s += ", " + pool + " pool";
    if (shots > 0) s += ", " + std::to_string(shots) + "-shot (draw " + std::to_string(seed) + ")";
    if (shift != "none") s += ", shift " + shift;
    return s;
  }

  void validate() const {
    if (pool != "all" && pool != "target" && pool != "foundation")
      throw std::invalid_argument("--pool must be all, target or foundation, got '" + pool + "'");
    if (shots < 0) throw std::invalid_argument("--shots must be >= 0, got " + std::to_string(shots));
    if (classes < 0) throw std::invalid_argument("--classes must be >= 0, got " + std::to_string(classes));
    check_shift_name(shift);
    if (kind == "shapes") return;
    bool known = false;
    for (const auto& n : dataset_names()) known = known || n == kind;
    if (!known) {
      std::string names = "shapes";
      for (const auto& n : dataset_names()) names += ", " + n;
      throw std::invalid_argument("--dataset: unknown dataset '" + kind + "' (known: " + names + ")");
    }
    if (root.empty() && kind != "fashion_mnist")
      throw std::invalid_argument("--dataset " + kind + " needs --root <folder>");
  }
};

namespace detail {

inline std::filesystem::path image_folder_split(const DatasetChoice& c, Split split) {
  namespace fs = std::filesystem;
  if (split == Split::train) return fs::is_directory(c.root / "train") ? c.root / "train" : c.root;
  if (!c.test_root.empty()) return c.test_root;
  if (fs::is_directory(c.root / to_string(split))) return c.root / to_string(split);
  throw std::invalid_argument("image_folder: no test images for '" + c.root.string() +
                              "': pass --test-root <folder of class folders> (or use root/train + root/test)");
}

inline AnyDataset open_choice_split(const DatasetChoice& c, Split split) {
  c.validate();
  AnyDataset data = [&]() -> AnyDataset {
    if (c.kind == "shapes")
      return AnyDataset(make_shapes_dataset(c.per_class, 32, split == Split::train ? c.seed : c.seed + 1000003));
    if (c.kind == "image_folder") return AnyDataset(ImageFolderDataset(image_folder_split(c, split)));
    return open_dataset(c.kind, c.root.empty() ? default_fashion_mnist_root() : c.root, split);
  }();
  if (c.classes > 0) data = AnyDataset(first_classes(std::move(data), std::size_t(c.classes)));
  return data;
}

}  // namespace detail

// The training split of the chosen dataset, narrowed to its classes, pool and
// k-shot draw, under its shift: the seed images to expand (or to train on).
inline AnyDataset open_seed_dataset(const DatasetChoice& c) {
  AnyDataset data = detail::open_choice_split(c, Split::train);
  if (c.pool == "target") data = AnyDataset(pretrain::target_subset(std::move(data)));
  if (c.pool == "foundation") data = AnyDataset(pretrain::foundation_subset(std::move(data)));
  if (c.shots > 0) data = AnyDataset(take_per_class(std::move(data), std::size_t(c.shots), c.seed));
  if (c.shift != "none") data = AnyDataset(shifted(std::move(data), c.shift));
  return data;
}

// The test split with the same classes and shift (no pool, no draw).
inline AnyDataset open_test_dataset(const DatasetChoice& c) {
  AnyDataset data = detail::open_choice_split(c, Split::test);
  if (c.shift != "none") data = AnyDataset(shifted(std::move(data), c.shift));
  return data;
}

}  // namespace distdiff
