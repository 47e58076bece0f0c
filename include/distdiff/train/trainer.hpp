#pragma once
// Trainer — supervised training of a classifier from scratch (or fine-tuning),
// with the reference recipe as defaults: SGD momentum 0.9, weight decay 1e-4,
// LR 0.1 with cosine decay per epoch over 100 epochs, evaluation after every
// epoch, best and last top-1 reported (the paper reports the best).
//
//   auto net = distdiff::train::make_classifier("resnet50", num_classes);
//   distdiff::train::TrainConfig cfg;                 // reference defaults
//   cfg.checkpoint_dir = "runs/caltech-distdiff-s1";  // resumes if a checkpoint is there
//   distdiff::train::Trainer trainer(net, cfg);
//   trainer.on_epoch = [](const distdiff::train::EpochStats& s) {
//     std::cerr << distdiff::train::format_progress(s) << '\n';
//   };
//   auto result = trainer.fit(train_source, test_source);
//   // result.best_top1, result.last_top1
//
// Determinism: at the start of epoch e the trainer calls
// torch::manual_seed(epoch_seed(seed, e)) and passes the same value to the
// training source as EpochInfo::seed, so a run resumed from a checkpoint is
// identical to an uninterrupted one (same thread count, same device).
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "distdiff/core/threads.hpp"
#include "distdiff/train/batches.hpp"
#include "distdiff/train/checkpoint.hpp"
#include "distdiff/train/classifier.hpp"
#include "distdiff/train/lr_schedule.hpp"
#include "distdiff/train/metrics.hpp"
#include "distdiff/train/progress.hpp"
#include "distdiff/train/sgd.hpp"

namespace distdiff::train {

struct TrainConfig {
  std::int64_t epochs = 100;
  double lr = 0.1;
  double min_lr = 0.0;
  LrDecay lr_decay = LrDecay::cosine_per_epoch;
  double momentum = 0.9;
  bool nesterov = false;              // the reference's later revision uses Nesterov
  double weight_decay = 1e-4;
  std::uint64_t seed = 1;             // the paper averages seeds 1, 2, 3
  bool top5 = false;                  // also evaluate top-5
  torch::Device device = torch::kCPU;
  int num_threads = 0;                // > 0: set_cpu_threads(num_threads) (fixed count)
  std::filesystem::path checkpoint_dir;  // empty: no checkpoints
  bool resume = true;                 // continue from checkpoint_dir when it holds a checkpoint
  std::optional<std::int64_t> stop_after;  // stop after this many epochs in this call (time slicing)
  // Evaluate on the test source after every eval_every-th epoch and after the
  // last one (the other epochs' test figures are NaN; "best" is over the
  // evaluated epochs). Small training sets with a large test split spend most
  // of an epoch evaluating.
  std::int64_t eval_every = 1;
  // What the trainer cannot see but a resumed run must share: the data
  // (dataset, expanded folder, transform, batch size, image size, ...).
  nlohmann::json data_settings = nlohmann::json::object();

  LrSchedule schedule() const { return LrSchedule{lr_decay, lr, min_lr, epochs}; }

  // The settings a resumed run must share with the run that wrote the checkpoint.
  nlohmann::json settings(const Classifier& model) const {
    return {{"model", model.name()},        {"num_classes", model.num_classes()},
            {"epochs", epochs},             {"lr", lr},
            {"min_lr", min_lr},             {"lr_decay", to_string(lr_decay)},
            {"momentum", momentum},         {"nesterov", nesterov},
            {"weight_decay", weight_decay}, {"seed", seed},
            {"data", data_settings}};
  }
};

struct TrainResult {
  double best_top1 = 0;             // best test top-1 over epochs (percent)
  std::int64_t best_epoch = 0;      // 1-based epoch of best_top1
  double last_top1 = 0;             // test top-1 after the last completed epoch
  double last_top5 = std::numeric_limits<double>::quiet_NaN();
  std::int64_t epochs_done = 0;     // completed epochs (== epochs when finished)
  bool finished = false;            // false when stopped early by stop_after
  std::int64_t resumed_from = 0;    // epochs restored from a checkpoint (0: fresh start)
  double seconds = 0;               // training wall time over all sessions of the run
  std::vector<EpochStats> history;
};

class Trainer {
 public:
  Trainer(Classifier model, TrainConfig config) : model_(std::move(model)), config_(std::move(config)) {
    if (!model_.defined()) throw std::invalid_argument("Trainer: the classifier handle is empty");
    if (config_.epochs < 1)
      throw std::invalid_argument("Trainer: epochs must be positive, got " + std::to_string(config_.epochs));
    if (config_.eval_every < 1)
      throw std::invalid_argument("Trainer: eval_every must be positive, got " + std::to_string(config_.eval_every));
    if (config_.lr <= 0) throw std::invalid_argument("Trainer: lr must be positive");
    if (config_.stop_after && *config_.stop_after < 1)
      throw std::invalid_argument("Trainer: stop_after must be positive");
  }

  // Called after every epoch (progress lines, logging, early inspection).
  std::function<void(const EpochStats&)> on_epoch;

  Classifier& model() { return model_; }
  const TrainConfig& config() const { return config_; }

  TrainResult fit(const BatchSource& train, const BatchSource& test) {
    using clock = std::chrono::steady_clock;
    if (!train.for_each) throw std::invalid_argument("Trainer::fit: the training BatchSource is empty");
    if (!test.for_each) throw std::invalid_argument("Trainer::fit: the test BatchSource is empty");
    if (config_.num_threads > 0) set_cpu_threads(config_.num_threads);
    const LrSchedule schedule = config_.schedule();
    if (config_.lr_decay == LrDecay::cosine_per_iteration && train.batches_per_epoch < 1)
      throw std::invalid_argument(
          "Trainer::fit: cosine-per-iteration decay needs BatchSource::batches_per_epoch");

    model_.to(config_.device);
    Sgd optimizer(model_.module().named_parameters(),
                  SgdOptions{config_.lr, config_.momentum, 0.0, config_.weight_decay, config_.nesterov});

    CheckpointRecord record;
    record.seed = config_.seed;
    record.settings = config_.settings(model_);
    TrainResult result;
    if (!config_.checkpoint_dir.empty() && config_.resume) {
      if (auto found = read_checkpoint_record(config_.checkpoint_dir)) {
        if (found->settings != record.settings || found->seed != record.seed)
          throw std::runtime_error("Trainer: the checkpoint in '" + config_.checkpoint_dir.string() +
                                   "' was written with different settings\n  checkpoint: " +
                                   found->settings.dump() + "\n  this run:   " + record.settings.dump() +
                                   "\n(use another checkpoint folder, or resume = false to start over)");
        record = std::move(*load_checkpoint(config_.checkpoint_dir, model_.module(), optimizer));
        result.resumed_from = record.epochs_done;
      }
    }

    const std::int64_t first = record.epochs_done;
    std::int64_t last = config_.epochs;
    if (config_.stop_after) last = std::min(last, first + *config_.stop_after);
    double session_seconds = 0;
    for (std::int64_t epoch = first; epoch < last; ++epoch) {
      const auto t0 = clock::now();
      const std::uint64_t seed = epoch_seed(config_.seed, epoch);
      torch::manual_seed(seed);
      model_.train();
      Accuracy train_acc;
      std::int64_t iteration = 0;
      const double epoch_lr = schedule.at(epoch, 0, std::max<std::int64_t>(1, train.batches_per_epoch));
      train.for_each(EpochInfo{epoch, seed}, [&](const Batch& b) {
        cpu_threads_tick();
        optimizer.set_lr(schedule.at(epoch, iteration, std::max<std::int64_t>(1, train.batches_per_epoch)));
        const auto images = b.images.to(config_.device);
        const auto labels = b.labels.to(config_.device).to(torch::kLong);
        const auto logits = model_.forward(images);
        const auto loss = torch::nn::functional::cross_entropy(logits, labels);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        train_acc.add(logits.detach(), labels, /*with_top5=*/false);
        ++iteration;
      });
      if (train_acc.total == 0)
        throw std::runtime_error("Trainer::fit: the training source yielded no samples in epoch " +
                                 std::to_string(epoch + 1));
      const auto t1 = clock::now();
      const bool evaluate_now = (epoch + 1) % config_.eval_every == 0 || epoch + 1 == config_.epochs;
      Accuracy test_acc;
      if (evaluate_now) {
        test_acc = evaluate(model_, test, config_.device, config_.top5);
        if (test_acc.total == 0) throw std::runtime_error("Trainer::fit: the test source yielded no samples");
      }
      const auto t2 = clock::now();

      EpochStats s;
      s.epoch = epoch + 1;
      s.epochs = config_.epochs;
      s.lr = epoch_lr;
      s.train_loss = train_acc.loss();
      s.train_top1 = train_acc.top1();
      constexpr double not_evaluated = std::numeric_limits<double>::quiet_NaN();
      s.test_top1 = evaluate_now ? test_acc.top1() : not_evaluated;
      s.test_loss = evaluate_now ? test_acc.loss() : not_evaluated;
      if (config_.top5 && evaluate_now) s.test_top5 = test_acc.top5();
      s.best_top1 = evaluate_now ? s.test_top1 : 0.0;
      for (const auto& h : record.history)
        if (std::isfinite(h.test_top1)) s.best_top1 = std::max(s.best_top1, h.test_top1);
      s.train_samples = train_acc.total;
      s.seconds = std::chrono::duration<double>(t2 - t0).count();
      s.images_per_second = double(train_acc.total) / std::max(1e-9, std::chrono::duration<double>(t1 - t0).count());
      session_seconds += s.seconds;
      const double mean_epoch = session_seconds / double(epoch - first + 1);
      s.eta_seconds = mean_epoch * double(config_.epochs - (epoch + 1));

      record.history.push_back(s);
      record.epochs_done = epoch + 1;
      record.seconds += s.seconds;
      if (!config_.checkpoint_dir.empty()) save_checkpoint(config_.checkpoint_dir, model_.module(), optimizer, record);
      if (on_epoch) on_epoch(s);
    }

    result.history = record.history;
    result.epochs_done = record.epochs_done;
    result.finished = record.epochs_done >= config_.epochs;
    result.seconds = record.seconds;
    for (const auto& h : record.history) {
      if (!std::isfinite(h.test_top1)) continue;   // not evaluated (eval_every)
      if (h.test_top1 > result.best_top1 || result.best_epoch == 0) {
        result.best_top1 = h.test_top1;
        result.best_epoch = h.epoch;
      }
    }
    if (!record.history.empty()) {
      result.last_top1 = record.history.back().test_top1;
      result.last_top5 = record.history.back().test_top5;
    }
    return result;
  }

 private:
  Classifier model_;
  TrainConfig config_;
};

}  // namespace distdiff::train
