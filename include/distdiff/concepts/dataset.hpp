#pragma once
// LabelledDataset — a labelled image collection, read lazily.
//
// Contract
//   d.size() -> std::size_t
//   d.label(i) -> std::int64_t in [0, num_classes)      (cheap: no decoding)
//   d.load(i) -> distdiff::Image                          (decodes one image)
//   d.class_names() -> const std::vector<std::string>&   (index = label)
//   d.prompt(label) -> std::string   the text prompt for that class, from the
//                                     dataset's template (paper Table 9)
//   d.source(i) -> std::string       where sample i came from (path or id), for
//                                     provenance in manifests
//   d.name() -> string
//
// Minimal model: data/in_memory.hpp (images held in a vector).
#include <cstddef>

#include "distdiff/concepts/component.hpp"

namespace distdiff {

struct Image;  // core/image.hpp
struct dataset_tag {};

template <class T>
concept LabelledDataset =
    HasTag<T, dataset_tag> && Named<T> && requires(const T& d, std::size_t i, std::int64_t c) {
      { d.size() } -> std::convertible_to<std::size_t>;
      { d.label(i) } -> std::convertible_to<std::int64_t>;
      { d.load(i) } -> std::same_as<Image>;
      { d.class_names() } -> std::convertible_to<const std::vector<std::string>&>;
      { d.prompt(c) } -> std::convertible_to<std::string>;
      { d.source(i) } -> std::convertible_to<std::string>;
    };

}  // namespace distdiff
