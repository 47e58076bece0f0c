#pragma once
// The Fréchet distance between two image collections in any feature space:
// FID's statistic (eval/fid.hpp) with the features of your choice, e.g. the
// CLIP image tower that guides DistDiff (the `frechet` tool,
// experiments/frechet.cpp). fid_between.hpp is this with Inception at 299 px.
//
//     auto clip = distdiff::ClipImageFeatures::load("models/small_world/clip", rt);
//     auto theta = [&](const torch::Tensor& x) { return clip.extract(x); };  // [B,3,H,W] in [0,1] -> [B,D]
//     double fd = distdiff::frechet_between(theta, real, generated, clip.image_size());
//
// A source is anything with size() and load(i) -> distdiff::Image
// (ImageSource): every LabelledDataset, ImageFiles (a folder),
// run_image_files (an expansion run, io/run_folder.hpp). Each image is
// converted to RGB in [0, 1] and resized to image_size × image_size
// (bilinear, align_corners = false; untouched when it already has that size)
// before batching, so the features do not depend on the batch size. The
// features of each batch go into streaming float64 statistics
// (FeatureStatsAccumulator): memory does not grow with the number of images.
#include <torch/torch.h>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "distdiff/core/image.hpp"
#include "distdiff/eval/fid.hpp"
#include "distdiff/io/tensor_image.hpp"

namespace distdiff {

template <class S>
concept ImageSource = requires(const S& s, std::size_t i) {
  { s.size() } -> std::convertible_to<std::size_t>;
  { s.load(i) } -> std::same_as<Image>;
};

// A feature map for Fréchet distances: float [B, 3, H, W] in [0, 1] -> [B, D].
template <class F>
concept BatchFeatureFn = std::invocable<const F&, const torch::Tensor&> &&
                         std::convertible_to<std::invoke_result_t<const F&, const torch::Tensor&>, torch::Tensor>;

// `image` as float32 [3, size, size] in [0, 1] (RGB; bilinear resize,
// align_corners = false, unless it already is size × size).
inline torch::Tensor square_image_tensor(const Image& image, std::int64_t size) {
  auto chw = to_tensor(image);
  if (chw.size(1) == size && chw.size(2) == size) return chw;
  namespace F = torch::nn::functional;
  return F::interpolate(chw.unsqueeze(0), F::InterpolateFuncOptions()
                                              .size(std::vector<std::int64_t>{size, size})
                                              .mode(torch::kBilinear)
                                              .align_corners(false))
      .squeeze(0);
}

// Calls fn(batch) for the images of `source` in order: batch is float32
// [B, 3, image_size, image_size] in [0, 1], B = batch_size but for the last.
template <ImageSource Source, class Fn>
void for_each_image_batch(const Source& source, std::int64_t image_size, std::int64_t batch_size, Fn&& fn) {
  if (batch_size < 1)
    throw std::invalid_argument("for_each_image_batch: batch_size must be >= 1, got " + std::to_string(batch_size));
  if (image_size < 1)
    throw std::invalid_argument("for_each_image_batch: image_size must be >= 1, got " + std::to_string(image_size));
  std::vector<torch::Tensor> batch;
  const std::size_t n = source.size();
  for (std::size_t i = 0; i < n; ++i) {
    batch.push_back(square_image_tensor(source.load(i), image_size));
    if (static_cast<std::int64_t>(batch.size()) == batch_size || i + 1 == n) {
      fn(torch::stack(batch));
      batch.clear();
    }
  }
}

// Mean and covariance of `features` over every image of `source` (at least 2).
template <BatchFeatureFn Features, ImageSource Source>
FeatureStats feature_stats(const Features& features, const Source& source, std::int64_t image_size,
                           std::int64_t batch_size = 50) {
  const std::size_t n = source.size();
  if (n < 2)
    throw std::invalid_argument("feature_stats: a Fréchet distance needs at least 2 images, the source has " +
                                std::to_string(n));
  torch::NoGradGuard no_grad;
  FeatureStatsAccumulator acc;
  for_each_image_batch(source, image_size, batch_size, [&](const torch::Tensor& batch) {
    const torch::Tensor f = features(batch);
    if (!f.defined() || f.dim() != 2 || f.size(0) != batch.size(0))
      throw std::invalid_argument("feature_stats: the feature map must return [B, D] for B = " +
                                  std::to_string(batch.size(0)) + " images, got " +
                                  (f.defined() ? std::string(c10::str(f.sizes())) : std::string("undefined")));
    acc.add(f);
  });
  return acc.stats();
}

// Fréchet distance between the feature Gaussians of two image sources.
template <BatchFeatureFn Features, ImageSource A, ImageSource B>
double frechet_between(const Features& features, const A& real, const B& generated, std::int64_t image_size,
                       std::int64_t batch_size = 50) {
  return frechet_distance(feature_stats(features, real, image_size, batch_size),
                          feature_stats(features, generated, image_size, batch_size));
}

// `count` images of `source` spread evenly over it (image k is source image
// ⌊k·N/count⌋), all of them when count is 0 or at least N: a deterministic
// subsample that reaches every part of a class-sorted dataset.
template <ImageSource Source>
class EvenlySpaced {
 public:
  EvenlySpaced(Source source, std::size_t count) : source_(std::move(source)) {
    const std::size_t n = source_.size();
    count_ = (count == 0 || count > n) ? n : count;
  }
  std::size_t size() const { return count_; }
  Image load(std::size_t i) const { return source_.load(index(i)); }
  std::size_t index(std::size_t i) const {
    if (i >= count_)
      throw std::out_of_range("EvenlySpaced: index " + std::to_string(i) + " >= size " + std::to_string(count_));
    return static_cast<std::size_t>(std::uint64_t(i) * std::uint64_t(source_.size()) / count_);  // exact below 2^32 images
  }

 private:
  Source source_;
  std::size_t count_ = 0;
};

}  // namespace distdiff
