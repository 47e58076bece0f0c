#pragma once
// BatchLoader — batches of a LabelledDataset as tensors, decoded and
// transformed in parallel, reproducible regardless of thread count.
//
//     distdiff::BatchLoader loader(train, my_transform);   // transform: any ImageTransform
//     loader.batch_size = 64;
//     for (std::size_t epoch = 0; epoch < 100; ++epoch)
//       for (const distdiff::Batch& b : loader.epoch(epoch)) {
//         auto logits = net->forward(b.images.to(device));   // [B,3,H,W] float
//         auto loss = torch::cross_entropy_loss(logits, b.labels.to(device));
//       }
//
// Order: with `shuffle`, epoch e visits the samples in a permutation drawn from
// (seed, e); else in index order. The last partial batch is dropped when
// `drop_last`. Randomness: sample i of epoch e is transformed with its own
// Rng seeded from (seed, e, i), so a batch is the same whatever `num_threads`
// and scheduling. Parallelism: the samples of a batch are decoded and
// transformed by `num_threads` OpenMP threads, and epoch() computes the next
// batch in the background while the current one is used (`prefetch`). Only the
// batches in flight are held in memory. The dataset must outlive the loader,
// and its load()/label() must be safe to call concurrently (all distdiff
// readers are). Every transformed image of a batch must have the same shape.
#include <torch/torch.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <future>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "distdiff/concepts/augment.hpp"
#include "distdiff/concepts/dataset.hpp"
#include "distdiff/data/detail/random.hpp"
#include "distdiff/io/tensor_image.hpp"

namespace distdiff {

struct Batch {
  torch::Tensor images;               // [B, 3, H, W] float32
  torch::Tensor labels;               // [B] int64
  std::vector<std::size_t> indices;   // dataset indices of the samples
};

// The transform that leaves the image as decoded.
struct NoTransform {
  using component_tag = image_transform_tag;
  at::Tensor apply(const at::Tensor& x, Rng&) const { return x; }
  std::string name() const { return "none"; }
};
static_assert(ImageTransform<NoTransform>);

template <LabelledDataset D, ImageTransform T = NoTransform>
class BatchLoader {
 public:
  std::size_t batch_size = 64;
  bool shuffle = true;
  bool drop_last = false;
  std::uint64_t seed = 0;
  int num_threads = 2;   // decoding/transform threads per batch
  bool prefetch = true;  // compute the next batch while the current one is used

  explicit BatchLoader(const D& dataset, T transform = T{}) : dataset_(&dataset), transform_(std::move(transform)) {}
  BatchLoader(const D&&, T = T{}) = delete;  // the dataset must outlive the loader

  std::size_t num_batches() const {
    check_config();
    const std::size_t n = dataset_->size();
    return drop_last ? n / batch_size : (n + batch_size - 1) / batch_size;
  }

  // The visiting order of epoch `e`: a permutation of 0..size-1.
  std::vector<std::size_t> order(std::size_t e) const {
    const std::size_t n = dataset_->size();
    if (!shuffle) {
      std::vector<std::size_t> p(n);
      for (std::size_t i = 0; i < n; ++i) p[i] = i;
      return p;
    }
    return detail::permutation(n, detail::mix_seed({seed, 0x5348554646ULL, e}));
  }

  // The Rng that sample `index` gets in epoch `e`.
  Rng sample_rng(std::size_t e, std::size_t index) const { return Rng(detail::mix_seed({seed, e, index})); }

  // Batch b of epoch e, computed now.
  Batch batch(std::size_t e, std::size_t b) const { return make_batch(e, slice(order(e), b)); }

  class Epoch;
  // The batches of epoch e, for a range-for loop (prefetching when enabled).
  Epoch epoch(std::size_t e) const { return Epoch(this, e); }

  const D& dataset() const { return *dataset_; }
  const T& transform() const { return transform_; }
  // For per-epoch settings (e.g. a probability ramp); change it only between epochs.
  T& transform() { return transform_; }

  class Epoch {
   public:
    class iterator {
     public:
      const Batch& operator*() const { return current_; }
      const Batch* operator->() const { return &current_; }
      iterator& operator++() {
        ++b_;
        if (b_ < ep_->count_) {
          current_ = next_.valid() ? next_.get() : ep_->compute(b_);
          launch(b_ + 1);
        } else {
          current_ = Batch{};
        }
        return *this;
      }
      bool operator!=(const iterator& o) const { return b_ != o.b_; }
      bool operator==(const iterator& o) const { return b_ == o.b_; }

     private:
      friend class Epoch;
      const Epoch* ep_ = nullptr;
      std::size_t b_ = 0;
      Batch current_;
      std::future<Batch> next_;

      iterator(const Epoch* ep, std::size_t b) : ep_(ep), b_(b) {
        if (b_ < ep_->count_) {
          current_ = ep_->compute(b_);
          launch(b_ + 1);
        }
      }
      void launch(std::size_t nb) {
        if (ep_->loader_->prefetch && nb < ep_->count_)
          next_ = std::async(std::launch::async, [ep = ep_, nb] { return ep->compute(nb); });
      }
    };

    iterator begin() const { return iterator(this, 0); }
    iterator end() const { return iterator(this, count_); }
    std::size_t size() const { return count_; }

   private:
    friend class BatchLoader;
    const BatchLoader* loader_;
    std::size_t epoch_;
    std::vector<std::size_t> order_;
    std::size_t count_;

    Epoch(const BatchLoader* l, std::size_t e)
        : loader_(l), epoch_(e), order_(l->order(e)), count_(l->num_batches()) {}
    Batch compute(std::size_t b) const { return loader_->make_batch(epoch_, loader_->slice(order_, b)); }
  };

 private:
  const D* dataset_;
  T transform_;

  void check_config() const {
    if (batch_size == 0) throw std::invalid_argument("distdiff::BatchLoader: batch_size must be positive");
    if (num_threads < 1) throw std::invalid_argument("distdiff::BatchLoader: num_threads must be >= 1");
  }

  std::vector<std::size_t> slice(const std::vector<std::size_t>& ord, std::size_t b) const {
    const std::size_t nb = num_batches();
    if (b >= nb)
      throw std::out_of_range("distdiff::BatchLoader: batch " + std::to_string(b) + " >= " + std::to_string(nb) +
                              " batches");
    const std::size_t begin = b * batch_size;
    const std::size_t end = std::min(ord.size(), begin + batch_size);
    return {ord.begin() + static_cast<std::ptrdiff_t>(begin), ord.begin() + static_cast<std::ptrdiff_t>(end)};
  }

  Batch make_batch(std::size_t e, std::vector<std::size_t> idx) const {
    check_config();
    const std::int64_t n = static_cast<std::int64_t>(idx.size());
    std::vector<torch::Tensor> items(idx.size());
    std::vector<std::int64_t> labels(idx.size());
    std::vector<std::exception_ptr> errors(idx.size());
#if defined(_OPENMP)
#pragma omp parallel for num_threads(num_threads) schedule(dynamic, 1)
#endif
    for (std::int64_t k = 0; k < n; ++k) {
      try {
        const std::size_t i = idx[static_cast<std::size_t>(k)];
        Rng rng = sample_rng(e, i);
        torch::Tensor x = transform_.apply(to_tensor(dataset_->load(i)), rng);
        if (!x.defined() || x.dim() != 3)
          throw std::runtime_error("distdiff::BatchLoader: transform '" + std::string(transform_.name()) +
                                   "' returned a tensor that is not [C,H,W] for sample " + std::to_string(i));
        items[static_cast<std::size_t>(k)] = x.contiguous();
        labels[static_cast<std::size_t>(k)] = dataset_->label(i);
      } catch (...) {
        errors[static_cast<std::size_t>(k)] = std::current_exception();
      }
    }
    for (auto& err : errors)
      if (err) std::rethrow_exception(err);
    for (std::size_t k = 1; k < items.size(); ++k)
      if (items[k].sizes() != items[0].sizes())
        throw std::runtime_error("distdiff::BatchLoader: sample " + std::to_string(idx[k]) + " (" +
                                 dataset_->source(idx[k]) + ") became " + c10::str(items[k].sizes()) +
                                 " but sample " + std::to_string(idx[0]) + " became " + c10::str(items[0].sizes()) +
                                 "; add a resize/crop to the transform so all samples share one size");
    Batch out;
    out.images = items.empty() ? torch::empty({0, 3, 0, 0}) : torch::stack(items);
    out.labels = torch::tensor(labels, torch::kInt64);
    out.indices = std::move(idx);
    return out;
  }
};

}  // namespace distdiff
