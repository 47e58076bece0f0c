#pragma once
// FirstClasses — a dataset narrowed to its first n classes (labels 0 … n-1
// keep their values), for smoke runs and small studies:
//
//     auto three = distdiff::first_classes(distdiff::FashionMnist(root), 3);   // T-shirt/top, Trouser, Pullover
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "distdiff/concepts/dataset.hpp"
#include "distdiff/core/image.hpp"
#include "distdiff/data/in_memory.hpp"

namespace distdiff {

template <LabelledDataset D>
class FirstClasses {
 public:
  using component_tag = dataset_tag;

  FirstClasses(D dataset, std::size_t n) : base_(std::move(dataset)) {
    const auto& all = base_.class_names();
    if (n < 1 || n > all.size())
      throw std::invalid_argument("distdiff::first_classes('" + std::string(base_.name()) + "'): asked for " +
                                  std::to_string(n) + " classes, the dataset has " + std::to_string(all.size()));
    names_.assign(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n));
    for (std::size_t i = 0; i < base_.size(); ++i)
      if (base_.label(i) < static_cast<std::int64_t>(n)) indices_.push_back(i);
  }

  std::size_t size() const { return indices_.size(); }
  std::int64_t label(std::size_t i) const { return base_.label(at(i)); }
  Image load(std::size_t i) const { return base_.load(at(i)); }
  const std::vector<std::string>& class_names() const { return names_; }
  std::string prompt(std::int64_t label) const { return base_.prompt(label); }
  std::string source(std::size_t i) const { return base_.source(at(i)); }
  std::string name() const { return std::string(base_.name()); }

 private:
  D base_;
  std::vector<std::string> names_;
  std::vector<std::size_t> indices_;

  std::size_t at(std::size_t i) const {
    if (i >= indices_.size())
      throw std::out_of_range("distdiff::first_classes('" + name() + "'): index " + std::to_string(i) +
                              " >= size " + std::to_string(indices_.size()));
    return indices_[i];
  }
};

template <LabelledDataset D>
FirstClasses<D> first_classes(D dataset, std::size_t n) {
  return FirstClasses<D>(std::move(dataset), n);
}

static_assert(LabelledDataset<FirstClasses<InMemoryDataset>>);

}  // namespace distdiff
