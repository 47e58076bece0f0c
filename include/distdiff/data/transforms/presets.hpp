#pragma once
// Ready-made pipelines.
//
//   paper_train_transform(size, resize)   Resize(resize) > RandomRotation(±15)
//                                          > RandomCrop(size) > RandomHorizontalFlip
//                                          > Normalize(ImageNet)        (the reference)
//   random_resized_crop_train_transform(size)
//                                          RandomResizedCrop(size) > RandomHorizontalFlip
//                                          > Normalize(ImageNet)        (the usual ImageNet recipe)
//   paper_test_transform(size, resize)    Resize(resize) > CenterCrop(size) > Normalize(ImageNet)
//   paper_train_transform_with(b, ...)    the paper's training pipeline with a baseline `b`
//                                          inserted just before Normalize, so it sees [0, 1] images
//
// The defaults are the reference's 224 / 256; tests and small images pass
// their own (e.g. 32 / 36). Every part stays a public member: reach it with
// `get<RandomCrop>()`.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

#include "distdiff/concepts/augment.hpp"
#include "distdiff/data/transforms/compose.hpp"
#include "distdiff/data/transforms/normalize.hpp"
#include "distdiff/data/transforms/random_crop.hpp"
#include "distdiff/data/transforms/random_horizontal_flip.hpp"
#include "distdiff/data/transforms/random_resized_crop.hpp"
#include "distdiff/data/transforms/random_rotation.hpp"
#include "distdiff/data/transforms/resize.hpp"
#include "distdiff/data/transforms/center_crop.hpp"

namespace distdiff::augment {

using PaperTrainTransform = Compose<Resize, RandomRotation, RandomCrop, RandomHorizontalFlip, Normalize>;
using RandomResizedCropTrainTransform = Compose<RandomResizedCrop, RandomHorizontalFlip, Normalize>;
using PaperTestTransform = Compose<Resize, CenterCrop, Normalize>;

namespace detail {
inline void check_preset_sizes(const char* who, std::int64_t size, std::int64_t resize) {
  if (size <= 0 || resize < size)
    throw std::invalid_argument(std::string(who) + ": need 0 < size <= resize, got size " + std::to_string(size) +
                                ", resize " + std::to_string(resize));
}
}  // namespace detail

inline PaperTrainTransform paper_train_transform(std::int64_t size = 224, std::int64_t resize = 256) {
  detail::check_preset_sizes("paper_train_transform", size, resize);
  return PaperTrainTransform{Resize{.size = resize}, RandomRotation::symmetric(15.0),
                             RandomCrop{.height = size, .width = size}, RandomHorizontalFlip{}, Normalize{}};
}

inline RandomResizedCropTrainTransform random_resized_crop_train_transform(std::int64_t size = 224) {
  detail::check_preset_sizes("random_resized_crop_train_transform", size, size);
  return RandomResizedCropTrainTransform{RandomResizedCrop{.height = size, .width = size},
                                         RandomHorizontalFlip{}, Normalize{}};
}

inline PaperTestTransform paper_test_transform(std::int64_t size = 224, std::int64_t resize = 256) {
  detail::check_preset_sizes("paper_test_transform", size, resize);
  return PaperTestTransform{Resize{.size = resize}, CenterCrop{.height = size, .width = size}, Normalize{}};
}

template <class Baseline>
using PaperTrainTransformWith =
    Compose<Resize, RandomRotation, RandomCrop, RandomHorizontalFlip, Baseline, Normalize>;

// The reference training pipeline with a transformation baseline (Cutout,
// GridMask, RandAugment, ...) applied to the [0, 1] image before Normalize.
template <class Baseline>
PaperTrainTransformWith<Baseline> paper_train_transform_with(Baseline baseline, std::int64_t size = 224,
                                                             std::int64_t resize = 256) {
  static_assert(ImageTransform<Baseline>,
                "paper_train_transform_with: the baseline must model distdiff::ImageTransform (see docs/augment.md)");
  detail::check_preset_sizes("paper_train_transform_with", size, resize);
  return PaperTrainTransformWith<Baseline>{Resize{.size = resize}, RandomRotation::symmetric(15.0),
                                           RandomCrop{.height = size, .width = size}, RandomHorizontalFlip{},
                                           std::move(baseline), Normalize{}};
}

static_assert(ImageTransform<PaperTrainTransform>);
static_assert(ImageTransform<RandomResizedCropTrainTransform>);
static_assert(ImageTransform<PaperTestTransform>);

}  // namespace distdiff::augment
