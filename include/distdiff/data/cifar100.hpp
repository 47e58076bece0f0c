#pragma once
// Cifar100 — CIFAR-100 from the binary version, and the paper's CIFAR100-Subset.
//
//     distdiff::Cifar100 train("/data", distdiff::Split::train);   // 100 per class = 10000 (paper)
//     distdiff::Cifar100 full("/data", distdiff::Split::train, 0); // all 50000
//     distdiff::Cifar100 test("/data", distdiff::Split::test);     // all 10000
//
// Layout: <root>/cifar-100-binary/{train.bin,test.bin,fine_label_names.txt}
// (or `root` is that folder). Each record: 1 coarse-label byte, 1 fine-label
// byte, 3072 bytes of 32x32 RGB in planar order (R plane, G, B). Labels are the
// 100 fine classes. The training split keeps `per_class` images of each class
// drawn with `seed` (0 = all), in file order; the test split is always
// complete. The kept records' pixels are held in memory (3 KB each).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "distdiff/concepts/dataset.hpp"
#include "distdiff/core/image.hpp"
#include "distdiff/data/detail/files.hpp"
#include "distdiff/data/detail/random.hpp"
#include "distdiff/data/prompt.hpp"
#include "distdiff/data/published.hpp"
#include "distdiff/data/split.hpp"

namespace distdiff {

class Cifar100 {
 public:
  using component_tag = dataset_tag;
  static constexpr std::size_t record_bytes = 2 + 3 * 32 * 32;

  std::filesystem::path root;
  Split split = Split::train;
  std::size_t per_class = 100;  // training split only; 0 = all 500
  std::uint64_t seed = 0;
  std::string prompt_template = std::string(prompts::cifar100);

  static PublishedSizes published_sizes() { return {100, 10000, 10000, 0}; }
  PublishedSizes expected_sizes() const {
    auto s = published_sizes();
    s.train = per_class == 0 ? 50000 : per_class * 100;
    return s;
  }

  explicit Cifar100(std::filesystem::path root_folder, Split which = Split::train, std::size_t per_class_ = 100,
                    std::uint64_t seed_ = 0)
      : root(std::move(root_folder)), split(which), per_class(per_class_), seed(seed_) {
    const std::string who = "distdiff::Cifar100";
    if (split == Split::val) throw std::invalid_argument(who + ": CIFAR-100 has no validation split (train or test)");
    detail::require_dir(root, who, "dataset root");
    std::filesystem::path dir = root / "cifar-100-binary";
    if (!std::filesystem::is_directory(dir)) dir = root;
    const auto names_file = dir / "fine_label_names.txt";
    file_ = dir / (split == Split::train ? "train.bin" : "test.bin");
    detail::require_file(names_file, who);
    detail::require_file(file_, who);
    classes_ = detail::read_lines(names_file, who);
    if (classes_.size() != 100)
      throw std::runtime_error(who + ": " + detail::quoted(names_file) + " lists " + std::to_string(classes_.size()) +
                               " class names, expected 100");
    const auto bytes = std::filesystem::file_size(file_);
    if (bytes == 0 || bytes % record_bytes != 0)
      throw std::runtime_error(who + ": " + detail::quoted(file_) + " is " + std::to_string(bytes) +
                               " bytes, not a whole number of 3074-byte records");
    const std::size_t n = bytes / record_bytes;
    std::ifstream in(file_, std::ios::binary);
    if (!in) throw std::runtime_error(who + ": cannot open " + detail::quoted(file_));
    std::vector<std::int64_t> all(n);
    std::vector<std::uint8_t> rec(record_bytes);
    const bool keep_all = split == Split::test || per_class == 0;
    if (keep_all) pixels_.reserve(n * 3072);
    for (std::size_t i = 0; i < n; ++i) {
      in.read(reinterpret_cast<char*>(rec.data()), record_bytes);
      if (!in) throw std::runtime_error(who + ": read error in " + detail::quoted(file_));
      if (rec[0] >= 20 || rec[1] >= 100)
        throw std::runtime_error(who + ": " + detail::quoted(file_) + ": record " + std::to_string(i) +
                                 " has labels (" + std::to_string(rec[0]) + ", " + std::to_string(rec[1]) +
                                 "), expected coarse < 20 and fine < 100");
      all[i] = rec[1];
      if (keep_all) pixels_.insert(pixels_.end(), rec.begin() + 2, rec.end());
    }
    if (keep_all) {
      labels_ = all;
      records_.resize(n);
      for (std::size_t i = 0; i < n; ++i) records_[i] = i;
      return;
    }
    records_ = detail::sample_per_class(all, 100, per_class, seed, who + " " + detail::quoted(file_));
    pixels_.resize(records_.size() * 3072);
    labels_.resize(records_.size());
    for (std::size_t j = 0; j < records_.size(); ++j) {
      in.clear();
      in.seekg(static_cast<std::streamoff>(records_[j] * record_bytes + 2));
      in.read(reinterpret_cast<char*>(pixels_.data() + j * 3072), 3072);
      if (!in) throw std::runtime_error(who + ": read error in " + detail::quoted(file_));
      labels_[j] = all[records_[j]];
    }
  }

  std::size_t size() const { return labels_.size(); }
  std::int64_t label(std::size_t i) const { return labels_[check(i)]; }
  // 32x32 RGB (planar record converted to interleaved).
  Image load(std::size_t i) const {
    const std::uint8_t* p = pixels_.data() + check(i) * 3072;
    Image img(32, 32, 3);
    for (std::size_t k = 0; k < 1024; ++k)
      for (std::size_t c = 0; c < 3; ++c) img.pixels[k * 3 + c] = p[c * 1024 + k];
    return img;
  }
  const std::vector<std::string>& class_names() const { return classes_; }
  std::string prompt(std::int64_t label) const {
    if (label < 0 || label >= 100) throw std::out_of_range("distdiff::Cifar100: no class " + std::to_string(label));
    return format_prompt(prompt_template, classes_[static_cast<std::size_t>(label)]);
  }
  // "<file>#<record index>"
  std::string source(std::size_t i) const { return file_.string() + "#" + std::to_string(records_[check(i)]); }
  std::string name() const { return split == Split::train && per_class != 0 ? "cifar100_subset" : "cifar100"; }

 private:
  std::filesystem::path file_;
  std::vector<std::string> classes_;
  std::vector<std::uint8_t> pixels_;
  std::vector<std::int64_t> labels_;
  std::vector<std::size_t> records_;

  std::size_t check(std::size_t i) const {
    if (i >= labels_.size())
      throw std::out_of_range("distdiff::Cifar100: index " + std::to_string(i) + " >= size " +
                              std::to_string(labels_.size()));
    return i;
  }
};

static_assert(LabelledDataset<Cifar100>);

}  // namespace distdiff
