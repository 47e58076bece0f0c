#pragma once
// FID between two image collections (paper Table 3): Inception pool3 features
// of every image, in batches, into streaming float64 statistics, then the
// Fréchet distance.
//
//     auto net = distdiff::FidInception::load("pt_inception-2015-12-05.safetensors",
//                                             distdiff::RuntimeOptions::best_available());
//     double fid = distdiff::fid_between(net, real_dataset, expanded_dataset);
//
// A source is anything with size() and load(i) -> distdiff::Image
// (ImageSource): every LabelledDataset, or ImageFiles (a folder). Images may
// differ in size and channel count: each is converted to RGB in [0, 1] and
// resized to 299×299 (bilinear, align_corners = false, the network's own
// resize) before batching, so the features do not depend on the batch size.
// This is feature_stats / frechet_between (eval/feature_frechet.hpp) with the
// Inception network's features.
#include <torch/torch.h>

#include <cstdint>

#include "distdiff/eval/feature_frechet.hpp"
#include "distdiff/eval/fid.hpp"
#include "distdiff/eval/inception.hpp"

namespace distdiff {

// Feature statistics of every image of `images` (at least 2), `batch_size` at a time.
template <ImageSource Source>
FeatureStats dataset_stats(const FidInception& net, const Source& images, std::int64_t batch_size = 50) {
  return feature_stats([&](const torch::Tensor& x) { return net.features(x); }, images, 299, batch_size);
}

// FID between two image sources.
template <ImageSource A, ImageSource B>
double fid_between(const FidInception& net, const A& a, const B& b, std::int64_t batch_size = 50) {
  return frechet_distance(dataset_stats(net, a, batch_size), dataset_stats(net, b, batch_size));
}

}  // namespace distdiff
