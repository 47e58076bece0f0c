#pragma once
// loader_source — a trainer BatchSource over the data family's BatchLoader.
//
//   distdiff::Caltech101 train(root, distdiff::Split::train);
//   distdiff::BatchLoader loader(train, distdiff::augment::paper_train_transform());
//   loader.batch_size = 128;
//   auto source = distdiff::train::loader_source(loader);
//   // GridMask ramps its probability over epochs:
//   auto ramped = distdiff::train::loader_source(gm_loader, [](auto& t, const distdiff::train::EpochInfo& e) {
//     t.template get<distdiff::augment::GridMask>().set_epoch_ramp(int(e.epoch));
//   });
//
// Epoch e runs a copy of `loader` whose seed is EpochInfo::seed (so the order
// and every per-sample random choice follow the trainer's seed and resume
// exactly), with a copy of its transform that `prepare` may adjust for the
// epoch. Batch size, shuffling, drop_last and threads are the loader's. The
// dataset must outlive the source (the loader keeps a pointer to it).
#include <functional>
#include <type_traits>
#include <utility>

#include "distdiff/data/loader.hpp"
#include "distdiff/train/batches.hpp"

namespace distdiff::train {

template <LabelledDataset D, ImageTransform T>
BatchSource loader_source(const BatchLoader<D, T>& loader,
                          std::type_identity_t<std::function<void(T&, const EpochInfo&)>> prepare = {}) {
  BatchSource src;
  src.batches_per_epoch = static_cast<std::int64_t>(loader.num_batches());
  src.samples_per_epoch = static_cast<std::int64_t>(
      loader.drop_last ? loader.num_batches() * loader.batch_size : loader.dataset().size());
  src.for_each = [loader, prepare = std::move(prepare)](const EpochInfo& info, const BatchVisitor& visit) {
    T transform = loader.transform();
    if (prepare) prepare(transform, info);
    BatchLoader<D, T> epoch_loader(loader.dataset(), std::move(transform));
    epoch_loader.batch_size = loader.batch_size;
    epoch_loader.shuffle = loader.shuffle;
    epoch_loader.drop_last = loader.drop_last;
    epoch_loader.num_threads = loader.num_threads;
    epoch_loader.prefetch = loader.prefetch;
    epoch_loader.seed = info.seed;
    for (const distdiff::Batch& b : epoch_loader.epoch(static_cast<std::size_t>(info.epoch)))
      visit(Batch{b.images, b.labels});
  };
  return src;
}

}  // namespace distdiff::train
