#pragma once
// The foundation split: a labelled training set divided, per class and by a
// seeded rule, into the images the small models are PRETRAINED on (the
// foundation split) and a disjoint TARGET POOL from which later experiments
// draw their few-shot seed sets. The small world's networks never see a
// target-pool image, so expanding a few-shot set drawn from the pool is the
// same situation as expanding unseen data with the published SD / CLIP.
//
//   auto train = distdiff::FashionMnist("/usr/share/datasets/fashion-mnist");
//   auto split = distdiff::pretrain::split_foundation(train, {.target_per_class = 1000, .seed = 0});
//   // Fashion-MNIST: split.foundation has 50,000 indices (5,000 per class), split.target 10,000 (1,000 per class)
//   auto pool = distdiff::pretrain::target_subset(train, {.seed = 0});          // a Subset<FashionMnist>
//   auto few = distdiff::take_per_class(pool, /*per_class=*/10, /*seed=*/1);     // a 10-shot seed set
//
// Rule: the indices of class c are shuffled (Fisher-Yates, std::mt19937_64
// seeded with mix_seed({seed, c, kFoundationSplitTag})); the first
// target_per_class go to the target pool, the next foundation_per_class (0:
// all the rest) to the foundation split. Both lists are returned in ascending
// order. The result depends only on the labels and the seed (not on the
// platform or the standard library), so a split can be re-derived anywhere.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "distdiff/concepts/dataset.hpp"
#include "distdiff/data/detail/random.hpp"
#include "distdiff/data/subset.hpp"

namespace distdiff::pretrain {

// Mixed into the seed so that the split's shuffles differ from other per-class
// draws (take_per_class) made with the same seed.
inline constexpr std::uint64_t kFoundationSplitTag = 0x666F756E64ULL;  // "found"

struct FoundationSplitConfig {
  std::size_t target_per_class = 1000;   // images per class in the target pool
  std::size_t foundation_per_class = 0;  // images per class in the foundation split; 0: all the rest
  std::uint64_t seed = 0;
};

struct FoundationSplit {
  std::vector<std::size_t> foundation;   // ascending dataset indices: the pretraining images
  std::vector<std::size_t> target;       // ascending dataset indices: the few-shot pool
};

// The split of a label list with `num_classes` classes. Throws when a label is
// outside [0, num_classes) or a class has too few images for the sizes asked.
inline FoundationSplit split_foundation(const std::vector<std::int64_t>& labels, std::size_t num_classes,
                                        const FoundationSplitConfig& cfg = {}) {
  const std::string who = "distdiff::pretrain::split_foundation";
  if (num_classes == 0) throw std::invalid_argument(who + ": no classes");
  std::vector<std::vector<std::size_t>> by_class(num_classes);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || static_cast<std::size_t>(labels[i]) >= num_classes)
      throw std::invalid_argument(who + ": label " + std::to_string(labels[i]) + " of sample " + std::to_string(i) +
                                  " is outside [0, " + std::to_string(num_classes) + ")");
    by_class[static_cast<std::size_t>(labels[i])].push_back(i);
  }
  FoundationSplit out;
  for (std::size_t c = 0; c < num_classes; ++c) {
    auto& idx = by_class[c];
    const std::size_t want_foundation =
        cfg.foundation_per_class > 0 ? cfg.foundation_per_class
                                     : (idx.size() > cfg.target_per_class ? idx.size() - cfg.target_per_class : 0);
    if (want_foundation == 0 || idx.size() < cfg.target_per_class + want_foundation)
      throw std::invalid_argument(who + ": class " + std::to_string(c) + " has " + std::to_string(idx.size()) +
                                  " images, too few for " + std::to_string(cfg.target_per_class) +
                                  " in the target pool and " +
                                  (cfg.foundation_per_class > 0 ? std::to_string(cfg.foundation_per_class)
                                                                : std::string("at least one")) +
                                  " in the foundation split");
    std::mt19937_64 rng(distdiff::detail::mix_seed({cfg.seed, std::uint64_t(c), kFoundationSplitTag}));
    distdiff::detail::shuffle(idx, rng);
    const auto t_end = idx.begin() + static_cast<std::ptrdiff_t>(cfg.target_per_class);
    out.target.insert(out.target.end(), idx.begin(), t_end);
    out.foundation.insert(out.foundation.end(), t_end, t_end + static_cast<std::ptrdiff_t>(want_foundation));
  }
  std::sort(out.foundation.begin(), out.foundation.end());
  std::sort(out.target.begin(), out.target.end());
  return out;
}

// The split of a dataset (reads labels only).
template <LabelledDataset D>
FoundationSplit split_foundation(const D& data, const FoundationSplitConfig& cfg = {}) {
  std::vector<std::int64_t> labels(data.size());
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = data.label(i);
  return split_foundation(labels, data.class_names().size(), cfg);
}

// The two halves as dataset views.
template <LabelledDataset D>
Subset<D> foundation_subset(D data, const FoundationSplitConfig& cfg = {}) {
  auto s = split_foundation(data, cfg);
  return Subset<D>(std::move(data), std::move(s.foundation));
}
template <LabelledDataset D>
Subset<D> target_subset(D data, const FoundationSplitConfig& cfg = {}) {
  auto s = split_foundation(data, cfg);
  return Subset<D>(std::move(data), std::move(s.target));
}

}  // namespace distdiff::pretrain
