#pragma once
// Zero-shot classification with a CLIP: each image gets the class whose text
// embedding is the most cosine-similar to its image embedding (CLIP's
// zero-shot rule). Used to report how many generated images a CLIP still
// assigns to their seed image's class ("class agreement"), and the same share
// on the seed images themselves as the reference.
//
//   auto text = class_text_features<decltype(models.features)>(classes, clip_dir, rt, dim, seed);
//   auto share = zero_shot_agreement(models.features, text, images, labels);   // in [0, 1]
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "distdiff/concepts/dataset.hpp"
#include "distdiff/core/image.hpp"
#include "distdiff/data/expanded.hpp"
#include "distdiff/io/image_io.hpp"
#include "distdiff/io/tensor_image.hpp"

namespace distdiff {

struct ClassAgreement {
  std::int64_t images = 0;  // images classified
  std::int64_t agree = 0;   // of which the predicted class is their label
  double share() const { return images > 0 ? double(agree) / double(images) : 0.0; }
};

// Predicted class per image: argmax over classes of cos(θ(image), text[c]).
// images: [N, 3, H, W] in [0, 1]; class_text: [C, D] (any scale).
template <class Features>
torch::Tensor zero_shot_predict(const Features& features, const torch::Tensor& class_text,
                                const torch::Tensor& images, std::int64_t batch_size = 64) {
  if (class_text.dim() != 2)
    throw std::invalid_argument("zero_shot_predict: class text embeddings must be [classes, dim], got " +
                                std::to_string(class_text.dim()) + " dimensions");
  if (images.dim() != 4 || images.size(1) != 3)
    throw std::invalid_argument("zero_shot_predict: images must be [N, 3, H, W]");
  torch::NoGradGuard no_grad;
  namespace F = torch::nn::functional;
  const auto text = F::normalize(class_text.to(torch::kFloat32), F::NormalizeFuncOptions().dim(1));
  std::vector<torch::Tensor> out;
  for (std::int64_t i = 0; i < images.size(0); i += batch_size) {
    const auto chunk = images.slice(0, i, std::min(images.size(0), i + batch_size));
    auto f = features.extract(chunk).to(torch::kCPU, torch::kFloat32);
    if (f.size(1) != text.size(1))
      throw std::invalid_argument("zero_shot_predict: image features have dimension " + std::to_string(f.size(1)) +
                                  ", class text embeddings " + std::to_string(text.size(1)));
    f = F::normalize(f, F::NormalizeFuncOptions().dim(1));
    out.push_back(f.matmul(text.t()).argmax(1));
  }
  return out.empty() ? torch::empty({0}, torch::kLong) : torch::cat(out);
}

template <class Features>
ClassAgreement zero_shot_agreement(const Features& features, const torch::Tensor& class_text,
                                   const torch::Tensor& images, const torch::Tensor& labels) {
  if (labels.numel() != images.size(0))
    throw std::invalid_argument("zero_shot_agreement: " + std::to_string(labels.numel()) + " labels for " +
                                std::to_string(images.size(0)) + " images");
  const auto pred = zero_shot_predict(features, class_text, images);
  ClassAgreement a;
  a.images = labels.numel();
  const torch::Tensor hits = pred.eq(labels.to(torch::kLong).view({-1}));
  a.agree = hits.sum().item<std::int64_t>();
  return a;
}

namespace detail {

// Agreement over n images given one at a time by image_at(i) -> (Image, label),
// in batches, each image resized to size x size (3 channels).
template <class Features, class ImageAt>
ClassAgreement agreement_over(const Features& features, const torch::Tensor& class_text, std::size_t n,
                              std::int64_t size, ImageAt image_at) {
  namespace F = torch::nn::functional;
  ClassAgreement total;
  const std::size_t batch = 64;
  for (std::size_t b = 0; b < n; b += batch) {
    std::vector<torch::Tensor> imgs;
    std::vector<std::int64_t> labels;
    for (std::size_t i = b; i < std::min(n, b + batch); ++i) {
      auto [img, label] = image_at(i);
      auto t = to_tensor(img).unsqueeze(0);
      if (t.size(1) == 1) t = t.expand({1, 3, t.size(2), t.size(3)});
      if (t.size(2) != size || t.size(3) != size)
        t = F::interpolate(t, F::InterpolateFuncOptions()
                                  .size(std::vector<std::int64_t>{size, size})
                                  .mode(torch::kBilinear)
                                  .align_corners(false));
      imgs.push_back(t);
      labels.push_back(label);
    }
    const auto a = zero_shot_agreement(features, class_text, torch::cat(imgs), torch::tensor(labels));
    total.images += a.images;
    total.agree += a.agree;
  }
  return total;
}

}  // namespace detail

// The generated images of an expansion folder (its manifest), each against
// the class of its seed image; images are resized to `size` for batching.
template <class Features>
ClassAgreement generated_class_agreement(const Features& features, const torch::Tensor& class_text,
                                         const std::filesystem::path& out_dir,
                                         const std::vector<std::string>& classes, std::int64_t size) {
  const auto entries = read_generated_manifest(out_dir, classes);
  return detail::agreement_over(features, class_text, entries.size(), size, [&](std::size_t i) {
    return std::pair{read_image(entries[i].path, 3), entries[i].label};
  });
}

// The images of a dataset (the first `limit`, all when 0), against their labels.
template <class Features, LabelledDataset Data>
ClassAgreement dataset_class_agreement(const Features& features, const torch::Tensor& class_text, const Data& data,
                                       std::int64_t size, std::size_t limit = 0) {
  const std::size_t n = limit ? std::min(limit, data.size()) : data.size();
  return detail::agreement_over(features, class_text, n, size, [&](std::size_t i) {
    return std::pair{data.load(i), data.label(i)};
  });
}

}  // namespace distdiff
