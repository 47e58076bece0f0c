#pragma once
// Concat — the samples of one dataset followed by those of another with the
// same classes (e.g. real images followed by generated ones).
//
//     auto both = distdiff::concat(train_a, train_b);   // train_a's samples, then train_b's
//
// Both parts must list the same class names in the same order; class names and
// prompts come from the first part. Each part is held by value.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "distdiff/concepts/dataset.hpp"
#include "distdiff/core/image.hpp"

namespace distdiff {

template <LabelledDataset A, LabelledDataset B>
class Concat {
 public:
  using component_tag = dataset_tag;

  Concat(A first, B second) : a_(std::move(first)), b_(std::move(second)) {
    if (a_.class_names() != b_.class_names())
      throw std::invalid_argument("distdiff::Concat: '" + std::string(a_.name()) + "' and '" + std::string(b_.name()) +
                                  "' have different classes (" + std::to_string(a_.class_names().size()) + " vs " +
                                  std::to_string(b_.class_names().size()) + " names, or a different order)");
  }

  std::size_t size() const { return a_.size() + b_.size(); }
  std::int64_t label(std::size_t i) const { return i < a_.size() ? a_.label(i) : b_.label(second(i)); }
  Image load(std::size_t i) const { return i < a_.size() ? a_.load(i) : b_.load(second(i)); }
  const std::vector<std::string>& class_names() const { return a_.class_names(); }
  std::string prompt(std::int64_t label) const { return a_.prompt(label); }
  std::string source(std::size_t i) const { return i < a_.size() ? a_.source(i) : b_.source(second(i)); }
  std::string name() const { return std::string(a_.name()) + "+" + std::string(b_.name()); }

  const A& first() const { return a_; }
  const B& second_part() const { return b_; }

 private:
  A a_;
  B b_;

  std::size_t second(std::size_t i) const {
    if (i >= size())
      throw std::out_of_range("distdiff::Concat '" + name() + "': index " + std::to_string(i) + " >= size " +
                              std::to_string(size()));
    return i - a_.size();
  }
};

template <LabelledDataset A, LabelledDataset B>
Concat<A, B> concat(A a, B b) {
  return Concat<A, B>(std::move(a), std::move(b));
}

}  // namespace distdiff
