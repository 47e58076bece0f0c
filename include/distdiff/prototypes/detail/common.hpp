#pragma once
// Shared plumbing of the prototype strategies: input validation, splitting the
// samples by class, L2 normalisation, and conversion between LibTorch tensors
// (the public boundary) and xtensor matrices (the CPU numerics).
#include <torch/torch.h>

#include <xtensor/xadapt.hpp>
#include <xtensor/xtensor.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace distdiff::detail {

using Matrix = xt::xtensor<double, 2>;

// The samples of one data set, split by class.
struct ClassSplit {
  Matrix features;                                   // [N, D] float64, normalised if requested
  std::vector<std::vector<std::int64_t>> members;    // per class: sample indices, ascending
};

inline std::string shape_string(const at::Tensor& t) {
  std::string s = "[";
  for (std::int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + "]";
}

// [N, D] floating tensor (any device) -> float64 CPU matrix.
inline Matrix to_matrix(const at::Tensor& t) {
  const auto c = t.detach().to(torch::kCPU, torch::kFloat64).contiguous();
  const auto rows = static_cast<std::size_t>(c.size(0));
  const auto cols = static_cast<std::size_t>(c.size(1));
  Matrix m = xt::adapt(c.data_ptr<double>(), rows * cols, xt::no_ownership(),
                       std::array<std::size_t, 2>{rows, cols});
  return m;
}

// Row-wise L2 normalisation, x / max(‖x‖, 1e-12) (as torch.nn.functional.normalize).
inline void normalize_rows(Matrix& m) {
  const std::size_t rows = m.shape(0), cols = m.shape(1);
  for (std::size_t i = 0; i < rows; ++i) {
    double s = 0.0;
    for (std::size_t j = 0; j < cols; ++j) s += m(i, j) * m(i, j);
    const double inv = 1.0 / std::max(std::sqrt(s), 1e-12);
    for (std::size_t j = 0; j < cols; ++j) m(i, j) *= inv;
  }
}

// The rows `idx` of m, in that order.
inline Matrix gather_rows(const Matrix& m, const std::vector<std::int64_t>& idx) {
  const std::size_t cols = m.shape(1);
  Matrix out = xt::zeros<double>(std::array<std::size_t, 2>{idx.size(), cols});
  for (std::size_t r = 0; r < idx.size(); ++r)
    for (std::size_t j = 0; j < cols; ++j) out(r, j) = m(static_cast<std::size_t>(idx[r]), j);
  return out;
}

// Checks a point set handed to a strategy's cluster(): float [n, D], finite.
inline Matrix checked_points(const at::Tensor& points, const std::string& who) {
  if (!points.defined()) throw std::invalid_argument(who + ": points tensor is undefined");
  if (points.dim() != 2)
    throw std::invalid_argument(who + ": points must be 2-D [n, D], got shape " + shape_string(points));
  if (!at::isFloatingType(points.scalar_type()))
    throw std::invalid_argument(who + ": points must be a floating tensor");
  if (points.size(0) < 1 || points.size(1) < 1)
    throw std::invalid_argument(who + ": points are empty, shape " + shape_string(points));
  if (!torch::isfinite(points).all().item<bool>())
    throw std::invalid_argument(who + ": points contain NaN or infinite values");
  return to_matrix(points);
}

// Validates (features, labels, num_classes) and splits the samples by class.
// Every class must hold at least `min_per_class` samples (>= 1).
inline ClassSplit split_by_class(const at::Tensor& features, const at::Tensor& labels,
                                 std::int64_t num_classes, bool normalize,
                                 std::int64_t min_per_class, const std::string& who) {
  if (!features.defined()) throw std::invalid_argument(who + ": features tensor is undefined");
  if (features.dim() != 2)
    throw std::invalid_argument(who + ": features must be 2-D [N, D], got shape " +
                                shape_string(features));
  if (!at::isFloatingType(features.scalar_type()))
    throw std::invalid_argument(who + ": features must be a floating tensor");
  if (features.size(0) < 1 || features.size(1) < 1)
    throw std::invalid_argument(who + ": features are empty, shape " + shape_string(features));
  if (!labels.defined()) throw std::invalid_argument(who + ": labels tensor is undefined");
  if (labels.dim() != 1)
    throw std::invalid_argument(who + ": labels must be 1-D [N], got shape " + shape_string(labels));
  if (!at::isIntegralType(labels.scalar_type(), /*includeBool=*/false))
    throw std::invalid_argument(who + ": labels must be an integer tensor (int64)");
  if (labels.size(0) != features.size(0))
    throw std::invalid_argument(who + ": " + std::to_string(features.size(0)) +
                                " feature rows but " + std::to_string(labels.size(0)) + " labels");
  if (num_classes < 1)
    throw std::invalid_argument(who + ": num_classes must be >= 1, got " +
                                std::to_string(num_classes));
  if (!torch::isfinite(features).all().item<bool>())
    throw std::invalid_argument(who + ": features contain NaN or infinite values");

  const auto lab = labels.detach().to(torch::kCPU, torch::kLong).contiguous();
  const auto* y = lab.data_ptr<std::int64_t>();
  ClassSplit split;
  split.members.resize(static_cast<std::size_t>(num_classes));
  for (std::int64_t i = 0; i < lab.size(0); ++i) {
    if (y[i] < 0 || y[i] >= num_classes)
      throw std::invalid_argument(who + ": labels[" + std::to_string(i) + "] = " +
                                  std::to_string(y[i]) + " is outside [0, num_classes = " +
                                  std::to_string(num_classes) + ")");
    split.members[static_cast<std::size_t>(y[i])].push_back(i);
  }
  for (std::int64_t c = 0; c < num_classes; ++c) {
    const auto count = static_cast<std::int64_t>(split.members[static_cast<std::size_t>(c)].size());
    if (count == 0)
      throw std::invalid_argument(who + ": class " + std::to_string(c) +
                                  " has no samples (every class in [0, " +
                                  std::to_string(num_classes) + ") needs at least one)");
    if (count < min_per_class)
      throw std::invalid_argument(who + ": class " + std::to_string(c) + " has " +
                                  std::to_string(count) + " sample" + (count == 1 ? "" : "s") +
                                  ", fewer than k = " + std::to_string(min_per_class) +
                                  " (each class needs at least k samples to form k groups)");
  }
  split.features = to_matrix(features);
  if (normalize) normalize_rows(split.features);
  return split;
}

// Means of the groups of `points` given by `labels` (values in [0, k), every
// group non-empty), as rows of a [k, D] matrix.
inline Matrix group_means(const Matrix& points, const std::vector<std::int64_t>& labels,
                          std::int64_t k) {
  const std::size_t cols = points.shape(1);
  Matrix means = xt::zeros<double>(std::array<std::size_t, 2>{static_cast<std::size_t>(k), cols});
  std::vector<std::int64_t> count(static_cast<std::size_t>(k), 0);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const auto g = static_cast<std::size_t>(labels[i]);
    ++count[g];
    for (std::size_t j = 0; j < cols; ++j) means(g, j) += points(i, j);
  }
  for (std::size_t g = 0; g < static_cast<std::size_t>(k); ++g)
    for (std::size_t j = 0; j < cols; ++j) means(g, j) /= static_cast<double>(count[g]);
  return means;
}

// Relabels groups so that group 0 holds sample 0, group 1 the first sample not
// in group 0, and so on (order of first appearance).
inline std::vector<std::int64_t> relabel_by_first_appearance(const std::vector<std::int64_t>& labels,
                                                              std::int64_t k) {
  std::vector<std::int64_t> map(static_cast<std::size_t>(k), -1), out(labels.size());
  std::int64_t next = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    auto& m = map[static_cast<std::size_t>(labels[i])];
    if (m < 0) m = next++;
    out[i] = m;
  }
  return out;
}

// [C, P, D] float64 prototypes -> tensor with the features' dtype and device,
// optionally re-normalised row-wise.
inline at::Tensor prototypes_to_tensor(const xt::xtensor<double, 3>& protos, bool renormalize,
                                       const at::Tensor& like) {
  auto t = torch::from_blob(const_cast<double*>(protos.data()),
                            {static_cast<std::int64_t>(protos.shape(0)),
                             static_cast<std::int64_t>(protos.shape(1)),
                             static_cast<std::int64_t>(protos.shape(2))},
                            torch::kFloat64)
               .clone();
  if (renormalize) t = t / t.norm(2, {2}, /*keepdim=*/true).clamp_min(1e-12);
  return t.to(like.device(), like.scalar_type());
}

// The point set of one `cluster()` call: validated, at least k rows,
// L2-normalised when asked.
inline Matrix cluster_points(const at::Tensor& points, std::int64_t k, bool normalize,
                             const std::string& who) {
  auto x = checked_points(points, who);
  if (static_cast<std::int64_t>(x.shape(0)) < k)
    throw std::invalid_argument(who + ": " + std::to_string(x.shape(0)) +
                                " points cannot form k = " + std::to_string(k) + " groups");
  if (normalize) normalize_rows(x);
  return x;
}

// K group prototypes per class, [C, K, D]: the samples of each class are
// grouped by `group_labels(points) -> std::vector<std::int64_t>` (values in
// [0, k), every group non-empty) and each group is averaged.
template <class GroupLabels>
at::Tensor build_group_prototypes(const at::Tensor& features, const at::Tensor& labels,
                                  std::int64_t num_classes, std::int64_t k, bool normalize,
                                  bool renormalize, const std::string& who,
                                  GroupLabels&& group_labels) {
  const auto split = split_by_class(features, labels, num_classes, normalize, k, who);
  const std::size_t dim = split.features.shape(1);
  xt::xtensor<double, 3> out = xt::zeros<double>(std::array<std::size_t, 3>{
      static_cast<std::size_t>(num_classes), static_cast<std::size_t>(k), dim});
  for (std::size_t c = 0; c < split.members.size(); ++c) {
    const auto points = gather_rows(split.features, split.members[c]);
    const std::vector<std::int64_t> groups = group_labels(points);
    const auto means = group_means(points, groups, k);
    for (std::size_t g = 0; g < static_cast<std::size_t>(k); ++g)
      for (std::size_t j = 0; j < dim; ++j) out(c, g, j) = means(g, j);
  }
  return prototypes_to_tensor(out, renormalize, features);
}

}  // namespace distdiff::detail
