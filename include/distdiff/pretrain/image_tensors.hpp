#pragma once
// ImageTensors — a labelled image set held as one uint8 tensor, the form the
// pretraining loops draw batches from, and the small-world image geometry:
//
//   auto set = distdiff::pretrain::load_image_tensors(train, split.foundation, /*size=*/32);
//   torch::Tensor x = set.batch01(torch::arange(64));     // [64, 3, 32, 32] float in [0, 1]
//   x = distdiff::pretrain::augment_batch(x, gen, {});   // random zoom / shift / flip
//
// fit_square(): an image no larger than size x size is padded, centred, with
// its background value (per channel, the median of its one-pixel border):
// Fashion-MNIST's 28x28 become 32x32 with 2 px of black on each side. Larger
// images have their shorter side resized (bicubic) to `size`, then are centre
// cropped. Grey images stay one channel in memory; batch01() replicates them
// to RGB.
#include <ATen/core/Generator.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "distdiff/concepts/dataset.hpp"
#include "distdiff/core/image.hpp"
#include "distdiff/io/image_io.hpp"

namespace distdiff::pretrain {

// `img` as size x size (see the header comment).
inline Image fit_square(const Image& img, int size) {
  if (size <= 0) throw std::invalid_argument("distdiff::pretrain::fit_square: size must be positive");
  if (img.width <= size && img.height <= size) {
    if (img.width == size && img.height == size) return img;
    const int C = img.channels;
    Image out(size, size, C);
    for (int c = 0; c < C; ++c) {
      std::vector<std::uint8_t> ring;
      for (int x = 0; x < img.width; ++x) {
        ring.push_back(img.at(x, 0, c));
        ring.push_back(img.at(x, img.height - 1, c));
      }
      for (int y = 1; y + 1 < img.height; ++y) {
        ring.push_back(img.at(0, y, c));
        ring.push_back(img.at(img.width - 1, y, c));
      }
      std::nth_element(ring.begin(), ring.begin() + static_cast<std::ptrdiff_t>(ring.size() / 2), ring.end());
      const std::uint8_t bg = ring[ring.size() / 2];
      for (int y = 0; y < size; ++y)
        for (int x = 0; x < size; ++x) out.at(x, y, c) = bg;
    }
    const int x0 = (size - img.width) / 2, y0 = (size - img.height) / 2;
    for (int y = 0; y < img.height; ++y)
      for (int x = 0; x < img.width; ++x)
        for (int c = 0; c < C; ++c) out.at(x0 + x, y0 + y, c) = img.at(x, y, c);
    return out;
  }
  return distdiff::center_crop(distdiff::resize_shorter_side(img, size), size);
}

struct ImageTensors {
  torch::Tensor pixels;                  // [N, C, S, S] uint8, C = 1 (all grey) or 3
  torch::Tensor labels;                  // [N] int64
  std::vector<std::string> class_names;  // index = label
  std::vector<std::size_t> indices;      // dataset index of each row

  std::int64_t size() const { return pixels.defined() ? pixels.size(0) : 0; }
  std::int64_t image_size() const { return pixels.size(2); }

  // Rows `index` ([B] int64) as float [B, 3, S, S] in [0, 1].
  torch::Tensor batch01(const torch::Tensor& index) const {
    auto x = pixels.index_select(0, index).to(torch::kFloat32).div_(255.0f);
    return x.size(1) == 1 ? x.expand({x.size(0), 3, x.size(2), x.size(3)}).contiguous() : x;
  }
  // Rows [begin, end) as float [B, 3, S, S] in [0, 1].
  torch::Tensor range01(std::int64_t begin, std::int64_t end) const {
    return batch01(torch::arange(begin, end, torch::kLong));
  }
};

// How images become size x size: fit_square (pad small ones, resize and crop
// larger ones), or Stretch (resize to size x size, bicubic: what the
// expansion pipeline does to its seed images).
enum class Fit { Square, Stretch };

// The images `indices` of `data` (all of them when empty), fitted to size x size.
template <LabelledDataset D>
ImageTensors load_image_tensors(const D& data, std::vector<std::size_t> indices, int size = 32, Fit fit = Fit::Square) {
  if (indices.empty()) {
    indices.resize(data.size());
    for (std::size_t i = 0; i < indices.size(); ++i) indices[i] = i;
  }
  const auto n = static_cast<std::int64_t>(indices.size());
  std::vector<Image> images(indices.size());
#pragma omp parallel for schedule(dynamic, 64)
  for (std::int64_t k = 0; k < n; ++k) {
    Image im = data.load(indices[std::size_t(k)]);
    images[std::size_t(k)] = fit == Fit::Square ? fit_square(im, size) : distdiff::resize(im, size, size);
  }
  const bool grey = std::all_of(images.begin(), images.end(), [](const Image& im) { return im.channels == 1; });
  const int C = grey ? 1 : 3;
  ImageTensors out;
  out.pixels = torch::empty({n, C, size, size}, torch::kUInt8);
  out.labels = torch::empty({n}, torch::kLong);
  auto* dst = out.pixels.data_ptr<std::uint8_t>();
  auto* lab = out.labels.data_ptr<std::int64_t>();
  const std::size_t plane = std::size_t(size) * std::size_t(size);
  for (std::int64_t k = 0; k < n; ++k) {
    Image im = images[std::size_t(k)];
    if (im.channels != C) im = distdiff::convert_channels(im, C);
    std::uint8_t* d = dst + std::size_t(k) * plane * std::size_t(C);
    for (std::size_t p = 0; p < plane; ++p)
      for (int c = 0; c < C; ++c) d[std::size_t(c) * plane + p] = im.pixels[p * std::size_t(C) + std::size_t(c)];
    lab[k] = data.label(indices[std::size_t(k)]);
  }
  out.class_names = data.class_names();
  out.indices = std::move(indices);
  return out;
}

// Random, label-preserving geometry for a batch [B, C, S, S]: zoom in by a
// factor in [1, 1 + zoom], shift by up to `shift` pixels on each axis, mirror
// left-right with probability 1/2 (when `flip`). Zoom 0.15 covers both the
// padded 28 -> 32 geometry and the stretched one (28 -> 32 resized, what the
// expansion pipeline feeds the models). Edges replicate the border.
struct AugmentConfig {
  double zoom = 0.15;
  double shift = 2.0;
  bool flip = true;
};

inline torch::Tensor augment_batch(const torch::Tensor& x, at::Generator& gen, const AugmentConfig& cfg) {
  if (cfg.zoom <= 0 && cfg.shift <= 0 && !cfg.flip) return x;
  namespace F = torch::nn::functional;
  const auto B = x.size(0);
  const double S = double(x.size(3));
  auto u = torch::rand({B, 4}, gen, torch::kFloat64);
  auto scale = 1.0 / (1.0 + cfg.zoom * u.select(1, 0));           // sampling-grid scale (<= 1: zoom in)
  auto tx = (u.select(1, 1) * 2 - 1) * (2.0 * cfg.shift / S);      // normalised coordinates
  auto ty = (u.select(1, 2) * 2 - 1) * (2.0 * cfg.shift / S);
  auto sx = cfg.flip ? scale * (1.0 - 2.0 * (u.select(1, 3) < 0.5).to(torch::kFloat64)) : scale;
  auto theta = torch::zeros({B, 2, 3}, torch::kFloat64);
  theta.select(1, 0).select(1, 0).copy_(sx);
  theta.select(1, 0).select(1, 2).copy_(tx);
  theta.select(1, 1).select(1, 1).copy_(scale);
  theta.select(1, 1).select(1, 2).copy_(ty);
  auto grid = F::affine_grid(theta.to(x.scalar_type()), x.sizes(), /*align_corners=*/false);
  return F::grid_sample(x, grid,
                        F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kBorder).align_corners(false));
}

}  // namespace distdiff::pretrain
