#pragma once
// Subset — a view of chosen samples of a dataset (by index), and per-class sampling.
//
//     auto few = distdiff::take_per_class(train, /*per_class=*/10, /*seed=*/0);  // 10-shot
//     distdiff::Subset<distdiff::Caltech101> first({train, {0, 1, 2}});
//
// The subset holds a copy of the dataset object (the readers hold only file
// lists; move an InMemoryDataset in) and the chosen indices, in the given order.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "distdiff/concepts/dataset.hpp"
#include "distdiff/core/image.hpp"
#include "distdiff/data/detail/random.hpp"

namespace distdiff {

template <LabelledDataset D>
class Subset {
 public:
  using component_tag = dataset_tag;

  Subset(D dataset, std::vector<std::size_t> indices) : base_(std::move(dataset)), indices_(std::move(indices)) {
    const std::size_t n = base_.size();
    for (std::size_t k = 0; k < indices_.size(); ++k)
      if (indices_[k] >= n)
        throw std::out_of_range("distdiff::Subset of '" + std::string(base_.name()) + "': index " +
                                std::to_string(indices_[k]) + " (position " + std::to_string(k) + ") >= size " +
                                std::to_string(n));
  }

  std::size_t size() const { return indices_.size(); }
  std::int64_t label(std::size_t i) const { return base_.label(at(i)); }
  Image load(std::size_t i) const { return base_.load(at(i)); }
  const std::vector<std::string>& class_names() const { return base_.class_names(); }
  std::string prompt(std::int64_t label) const { return base_.prompt(label); }
  std::string source(std::size_t i) const { return base_.source(at(i)); }
  std::string name() const { return std::string(base_.name()); }

  const D& base() const { return base_; }
  const std::vector<std::size_t>& indices() const { return indices_; }

 private:
  D base_;
  std::vector<std::size_t> indices_;

  std::size_t at(std::size_t i) const {
    if (i >= indices_.size())
      throw std::out_of_range("distdiff::Subset of '" + name() + "': index " + std::to_string(i) + " >= size " +
                              std::to_string(indices_.size()));
    return indices_[i];
  }
};

// `per_class` samples of every class drawn with `seed` (kept in dataset
// order). Reads labels only. Throws if a class has fewer samples.
template <LabelledDataset D>
Subset<D> take_per_class(D dataset, std::size_t per_class, std::uint64_t seed = 0) {
  std::vector<std::int64_t> labels(dataset.size());
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = dataset.label(i);
  auto idx = detail::sample_per_class(labels, dataset.class_names().size(), per_class, seed,
                                      "distdiff::take_per_class('" + std::string(dataset.name()) + "')");
  return Subset<D>(std::move(dataset), std::move(idx));
}

}  // namespace distdiff
