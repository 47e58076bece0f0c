#pragma once
// Shifted — a dataset seen through a documented visual shift, for studying a
// target that differs from what the generator was trained on:
//
//     auto target = distdiff::shifted(distdiff::FashionMnist(root), "invert");
//
// Shifts (`shift_names()`):
//   none     the images as they are
//   invert   the photographic negative, 255 − v per channel: Fashion-MNIST's
//            light garments on black become dark garments on white
//   sepia    grey value g becomes the RGB colour (g, 0.8 g, 0.6 g): a warm
//            tint on an otherwise grey dataset (colour images: their luma)
// The shift is applied on load(); labels, classes, prompts and sources are
// the base dataset's, and name() gains "+<shift>".
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "distdiff/concepts/dataset.hpp"
#include "distdiff/core/image.hpp"
#include "distdiff/data/in_memory.hpp"

namespace distdiff {

inline const std::vector<std::string>& shift_names() {
  static const std::vector<std::string> names{"none", "invert", "sepia"};
  return names;
}

// Applies the named shift to one image (a copy).
inline Image apply_shift(const std::string& shift, Image img) {
  if (shift == "none") return img;
  if (shift == "invert") {
    const int colour = img.channels == 4 ? 3 : img.channels;   // alpha stays
    for (std::size_t p = 0; p < img.pixels.size(); ++p)
      if (int(p % std::size_t(img.channels)) < colour) img.pixels[p] = std::uint8_t(255 - img.pixels[p]);
    return img;
  }
  if (shift == "sepia") {
    Image out(img.width, img.height, 3);
    for (int y = 0; y < img.height; ++y)
      for (int x = 0; x < img.width; ++x) {
        const double g = img.channels < 3 ? img.at(x, y, 0)
                                          : 0.299 * img.at(x, y, 0) + 0.587 * img.at(x, y, 1) + 0.114 * img.at(x, y, 2);
        out.at(x, y, 0) = std::uint8_t(std::clamp(g + 0.5, 0.0, 255.0));
        out.at(x, y, 1) = std::uint8_t(std::clamp(0.8 * g + 0.5, 0.0, 255.0));
        out.at(x, y, 2) = std::uint8_t(std::clamp(0.6 * g + 0.5, 0.0, 255.0));
      }
    return out;
  }
  std::string known;
  for (const auto& n : shift_names()) known += (known.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown shift '" + shift + "' (known: " + known + ")");
}

// Throws the unknown-shift error of apply_shift for a name it does not know.
inline void check_shift_name(const std::string& shift) { apply_shift(shift, Image(1, 1, 1)); }

template <LabelledDataset D>
class Shifted {
 public:
  using component_tag = dataset_tag;

  Shifted(D dataset, std::string shift) : base_(std::move(dataset)), shift_(std::move(shift)) {
    check_shift_name(shift_);   // an unknown name fails here, not on the first load
  }

  std::size_t size() const { return base_.size(); }
  std::int64_t label(std::size_t i) const { return base_.label(i); }
  Image load(std::size_t i) const { return apply_shift(shift_, base_.load(i)); }
  const std::vector<std::string>& class_names() const { return base_.class_names(); }
  std::string prompt(std::int64_t label) const { return base_.prompt(label); }
  std::string source(std::size_t i) const { return base_.source(i); }
  std::string name() const { return std::string(base_.name()) + "+" + shift_; }
  const std::string& shift() const { return shift_; }

 private:
  D base_;
  std::string shift_;
};

template <LabelledDataset D>
Shifted<D> shifted(D dataset, std::string shift) {
  return Shifted<D>(std::move(dataset), std::move(shift));
}

static_assert(LabelledDataset<Shifted<InMemoryDataset>>);

}  // namespace distdiff
