#pragma once
// BatchSource — how the trainer receives data, independent of any loader type.
//
// A source is a callable that, for one epoch, hands every batch of that epoch
// to a visitor:
//
//   distdiff::train::BatchSource src;
//   src.for_each = [&](const distdiff::train::EpochInfo& e, const distdiff::train::BatchVisitor& visit) {
//     for (auto& b : my_loader.epoch(e.seed)) visit({b.images, b.labels});
//   };
//   src.batches_per_epoch = my_loader.num_batches();   // optional: -1 = unknown
//
// `EpochInfo::seed` is derived from the run seed and the epoch index alone
// (epoch_seed below), so shuffling and augmentation of epoch e are the same in
// an uninterrupted run and in a run resumed from a checkpoint. Sources used for
// evaluation should ignore it and yield the data in a fixed order.
//
// tensor_batches() makes a source from tensors in memory (tests, small sets).
#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace distdiff::train {

struct Batch {
  torch::Tensor images;  // float [B, 3, H, W], normalised
  torch::Tensor labels;  // int64 [B]
};

struct EpochInfo {
  std::int64_t epoch = 0;   // 0-based
  std::uint64_t seed = 0;   // epoch_seed(run seed, epoch)
};

using BatchVisitor = std::function<void(const Batch&)>;

struct BatchSource {
  std::function<void(const EpochInfo&, const BatchVisitor&)> for_each;
  std::int64_t batches_per_epoch = -1;  // -1: unknown (needed only by per-iteration LR decay)
  std::int64_t samples_per_epoch = -1;  // -1: unknown (used for the ETA of the first epoch)
};

// SplitMix64 of (seed, epoch): the seed of every random stream in epoch `epoch`.
inline std::uint64_t epoch_seed(std::uint64_t seed, std::int64_t epoch) {
  std::uint64_t z = seed * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(epoch) + 0x632BE59BD9B4E019ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// A source over in-memory tensors: images [N, ...], labels [N]. With
// `shuffle`, each epoch visits a permutation drawn from EpochInfo::seed
// (std::mt19937_64 + Fisher–Yates, independent of LibTorch's generator).
inline BatchSource tensor_batches(torch::Tensor images, torch::Tensor labels, std::int64_t batch_size,
                                  bool shuffle, bool drop_last = false) {
  if (!images.defined() || !labels.defined() || images.dim() < 1 || labels.dim() != 1 ||
      images.size(0) != labels.size(0))
    throw std::invalid_argument("tensor_batches: need images [N, ...] and labels [N] with the same N");
  if (batch_size < 1)
    throw std::invalid_argument("tensor_batches: batch_size must be positive, got " + std::to_string(batch_size));
  const std::int64_t n = images.size(0);
  BatchSource src;
  src.samples_per_epoch = drop_last ? n / batch_size * batch_size : n;
  src.batches_per_epoch = drop_last ? n / batch_size : (n + batch_size - 1) / batch_size;
  src.for_each = [images, labels = labels.to(torch::kLong), batch_size, shuffle, drop_last, n](
                     const EpochInfo& info, const BatchVisitor& visit) {
    std::vector<std::int64_t> order(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = i;
    if (shuffle) {
      std::mt19937_64 rng(info.seed);
      for (std::int64_t i = n - 1; i > 0; --i) {
        const auto j = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(i + 1));
        std::swap(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(j)]);
      }
    }
    const auto index = torch::tensor(order, torch::kLong);
    for (std::int64_t start = 0; start < n; start += batch_size) {
      const std::int64_t len = std::min(batch_size, n - start);
      if (drop_last && len < batch_size) break;
      const auto idx = index.narrow(0, start, len);
      visit(Batch{images.index_select(0, idx), labels.index_select(0, idx)});
    }
  };
  return src;
}

}  // namespace distdiff::train
