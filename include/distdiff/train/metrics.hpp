#pragma once
// Classification metrics: top-k hits, a running accuracy/loss accumulator, and
// evaluation of a classifier over a BatchSource.
//
//   distdiff::train::Accuracy acc;
//   acc.add(logits, labels);                 // any number of batches
//   double top1 = acc.top1();                // percent, in [0, 100]
//
// Accuracies are percentages, as the paper's tables report them.
#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include "distdiff/train/batches.hpp"
#include "distdiff/train/classifier.hpp"

namespace distdiff::train {

// Number of rows whose label is among the k largest logits.
inline std::int64_t topk_correct(const torch::Tensor& logits, const torch::Tensor& labels, std::int64_t k) {
  if (logits.dim() != 2 || labels.dim() != 1 || logits.size(0) != labels.size(0))
    throw std::invalid_argument("topk_correct: need logits [B, C] and labels [B]");
  if (k < 1) throw std::invalid_argument("topk_correct: k must be positive");
  k = std::min<std::int64_t>(k, logits.size(1));
  const auto pred = std::get<1>(logits.topk(k, /*dim=*/1, /*largest=*/true, /*sorted=*/true));
  return pred.eq(labels.to(pred.device()).view({-1, 1})).any(1).sum().item<std::int64_t>();
}

struct Accuracy {
  std::int64_t correct1 = 0;
  std::int64_t correct5 = 0;
  std::int64_t total = 0;
  double loss_sum = 0;  // sum over samples of the cross-entropy

  void add(const torch::Tensor& logits, const torch::Tensor& labels, bool with_top5 = true) {
    torch::NoGradGuard no_grad;
    correct1 += topk_correct(logits, labels, 1);
    if (with_top5) correct5 += topk_correct(logits, labels, 5);
    loss_sum += torch::nn::functional::cross_entropy(
                    logits.to(torch::kFloat), labels.to(logits.device()),
                    torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                    .item<double>();
    total += labels.size(0);
  }
  double top1() const { return total ? 100.0 * double(correct1) / double(total) : 0.0; }
  double top5() const { return total ? 100.0 * double(correct5) / double(total) : 0.0; }
  double loss() const { return total ? loss_sum / double(total) : std::numeric_limits<double>::quiet_NaN(); }
};

// Evaluates `model` (in eval mode, without gradients) on every batch of
// `source` (epoch 0), moving batches to `device`. Restores the training flag.
inline Accuracy evaluate(Classifier& model, const BatchSource& source, const torch::Device& device,
                         bool with_top5 = true) {
  if (!source.for_each) throw std::invalid_argument("evaluate: the evaluation BatchSource is empty");
  const bool was_training = model.is_training();
  model.eval();
  torch::NoGradGuard no_grad;
  Accuracy acc;
  source.for_each(EpochInfo{0, 0}, [&](const Batch& b) {
    const auto logits = model.forward(b.images.to(device));
    acc.add(logits, b.labels.to(device), with_top5);
  });
  model.train(was_training);
  return acc;
}

}  // namespace distdiff::train
