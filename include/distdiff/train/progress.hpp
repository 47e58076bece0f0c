#pragma once
// Per-epoch statistics of a training run, their JSON form (checkpoints keep
// the history) and the one-line progress report.
//
//   trainer.on_epoch = [](const distdiff::train::EpochStats& s) {
//     std::cerr << distdiff::train::format_progress(s) << '\n';
//   };
//   // epoch 3/100  lr 0.09990  loss 2.3121  train 31.25%  test 28.40% (best 28.40%)  812 img/s  ETA 1h02m
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

namespace distdiff::train {

struct EpochStats {
  std::int64_t epoch = 0;          // 1-based: epochs completed after this one
  std::int64_t epochs = 0;         // planned total
  double lr = 0;                   // LR at the start of the epoch
  double train_loss = 0;           // mean cross-entropy over the epoch's samples
  double train_top1 = 0;           // percent, in train mode, as the batches went by
  double test_top1 = 0;            // percent
  double test_top5 = std::numeric_limits<double>::quiet_NaN();  // NaN when not computed
  double test_loss = 0;
  double best_top1 = 0;            // best test_top1 so far (this epoch included)
  std::int64_t train_samples = 0;
  double seconds = 0;              // wall time of this epoch (training + evaluation)
  double images_per_second = 0;    // training throughput
  double eta_seconds = 0;          // remaining epochs × mean epoch time of this run
};

inline nlohmann::json to_json(const EpochStats& s) {
  auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  return {{"epoch", s.epoch},           {"epochs", s.epochs},
          {"lr", num(s.lr)},            {"train_loss", num(s.train_loss)},
          {"train_top1", num(s.train_top1)}, {"test_top1", num(s.test_top1)},
          {"test_top5", num(s.test_top5)},   {"test_loss", num(s.test_loss)},
          {"best_top1", num(s.best_top1)},   {"train_samples", s.train_samples},
          {"seconds", num(s.seconds)},       {"images_per_second", num(s.images_per_second)},
          {"eta_seconds", num(s.eta_seconds)}};
}

inline EpochStats epoch_stats_from_json(const nlohmann::json& j) {
  auto num = [&](const char* key) {
    const auto& v = j.at(key);
    return v.is_null() ? std::numeric_limits<double>::quiet_NaN() : v.get<double>();
  };
  EpochStats s;
  s.epoch = j.at("epoch").get<std::int64_t>();
  s.epochs = j.at("epochs").get<std::int64_t>();
  s.lr = num("lr");
  s.train_loss = num("train_loss");
  s.train_top1 = num("train_top1");
  s.test_top1 = num("test_top1");
  s.test_top5 = num("test_top5");
  s.test_loss = num("test_loss");
  s.best_top1 = num("best_top1");
  s.train_samples = j.at("train_samples").get<std::int64_t>();
  s.seconds = num("seconds");
  s.images_per_second = num("images_per_second");
  s.eta_seconds = num("eta_seconds");
  return s;
}

// "1h02m", "4m05s", "12s".
inline std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<long long>(std::llround(seconds));
  char buf[64];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", s / 3600, (s % 3600) / 60);
  else if (s >= 60)
    std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%llds", s);
  return buf;
}

inline std::string format_progress(const EpochStats& s) {
  char buf[320];
  std::snprintf(buf, sizeof buf, "epoch %lld/%lld  lr %.5f  loss %.4f  train %.2f%%", (long long)s.epoch,
                (long long)s.epochs, s.lr, s.train_loss, s.train_top1);
  std::string line = buf;
  if (std::isfinite(s.test_top1))
    std::snprintf(buf, sizeof buf, "  test %.2f%% (best %.2f%%)", s.test_top1, s.best_top1);
  else
    std::snprintf(buf, sizeof buf, "  test -  (best %.2f%%)", s.best_top1);
  line += buf;
  if (std::isfinite(s.test_top5)) {
    std::snprintf(buf, sizeof buf, "  top5 %.2f%%", s.test_top5);
    line += buf;
  }
  std::snprintf(buf, sizeof buf, "  %.0f img/s  ETA %s", s.images_per_second, format_duration(s.eta_seconds).c_str());
  return line + buf;
}

}  // namespace distdiff::train
