#pragma once
// The shared body of the file-based readers: a list of image files with labels,
// the class names and a prompt template. Images are decoded on each load().
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "distdiff/core/image.hpp"
#include "distdiff/data/prompt.hpp"
#include "distdiff/io/image_io.hpp"

namespace distdiff::detail {

class FileBackedDataset {
 public:
  std::size_t size() const { return files_.size(); }
  std::int64_t label(std::size_t i) const { return labels_[check(i)]; }
  Image load(std::size_t i) const { return read_image(files_[check(i)]); }
  const std::vector<std::string>& class_names() const { return classes_; }
  std::string prompt(std::int64_t label) const {
    if (label < 0 || static_cast<std::size_t>(label) >= classes_.size())
      throw std::out_of_range(id_ + ": no class " + std::to_string(label) + " (" + std::to_string(classes_.size()) +
                              " classes)");
    return format_prompt(prompt_template, classes_[static_cast<std::size_t>(label)]);
  }
  std::string source(std::size_t i) const { return files_[check(i)].string(); }
  const std::filesystem::path& file(std::size_t i) const { return files_[check(i)]; }

  std::string prompt_template = std::string(prompts::generic);  // Table 9 template ("{}" = class)

 protected:
  std::string id_;  // names the dataset in errors
  std::vector<std::string> classes_;
  std::vector<std::filesystem::path> files_;
  std::vector<std::int64_t> labels_;

  void add_file(std::filesystem::path f, std::int64_t label) {
    files_.push_back(std::move(f));
    labels_.push_back(label);
  }
  std::size_t check(std::size_t i) const {
    if (i >= files_.size())
      throw std::out_of_range(id_ + ": index " + std::to_string(i) + " >= size " + std::to_string(files_.size()));
    return i;
  }
};

}  // namespace distdiff::detail
