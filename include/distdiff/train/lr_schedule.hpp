#pragma once
// Learning-rate schedules.
//
//   distdiff::train::LrSchedule s{.decay = distdiff::train::LrDecay::cosine_per_epoch,
//                                 .base_lr = 0.1, .epochs = 100};
//   double lr = s.at(epoch, iteration, iterations_per_epoch);
//
// cosine_per_epoch (the reference): the LR is constant within an epoch and
//   lr(e) = min_lr + (base_lr − min_lr)·(1 + cos(π·e / epochs)) / 2,
//   which is PyTorch's CosineAnnealingLR(T_max = epochs, eta_min = min_lr)
//   stepped once per epoch (e = 0 gives base_lr).
// cosine_per_iteration: the same curve evaluated at e + i / iterations_per_epoch.
// constant: base_lr throughout.
#include <cmath>
#include <cstdint>
#include <numbers>
#include <stdexcept>
#include <string>

namespace distdiff::train {

enum class LrDecay { cosine_per_epoch, cosine_per_iteration, constant };

inline std::string to_string(LrDecay d) {
  switch (d) {
    case LrDecay::cosine_per_epoch: return "cosine-per-epoch";
    case LrDecay::cosine_per_iteration: return "cosine-per-iteration";
    case LrDecay::constant: return "constant";
  }
  return "unknown";
}
inline LrDecay parse_lr_decay(const std::string& s) {
  if (s == "cosine-per-epoch" || s == "cosine") return LrDecay::cosine_per_epoch;
  if (s == "cosine-per-iteration") return LrDecay::cosine_per_iteration;
  if (s == "constant") return LrDecay::constant;
  throw std::invalid_argument("unknown LR decay '" + s +
                              "' (known: cosine-per-epoch, cosine-per-iteration, constant)");
}

struct LrSchedule {
  LrDecay decay = LrDecay::cosine_per_epoch;
  double base_lr = 0.1;
  double min_lr = 0.0;
  std::int64_t epochs = 100;

  double at(std::int64_t epoch, std::int64_t iteration = 0, std::int64_t iterations_per_epoch = 1) const {
    if (epochs < 1) throw std::invalid_argument("LrSchedule: epochs must be positive");
    double progress = 0;
    switch (decay) {
      case LrDecay::constant: return base_lr;
      case LrDecay::cosine_per_epoch: progress = double(epoch) / double(epochs); break;
      case LrDecay::cosine_per_iteration:
        if (iterations_per_epoch < 1)
          throw std::invalid_argument("LrSchedule: cosine-per-iteration needs the number of batches per epoch");
        progress = (double(epoch) + double(iteration) / double(iterations_per_epoch)) / double(epochs);
        break;
    }
    return min_lr + (base_lr - min_lr) * 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
  }
};

}  // namespace distdiff::train
