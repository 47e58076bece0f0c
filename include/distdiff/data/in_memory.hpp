#pragma once
// InMemoryDataset — the minimal LabelledDataset: images held in a vector.
//
//     distdiff::InMemoryDataset ds;
//     ds.dataset_name = "toy";
//     ds.classes = {"cat", "dog"};
//     ds.add(distdiff::read_image("cat0.png"), 0, "cat0.png");
//     ds.prompt(1);   // "a photo of a dog."
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "distdiff/concepts/dataset.hpp"
#include "distdiff/core/image.hpp"
#include "distdiff/data/prompt.hpp"
#include "distdiff/io/image_io.hpp"

namespace distdiff {

struct InMemoryDataset {
  using component_tag = dataset_tag;

  std::string dataset_name;                        // name(); "in_memory" when empty
  std::vector<std::string> classes;                // index = label
  std::string prompt_template = std::string(prompts::generic);
  std::vector<Image> images;
  std::vector<std::int64_t> labels;
  std::vector<std::string> sources;                // provenance; "memory:<i>" when not given

  // Appends one sample. Set `classes` first: the label must index it.
  void add(Image image, std::int64_t label, std::string source = {}) {
    detail::check_image(image, "distdiff::InMemoryDataset::add");
    if (label < 0 || static_cast<std::size_t>(label) >= classes.size())
      throw std::invalid_argument("distdiff::InMemoryDataset::add: label " + std::to_string(label) +
                                  " outside [0, " + std::to_string(classes.size()) +
                                  ") (set `classes` before adding samples)");
    if (source.empty()) source = "memory:" + std::to_string(images.size());
    images.push_back(std::move(image));
    labels.push_back(label);
    sources.push_back(std::move(source));
  }

  std::size_t size() const {
    if (labels.size() != images.size() || sources.size() != images.size())
      throw std::logic_error("distdiff::InMemoryDataset '" + name() + "': images (" + std::to_string(images.size()) +
                             "), labels (" + std::to_string(labels.size()) + ") and sources (" +
                             std::to_string(sources.size()) + ") differ in length");
    return images.size();
  }
  std::int64_t label(std::size_t i) const { return labels.at(check(i)); }
  Image load(std::size_t i) const { return images.at(check(i)); }
  const std::vector<std::string>& class_names() const { return classes; }
  std::string prompt(std::int64_t label) const {
    if (label < 0 || static_cast<std::size_t>(label) >= classes.size())
      throw std::out_of_range("distdiff::InMemoryDataset '" + name() + "': no class " + std::to_string(label));
    return format_prompt(prompt_template, classes[static_cast<std::size_t>(label)]);
  }
  std::string source(std::size_t i) const { return sources.at(check(i)); }
  std::string name() const { return dataset_name.empty() ? std::string("in_memory") : dataset_name; }

 private:
  std::size_t check(std::size_t i) const {
    if (i >= size())
      throw std::out_of_range("distdiff::InMemoryDataset '" + name() + "': index " + std::to_string(i) +
                              " >= size " + std::to_string(size()));
    return i;
  }
};

static_assert(LabelledDataset<InMemoryDataset>);

}  // namespace distdiff
