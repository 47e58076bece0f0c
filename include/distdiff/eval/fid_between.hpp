#pragma once
// FID between two image collections (paper Table 3): Inception pool3 features
// of every image, in batches, into streaming float64 statistics, then the
// Fréchet distance.
//
//     auto net = distdiff::FidInception::load("pt_inception-2015-12-05.safetensors",
//                                             distdiff::RuntimeOptions::best_available());
//     double fid = distdiff::fid_between(net, real_dataset, expanded_dataset);
//
// A source is anything with size() and load(i) -> distdiff::Image: every
// LabelledDataset, or ImageFiles (a folder). Images may differ in size and
// channel count: each is converted to RGB in [0, 1] and resized to 299×299
// (bilinear, align_corners = false, the network's own resize) before batching,
// so the features do not depend on the batch size.
#include <torch/torch.h>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "distdiff/core/image.hpp"
#include "distdiff/eval/fid.hpp"
#include "distdiff/eval/inception.hpp"
#include "distdiff/io/tensor_image.hpp"

namespace distdiff {

template <class S>
concept ImageSource = requires(const S& s, std::size_t i) {
  { s.size() } -> std::convertible_to<std::size_t>;
  { s.load(i) } -> std::same_as<Image>;
};

// Feature statistics of every image of `images` (at least 2), `batch_size` at a time.
template <ImageSource Source>
FeatureStats dataset_stats(const FidInception& net, const Source& images, std::int64_t batch_size = 50) {
  if (batch_size < 1)
    throw std::invalid_argument("dataset_stats: batch_size must be >= 1, got " + std::to_string(batch_size));
  const std::size_t n = images.size();
  if (n < 2)
    throw std::invalid_argument("dataset_stats: FID needs at least 2 images, the source has " + std::to_string(n));
  namespace F = torch::nn::functional;
  FeatureStatsAccumulator acc;
  std::vector<torch::Tensor> batch;
  auto flush = [&] {
    if (batch.empty()) return;
    acc.add(net.features(torch::stack(batch)));
    batch.clear();
  };
  for (std::size_t i = 0; i < n; ++i) {
    const auto chw = to_tensor(images.load(i)).unsqueeze(0);
    batch.push_back(F::interpolate(chw, F::InterpolateFuncOptions()
                                            .size(std::vector<std::int64_t>{299, 299})
                                            .mode(torch::kBilinear)
                                            .align_corners(false))
                        .squeeze(0));
    if (static_cast<std::int64_t>(batch.size()) == batch_size) flush();
  }
  flush();
  return acc.stats();
}

// FID between two image sources.
template <ImageSource A, ImageSource B>
double fid_between(const FidInception& net, const A& a, const B& b, std::int64_t batch_size = 50) {
  return frechet_distance(dataset_stats(net, a, batch_size), dataset_stats(net, b, batch_size));
}

}  // namespace distdiff
