// Fréchet distance against closed forms; streaming statistics; stats files.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>

#include "distdiff/eval/fid.hpp"
#include "support/temp_dir.hpp"

using namespace distdiff;
using Catch::Contains;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {

auto f64() { return torch::TensorOptions().dtype(torch::kFloat64); }

torch::Tensor random_spd(torch::Generator& gen, std::int64_t d) {
  const auto a = torch::randn({d, d}, gen, torch::kFloat64);
  return torch::matmul(a, a.t()) + 0.1 * torch::eye(d, f64());
}

torch::Tensor random_rotation(torch::Generator& gen, std::int64_t d) {
  return std::get<0>(torch::linalg_qr(torch::randn({d, d}, gen, torch::kFloat64)));
}

// ‖Δμ‖² + Σ(√a − √b)²: the FID of Gaussians whose covariances share an eigenbasis.
double commuting_closed_form(const torch::Tensor& mu1, const torch::Tensor& a, const torch::Tensor& mu2,
                             const torch::Tensor& b) {
  return (mu1 - mu2).pow(2).sum().item<double>() + (a.sqrt() - b.sqrt()).pow(2).sum().item<double>();
}

using distdiff::test::TempDir;

}  // namespace

TEST_CASE("FID of identical Gaussians is zero", "[eval][fid]") {
  auto gen = at::detail::createCPUGenerator(1);
  for (std::int64_t d : {1, 4, 32}) {
    const auto mu = torch::randn({d}, gen, torch::kFloat64);
    const auto s = random_spd(gen, d);
    CHECK(frechet_distance(mu, s, mu, s) == Approx(0.0).margin(1e-9 * s.trace().item<double>()));
  }
}

TEST_CASE("FID of diagonal covariances: sum of (sqrt a - sqrt b)^2 plus mean distance", "[eval][fid]") {
  auto gen = at::detail::createCPUGenerator(2);
  const auto mu1 = torch::randn({6}, gen, torch::kFloat64), mu2 = torch::randn({6}, gen, torch::kFloat64);
  const auto a = torch::rand({6}, gen, torch::kFloat64) * 4, b = torch::rand({6}, gen, torch::kFloat64) * 4;
  CHECK(frechet_distance(mu1, torch::diag(a), mu2, torch::diag(b)) ==
        Approx(commuting_closed_form(mu1, a, mu2, b)).epsilon(1e-10));
  // singular (zero variances) are exact too
  const auto az = torch::tensor({1.0, 0.0, 4.0, 0.0}, f64()), bz = torch::tensor({0.0, 0.0, 9.0, 2.0}, f64());
  const auto m = torch::zeros({4}, f64());
  CHECK(frechet_distance(m, torch::diag(az), m, torch::diag(bz)) == Approx(1.0 + 1.0 + 2.0).epsilon(1e-10));
}

TEST_CASE("FID of commuting covariances (shared random eigenbasis)", "[eval][fid]") {
  auto gen = at::detail::createCPUGenerator(3);
  for (std::int64_t d : {2, 5, 20}) {
    const auto q = random_rotation(gen, d);
    const auto a = torch::rand({d}, gen, torch::kFloat64) * 3 + 0.01;
    const auto b = torch::rand({d}, gen, torch::kFloat64) * 3 + 0.01;
    const auto s1 = torch::matmul(q * a.unsqueeze(0), q.t());
    const auto s2 = torch::matmul(q * b.unsqueeze(0), q.t());
    const auto mu1 = torch::randn({d}, gen, torch::kFloat64), mu2 = torch::randn({d}, gen, torch::kFloat64);
    CHECK(frechet_distance(mu1, s1, mu2, s2) == Approx(commuting_closed_form(mu1, a, mu2, b)).epsilon(1e-9));
  }
}

TEST_CASE("FID in one dimension: (mu1 - mu2)^2 + (sigma1 - sigma2)^2", "[eval][fid]") {
  const auto fid = frechet_distance(torch::tensor({1.5}, f64()), torch::tensor({{4.0}}, f64()),
                                    torch::tensor({-0.5}, f64()), torch::tensor({{0.25}}, f64()));
  CHECK(fid == Approx(4.0 + (2.0 - 0.5) * (2.0 - 0.5)).epsilon(1e-14));
}

TEST_CASE("FID of non-commuting 2x2 covariances: tr sqrt(M) = sqrt(tr M + 2 sqrt(det M))", "[eval][fid]") {
  auto gen = at::detail::createCPUGenerator(4);
  for (int t = 0; t < 20; ++t) {
    const auto s1 = random_spd(gen, 2), s2 = random_spd(gen, 2);
    const auto mu1 = torch::randn({2}, gen, torch::kFloat64), mu2 = torch::randn({2}, gen, torch::kFloat64);
    const auto m = torch::matmul(s1, s2);
    const double tr_sqrt = std::sqrt(m.trace().item<double>() +
                                     2 * std::sqrt(s1.det().item<double>() * s2.det().item<double>()));
    const double expected = (mu1 - mu2).pow(2).sum().item<double>() + s1.trace().item<double>() +
                            s2.trace().item<double>() - 2 * tr_sqrt;
    CHECK(frechet_distance(mu1, s1, mu2, s2) == Approx(expected).epsilon(1e-9).margin(1e-12));
  }
}

TEST_CASE("FID is symmetric, non-negative and accepts float32", "[eval][fid]") {
  auto gen = at::detail::createCPUGenerator(5);
  for (int t = 0; t < 10; ++t) {
    const auto s1 = random_spd(gen, 8), s2 = random_spd(gen, 8);
    const auto mu1 = torch::randn({8}, gen, torch::kFloat64), mu2 = torch::randn({8}, gen, torch::kFloat64);
    const double ab = frechet_distance(mu1, s1, mu2, s2), ba = frechet_distance(mu2, s2, mu1, s1);
    CHECK(ab == Approx(ba).epsilon(1e-10));
    CHECK(ab >= -1e-10);
    const double f32 = frechet_distance(mu1.to(torch::kFloat32), s1.to(torch::kFloat32), mu2.to(torch::kFloat32),
                                        s2.to(torch::kFloat32));
    CHECK(f32 == Approx(ab).epsilon(1e-4));
  }
}

TEST_CASE("streaming statistics equal one-shot statistics", "[eval][fid]") {
  auto gen = at::detail::createCPUGenerator(6);
  // a large common offset: a raw sum of outer products would lose digits here
  const auto x = torch::randn({997, 7}, gen, torch::kFloat64) * 0.5 + 1000.0;
  const auto once = compute_stats(x);
  CHECK(once.n == 997);
  CHECK(torch::allclose(once.mu, x.mean(0), 1e-13, 0));
  for (std::int64_t batch : {1, 2, 50, 997}) {
    FeatureStatsAccumulator acc;
    for (std::int64_t i = 0; i < x.size(0); i += batch) acc.add(x.slice(0, i, std::min<std::int64_t>(i + batch, 997)));
    const auto s = acc.stats();
    CHECK(s.n == 997);
    CHECK(torch::allclose(s.mu, once.mu, 1e-13, 0));
    CHECK(torch::allclose(s.sigma, once.sigma, 1e-9, 1e-12));
  }
  // unbiased covariance against a direct double loop
  const auto small = torch::randn({5, 2}, gen, torch::kFloat64);
  const auto st = compute_stats(small);
  auto a = small.accessor<double, 2>();
  double m0 = 0, m1 = 0, c01 = 0;
  for (int i = 0; i < 5; ++i) m0 += a[i][0] / 5, m1 += a[i][1] / 5;
  for (int i = 0; i < 5; ++i) c01 += (a[i][0] - m0) * (a[i][1] - m1) / 4;
  CHECK(st.sigma[0][1].item<double>() == Approx(c01).epsilon(1e-12));
  // float32 batches are accumulated in float64
  FeatureStatsAccumulator acc32;
  acc32.add(small.to(torch::kFloat32));
  CHECK(acc32.stats().sigma.scalar_type() == torch::kFloat64);
}

TEST_CASE("sample FID of large Gaussian samples converges to the analytic FID", "[eval][fid]") {
  auto gen = at::detail::createCPUGenerator(7);
  const std::int64_t d = 3, n = 400000;
  const auto l1 = torch::randn({d, d}, gen, torch::kFloat64), l2 = torch::randn({d, d}, gen, torch::kFloat64);
  const auto mu1 = torch::randn({d}, gen, torch::kFloat64), mu2 = torch::randn({d}, gen, torch::kFloat64);
  const double analytic = frechet_distance(mu1, torch::matmul(l1, l1.t()), mu2, torch::matmul(l2, l2.t()));
  FeatureStatsAccumulator a, b;
  for (int chunk = 0; chunk < 4; ++chunk) {
    a.add(mu1 + torch::matmul(torch::randn({n / 4, d}, gen, torch::kFloat64), l1.t()));
    b.add(mu2 + torch::matmul(torch::randn({n / 4, d}, gen, torch::kFloat64), l2.t()));
  }
  const double sampled = frechet_distance(a.stats(), b.stats());
  INFO("analytic " << analytic << " sampled " << sampled);
  CHECK(sampled == Approx(analytic).epsilon(0.01));
}

TEST_CASE("FID rejects malformed inputs", "[eval][fid]") {
  const auto mu = torch::zeros({3}, f64());
  const auto s = torch::eye(3, f64());
  CHECK_THROWS_WITH(frechet_distance(mu, s, torch::zeros({4}, f64()), torch::eye(4, f64())),
                    Contains("dimensions differ"));
  CHECK_THROWS_WITH(frechet_distance(mu, torch::eye(2, f64()), mu, s), Contains("covariance must be [D, D]"));
  CHECK_THROWS_WITH(frechet_distance(mu.unsqueeze(0), s, mu, s), Contains("mean must be 1-D"));
  auto nan = s.clone();
  nan[1][1] = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH(frechet_distance(mu, s, mu, nan), Contains("second Gaussian") && Contains("NaN"));
  auto asym = s.clone();
  asym[0][2] = 0.5;
  CHECK_THROWS_WITH(frechet_distance(mu, asym, mu, s), Contains("not symmetric"));
  CHECK_THROWS_WITH(frechet_distance(torch::Tensor(), s, mu, s), Contains("undefined"));

  FeatureStatsAccumulator acc;
  CHECK_THROWS_WITH(acc.stats(), Contains("at least 2"));
  acc.add(torch::zeros({1, 3}));
  CHECK_THROWS_WITH(acc.stats(), Contains("have 1"));
  CHECK_THROWS_WITH(acc.add(torch::zeros({2, 4})), Contains("dimension 4 differs"));
  CHECK_THROWS_WITH(acc.add(torch::zeros({3})), Contains("[B, D]"));
  CHECK_THROWS_WITH(compute_stats(torch::zeros({1, 3})), Contains("at least 2"));
}

TEST_CASE("FID statistics files round-trip", "[eval][fid]") {
  TempDir tmp;
  auto gen = at::detail::createCPUGenerator(8);
  const auto stats = compute_stats(torch::randn({20, 4}, gen, torch::kFloat64));
  const auto file = tmp.path / "real.safetensors";
  save_stats(file, stats, {{"feature_extractor", "fid-inception-v3"}});
  const auto back = load_stats(file);
  CHECK(torch::equal(back.mu, stats.mu));
  CHECK(torch::equal(back.sigma, stats.sigma));
  CHECK(back.n == 20);
  CHECK(frechet_distance(back, stats) == Approx(0.0).margin(1e-10));

  CHECK_THROWS_WITH(load_stats(tmp.path / "none.safetensors"), Contains("none.safetensors"));
  const auto bad = tmp.path / "bad.safetensors";
  models::save_safetensors(bad, {{"mu", torch::zeros({3})}});
  CHECK_THROWS_WITH(load_stats(bad), Contains("needs tensors \"mu\" and \"sigma\""));
  models::save_safetensors(bad, {{"mu", torch::zeros({3})}, {"sigma", torch::zeros({2, 2})}});
  CHECK_THROWS_WITH(load_stats(bad), Contains("corrupt FID statistics"));
  CHECK_THROWS_WITH(save_stats(bad, FeatureStats{}), Contains("need mu [D] and sigma [D, D]"));
}

}  // namespace DISTDIFF_UNITY_ID
