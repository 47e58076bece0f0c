#pragma once
// Fréchet distance between Gaussians fitted to feature sets — the FID of
// Heusel et al. (2017) when the features are Inception pool3 activations
// (eval/inception.hpp) — and the streaming feature statistics it needs.
//
//     distdiff::FeatureStatsAccumulator real, fake;
//     for (auto& batch : real_batches) real.add(net.features(batch));   // [B, 2048]
//     for (auto& batch : fake_batches) fake.add(net.features(batch));
//     double fid = distdiff::frechet_distance(real.stats(), fake.stats());
//
//   d² = ‖μ1 − μ2‖² + tr Σ1 + tr Σ2 − 2 tr (Σ1 Σ2)^{1/2}
//
// Everything is float64. tr (Σ1 Σ2)^{1/2} is computed through the symmetric
// positive semi-definite matrix √Σ1 Σ2 √Σ1, which has the same eigenvalues
// as Σ1 Σ2: tr (Σ1 Σ2)^{1/2} = Σ_i sqrt(λ_i(√Σ1 Σ2 √Σ1)), with two symmetric
// eigendecompositions (eigh) and tiny negative eigenvalues (rounding) clamped
// to zero. Singular covariances (fewer samples than dimensions) need no
// special care in this form; if an eigendecomposition fails or the result is
// not finite, the computation is repeated with eps·I added to both
// covariances, as pytorch-fid does (eps = 1e-6).
//
// Covariances are unbiased (divided by N − 1), like numpy.cov in pytorch-fid.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <cstdint>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>

#include "distdiff/models/weights/safetensors.hpp"

namespace distdiff {

struct FeatureStats {
  torch::Tensor mu;      // [D] float64
  torch::Tensor sigma;   // [D, D] float64, unbiased covariance
  std::int64_t n = 0;    // number of feature vectors
};

namespace detail {

inline void check_gaussian(const torch::Tensor& mu, const torch::Tensor& sigma, const char* which) {
  const std::string w = std::string("frechet_distance: ") + which;
  if (!mu.defined() || !sigma.defined()) throw std::invalid_argument(w + " is undefined");
  if (mu.dim() != 1) throw std::invalid_argument(w + ": mean must be 1-D [D], got " + std::to_string(mu.dim()) + "-D");
  if (sigma.dim() != 2 || sigma.size(0) != mu.size(0) || sigma.size(1) != mu.size(0))
    throw std::invalid_argument(w + ": covariance must be [D, D] with D = " + std::to_string(mu.size(0)) +
                                ", got " + std::string(c10::str(sigma.sizes())));
  if (!mu.is_floating_point() || !sigma.is_floating_point())
    throw std::invalid_argument(w + ": mean and covariance must be floating tensors");
  if (!torch::isfinite(mu).all().item<bool>() || !torch::isfinite(sigma).all().item<bool>())
    throw std::invalid_argument(w + ": mean or covariance contains NaN or infinite values");
  const auto s = sigma.to(torch::kFloat64);
  const double scale = std::max(s.abs().max().item<double>(), 1e-300);
  if ((s - s.t()).abs().max().item<double>() > 1e-5 * scale)
    throw std::invalid_argument(w + ": covariance is not symmetric");
}

// Σ_i sqrt(max(λ_i, 0)) over the eigenvalues of the symmetric matrix a.
inline double trace_sqrt_psd(const torch::Tensor& a) {
  const auto sym = 0.5 * (a + a.t());
  const auto ev = std::get<0>(torch::linalg_eigh(sym, "L"));
  return ev.clamp_min(0.0).sqrt().sum().item<double>();
}

// tr (Σ1 Σ2)^{1/2} via √Σ1 Σ2 √Σ1.
inline double trace_sqrt_product(const torch::Tensor& s1, const torch::Tensor& s2) {
  const auto [ev, vec] = torch::linalg_eigh(0.5 * (s1 + s1.t()), "L");
  const auto root = torch::matmul(vec * ev.clamp_min(0.0).sqrt().unsqueeze(0), vec.t());
  return trace_sqrt_psd(torch::matmul(torch::matmul(root, s2), root));
}

}  // namespace detail

// Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2), in float64.
inline double frechet_distance(const torch::Tensor& mu1, const torch::Tensor& sigma1,
                               const torch::Tensor& mu2, const torch::Tensor& sigma2,
                               double eps = 1e-6) {
  detail::check_gaussian(mu1, sigma1, "first Gaussian");
  detail::check_gaussian(mu2, sigma2, "second Gaussian");
  if (mu1.size(0) != mu2.size(0))
    throw std::invalid_argument("frechet_distance: dimensions differ (" + std::to_string(mu1.size(0)) +
                                " vs " + std::to_string(mu2.size(0)) + ")");
  const auto opts = torch::TensorOptions().dtype(torch::kFloat64).device(torch::kCPU);
  const auto m1 = mu1.detach().to(opts), m2 = mu2.detach().to(opts);
  const auto s1 = sigma1.detach().to(opts), s2 = sigma2.detach().to(opts);
  const double diff = (m1 - m2).pow(2).sum().item<double>();
  const double traces = s1.trace().item<double>() + s2.trace().item<double>();
  double tr_covmean = std::numeric_limits<double>::quiet_NaN();
  try {
    tr_covmean = detail::trace_sqrt_product(s1, s2);
  } catch (const std::exception&) {
    // fall through to the regularised computation
  }
  if (!std::isfinite(tr_covmean)) {
    const auto offset = eps * torch::eye(m1.size(0), opts);
    tr_covmean = detail::trace_sqrt_product(s1 + offset, s2 + offset);
  }
  return diff + traces - 2.0 * tr_covmean;
}

inline double frechet_distance(const FeatureStats& a, const FeatureStats& b) {
  return frechet_distance(a.mu, a.sigma, b.mu, b.sigma);
}

// Streaming mean and covariance of feature vectors, in float64 on the device
// of the first batch. Each batch contributes its mean and its centred sum of
// outer products, merged exactly (Chan et al.'s pairwise update), so the
// result does not depend on how the features are split into batches and does
// not suffer the cancellation of a raw Σxxᵀ − nμμᵀ.
class FeatureStatsAccumulator {
 public:
  // features: [B, D], any floating dtype and device.
  void add(const torch::Tensor& features) {
    if (!features.defined() || features.dim() != 2)
      throw std::invalid_argument("FeatureStatsAccumulator::add: features must be [B, D], got " +
                                  (features.defined() ? std::string(c10::str(features.sizes())) : "undefined"));
    if (!features.is_floating_point())
      throw std::invalid_argument("FeatureStatsAccumulator::add: features must be a floating tensor");
    if (mean_.defined() && features.size(1) != mean_.size(0))
      throw std::invalid_argument("FeatureStatsAccumulator::add: feature dimension " +
                                  std::to_string(features.size(1)) + " differs from the earlier " +
                                  std::to_string(mean_.size(0)));
    if (features.size(0) == 0) return;
    if (!torch::isfinite(features).all().item<bool>())
      throw std::invalid_argument("FeatureStatsAccumulator::add: features contain NaN or infinite values");
    torch::NoGradGuard no_grad;
    const auto device = mean_.defined() ? mean_.device() : features.device();
    const auto x = features.detach().to(device, torch::kFloat64);
    const auto nb = x.size(0);
    const auto mb = x.mean(0);
    const auto centred = x - mb;
    const auto m2b = torch::matmul(centred.t(), centred);
    if (!mean_.defined()) {
      mean_ = mb;
      m2_ = m2b;
      n_ = nb;
      return;
    }
    const auto delta = mb - mean_;
    const double n = double(n_), b = double(nb), total = n + b;
    mean_ = mean_ + delta * (b / total);
    m2_ = m2_ + m2b + torch::outer(delta, delta) * (n * b / total);
    n_ += nb;
  }

  std::int64_t count() const { return n_; }

  // Mean and unbiased covariance (on the CPU). Needs at least two vectors.
  FeatureStats stats() const {
    if (n_ < 2)
      throw std::runtime_error("FeatureStatsAccumulator::stats: need at least 2 feature vectors, have " +
                               std::to_string(n_));
    return FeatureStats{mean_.to(torch::kCPU).clone(), (m2_ / double(n_ - 1)).to(torch::kCPU), n_};
  }

 private:
  torch::Tensor mean_, m2_;
  std::int64_t n_ = 0;
};

// One-shot mean and unbiased covariance of [N, D] features (N >= 2).
inline FeatureStats compute_stats(const torch::Tensor& features) {
  if (!features.defined() || features.dim() != 2)
    throw std::invalid_argument("compute_stats: features must be [N, D], got " +
                                (features.defined() ? std::string(c10::str(features.sizes())) : "undefined"));
  if (features.size(0) < 2)
    throw std::invalid_argument("compute_stats: need at least 2 feature vectors, have " +
                                std::to_string(features.size(0)));
  if (!features.is_floating_point())
    throw std::invalid_argument("compute_stats: features must be a floating tensor");
  const auto x = features.detach().to(torch::kCPU, torch::kFloat64);
  const auto mu = x.mean(0);
  const auto c = x - mu;
  return FeatureStats{mu, torch::matmul(c.t(), c) / double(x.size(0) - 1), x.size(0)};
}

// Statistics files: safetensors with "mu" [D] and "sigma" [D, D] (float64) and
// metadata {format = "distdiff-fid-stats", n, plus `metadata`} — e.g. the
// feature extractor's name. Written atomically.
inline void save_stats(const std::filesystem::path& path, const FeatureStats& stats,
                       const std::map<std::string, std::string>& metadata = {}) {
  if (!stats.mu.defined() || !stats.sigma.defined() || stats.mu.dim() != 1 || stats.sigma.dim() != 2 ||
      stats.sigma.size(0) != stats.mu.size(0) || stats.sigma.size(1) != stats.mu.size(0))
    throw std::invalid_argument(path.string() + ": cannot save FID statistics: need mu [D] and sigma [D, D]");
  auto meta = metadata;
  meta["format"] = "distdiff-fid-stats";
  meta["n"] = std::to_string(stats.n);
  models::save_safetensors(path, {{"mu", stats.mu.to(torch::kFloat64)}, {"sigma", stats.sigma.to(torch::kFloat64)}},
                           meta);
}

inline FeatureStats load_stats(const std::filesystem::path& path) {
  const auto file = models::SafetensorsFile::open(path);
  const std::string where = path.string() + ": ";
  if (!file.contains("mu") || !file.contains("sigma"))
    throw std::runtime_error(where + "not a FID statistics file: needs tensors \"mu\" and \"sigma\"");
  FeatureStats s;
  s.mu = file.tensor("mu").to(torch::kFloat64).clone();
  s.sigma = file.tensor("sigma").to(torch::kFloat64).clone();
  if (s.mu.dim() != 1 || s.sigma.dim() != 2 || s.sigma.size(0) != s.mu.size(0) || s.sigma.size(1) != s.mu.size(0))
    throw std::runtime_error(where + "corrupt FID statistics: mu " + std::string(c10::str(s.mu.sizes())) +
                             ", sigma " + std::string(c10::str(s.sigma.sizes())));
  const auto& meta = file.header().metadata;
  if (const auto it = meta.find("n"); it != meta.end()) {
    try {
      s.n = std::stoll(it->second);
    } catch (const std::exception&) {
      throw std::runtime_error(where + "corrupt FID statistics: metadata n = '" + it->second + "'");
    }
  }
  return s;
}

}  // namespace distdiff
