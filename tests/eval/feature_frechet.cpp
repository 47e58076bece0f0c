// Fréchet distance in an arbitrary feature space, against brute-force
// statistics and closed forms.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <random>
#include <vector>

#include "distdiff/data/in_memory.hpp"
#include "distdiff/eval/feature_frechet.hpp"
#include "distdiff/features/clip_image_features.hpp"
#include "distdiff/io/image_io.hpp"
#include "distdiff/io/run_folder.hpp"
#include "support/fake_run.hpp"
#include "support/temp_dir.hpp"

using namespace distdiff;
using Catch::Contains;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {

// n w x h RGB images with pixel values in [lo, hi].
InMemoryDataset pixels_dataset(unsigned seed, int n, int w, int h, int lo, int hi) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> d(lo, hi);
  InMemoryDataset ds;
  ds.classes = {"x"};
  for (int i = 0; i < n; ++i) {
    Image img(w, h, 3);
    for (auto& p : img.pixels) p = static_cast<std::uint8_t>(d(rng));
    ds.add(img, 0);
  }
  return ds;
}

// Feature vectors as plain doubles: feature_of(image) for every image.
template <class Fn>
std::vector<std::vector<double>> brute_features(const InMemoryDataset& ds, Fn feature_of) {
  std::vector<std::vector<double>> out;
  for (std::size_t i = 0; i < ds.size(); ++i) out.push_back(feature_of(ds.load(i)));
  return out;
}

// The image's pixels in CHW order, / 255: what x.flatten(1) of to_tensor gives.
std::vector<double> chw_pixels(const Image& img) {
  std::vector<double> v;
  for (int c = 0; c < img.channels; ++c)
    for (int y = 0; y < img.height; ++y)
      for (int x = 0; x < img.width; ++x) v.push_back(img.at(x, y, c) / 255.0);
  return v;
}

struct Gaussian {
  std::vector<double> mu;
  std::vector<std::vector<double>> sigma;
};

// Mean and unbiased covariance by the textbook sums.
Gaussian brute_gaussian(const std::vector<std::vector<double>>& f) {
  const std::size_t n = f.size(), d = f[0].size();
  Gaussian g{std::vector<double>(d, 0.0), std::vector<std::vector<double>>(d, std::vector<double>(d, 0.0))};
  for (const auto& v : f)
    for (std::size_t j = 0; j < d; ++j) g.mu[j] += v[j] / double(n);
  for (const auto& v : f)
    for (std::size_t j = 0; j < d; ++j)
      for (std::size_t k = 0; k < d; ++k) g.sigma[j][k] += (v[j] - g.mu[j]) * (v[k] - g.mu[k]) / double(n - 1);
  return g;
}

// d² = |μ1 − μ2|² + tr Σ1 + tr Σ2 − 2 Σ_i sqrt(λ_i(Σ1 Σ2)), with the eigenvalues
// of the (non-symmetric) product from a general eigensolver — not the
// symmetric √Σ1 Σ2 √Σ1 route of eval/fid.hpp.
double closed_form_frechet(const Gaussian& a, const Gaussian& b) {
  const std::size_t d = a.mu.size();
  double dist = 0;
  for (std::size_t j = 0; j < d; ++j) dist += (a.mu[j] - b.mu[j]) * (a.mu[j] - b.mu[j]) + a.sigma[j][j] + b.sigma[j][j];
  auto to_tensor64 = [&](const std::vector<std::vector<double>>& m) {
    auto t = torch::empty({std::int64_t(d), std::int64_t(d)}, torch::kFloat64);
    for (std::size_t j = 0; j < d; ++j)
      for (std::size_t k = 0; k < d; ++k) t[std::int64_t(j)][std::int64_t(k)] = m[j][k];
    return t;
  };
  const auto ev = torch::linalg_eigvals(torch::matmul(to_tensor64(a.sigma), to_tensor64(b.sigma)));
  const auto re = torch::real(ev);
  REQUIRE(re.min().item<double>() > 0.0);   // N > D: both covariances are positive definite
  REQUIRE(torch::imag(ev).abs().max().item<double>() < 1e-9 * re.max().item<double>());
  return dist - 2.0 * re.sqrt().sum().item<double>();
}

const auto identity_features = [](const torch::Tensor& x) { return x.flatten(1); };

}  // namespace

TEST_CASE("feature_stats with identity features equals brute-force mean and covariance", "[eval][feature_frechet]") {
  const auto ds = pixels_dataset(1, 23, 2, 2, 0, 255);   // D = 12 features
  const auto brute = brute_gaussian(brute_features(ds, chw_pixels));
  for (std::int64_t batch : {1, 5, 64}) {
    const auto s = feature_stats(identity_features, ds, 2, batch);
    CHECK(s.n == 23);
    REQUIRE(s.mu.sizes() == torch::IntArrayRef{12});
    for (std::int64_t j = 0; j < 12; ++j) {
      CHECK(s.mu[j].item<double>() == Approx(brute.mu[std::size_t(j)]).margin(1e-6));
      for (std::int64_t k = 0; k < 12; ++k)
        CHECK(s.sigma[j][k].item<double>() == Approx(brute.sigma[std::size_t(j)][std::size_t(k)]).margin(1e-6));
    }
  }
}

TEST_CASE("frechet_between matches the closed form for Gaussians", "[eval][feature_frechet]") {
  const auto a = pixels_dataset(2, 40, 2, 2, 0, 255);
  const auto b = pixels_dataset(3, 30, 2, 2, 40, 200);   // another distribution
  const double expected = closed_form_frechet(brute_gaussian(brute_features(a, chw_pixels)),
                                              brute_gaussian(brute_features(b, chw_pixels)));
  REQUIRE(expected > 0.01);
  CHECK(frechet_between(identity_features, a, b, 2) == Approx(expected).epsilon(1e-5));
  CHECK(frechet_between(identity_features, a, b, 2, 7) == Approx(expected).epsilon(1e-5));
  CHECK(frechet_between(identity_features, b, a, 2, 3) == Approx(expected).epsilon(1e-5));   // symmetric
  CHECK(frechet_between(identity_features, a, a, 2) == Approx(0.0).margin(1e-9));

  // One dimension (the mean brightness): d² = (μ1 − μ2)² + (σ1 − σ2)².
  auto brightness = [](const torch::Tensor& x) { return x.mean({1, 2, 3}).unsqueeze(1); };
  auto mean_sd = [](const InMemoryDataset& ds) {
    std::vector<double> v;
    for (std::size_t i = 0; i < ds.size(); ++i) {
      const auto p = chw_pixels(ds.load(i));
      double s = 0;
      for (double x : p) s += x;
      v.push_back(s / double(p.size()));
    }
    double m = 0, ss = 0;
    for (double x : v) m += x / double(v.size());
    for (double x : v) ss += (x - m) * (x - m);
    return std::pair(m, std::sqrt(ss / double(v.size() - 1)));
  };
  const auto [ma, sa] = mean_sd(a);
  const auto [mb, sb] = mean_sd(b);
  CHECK(frechet_between(brightness, a, b, 2, 4) ==
        Approx((ma - mb) * (ma - mb) + (sa - sb) * (sa - sb)).epsilon(1e-5));
}

TEST_CASE("feature_stats resizes each image bilinearly to the feature map's size", "[eval][feature_frechet]") {
  // 8x8 images made of constant 2x2 blocks: a bilinear halving (align_corners
  // false) samples between the two pixels of a block, so it returns the blocks.
  std::mt19937 rng(4);
  std::uniform_int_distribution<int> d(0, 255);
  InMemoryDataset big, small;
  big.classes = small.classes = {"x"};
  for (int i = 0; i < 9; ++i) {
    Image b(8, 8, 3), s(4, 4, 3);
    for (int y = 0; y < 4; ++y)
      for (int x = 0; x < 4; ++x)
        for (int c = 0; c < 3; ++c) {
          const auto v = static_cast<std::uint8_t>(d(rng));
          s.at(x, y, c) = v;
          for (int dy = 0; dy < 2; ++dy)
            for (int dx = 0; dx < 2; ++dx) b.at(2 * x + dx, 2 * y + dy, c) = v;
        }
    big.add(b, 0);
    small.add(s, 0);
  }
  const auto sb = feature_stats(identity_features, big, 4, 4);
  const auto ss = feature_stats(identity_features, small, 4, 4);
  CHECK(torch::allclose(sb.mu, ss.mu, 1e-6, 1e-7));
  CHECK(torch::allclose(sb.sigma, ss.sigma, 1e-6, 1e-8));
  // An image already at the size is left as it is; grey and RGBA become RGB.
  Image grey(4, 4, 1);
  grey.pixels.assign(16, 51);
  const auto t = square_image_tensor(grey, 4);
  CHECK(t.sizes() == torch::IntArrayRef{3, 4, 4});
  CHECK(torch::allclose(t, torch::full({3, 4, 4}, 0.2f)));
}

TEST_CASE("frechet_between with CLIP image features: zero for a set and itself, symmetric",
          "[eval][feature_frechet]") {
  const auto clip = ClipImageFeatures::random(models::ClipVisionConfig::tiny(), {}, 7);
  auto theta = [&](const torch::Tensor& x) { return clip.extract(x); };
  const auto a = pixels_dataset(5, 24, 20, 20, 0, 255);   // more images than the 16 features
  const auto b = pixels_dataset(6, 20, 28, 28, 0, 120);
  const auto size = clip.image_size();
  const double ab = frechet_between(theta, a, b, size, 5);
  CHECK(ab > 0.0);
  CHECK(frechet_between(theta, b, a, size, 3) == Approx(ab).epsilon(1e-4));
  CHECK(frechet_between(theta, a, a, size, 4) == Approx(0.0).margin(1e-5 * ab));
  CHECK(feature_stats(theta, a, size).mu.size(0) == clip.feature_dim());
}

TEST_CASE("run_image_files: a run's manifest images (not its grid), or any folder's images",
          "[eval][feature_frechet]") {
  test::TempDir tmp;
  const auto ds = pixels_dataset(8, 6, 5, 5, 0, 255);
  const auto run = tmp.path / "run";
  for (std::size_t i = 0; i < ds.size(); ++i)
    test::add_generated(run, i % 2 ? "odd" : "even", std::int64_t(i % 2), std::int64_t(i), 0, "", ds.load(i));
  write_png(run / "grid.png", Image(40, 40, 3));
  const auto files = run_image_files(run);
  REQUIRE(files.size() == 6);
  CHECK(files.source(0) == (run / "even" / "0_0.png").string());
  // PNG is lossless: the run and the in-memory images have the same statistics
  // (of 3 features, fewer than the 6 images: full-rank covariances).
  auto channel_means = [](const torch::Tensor& x) { return x.mean({2, 3}); };
  CHECK(frechet_between(channel_means, ds, files, 5) == Approx(0.0).margin(1e-9));
  CHECK(run_image_files(tmp.path / "run" / "odd").size() == 3);   // no manifest: every image below the folder
}

TEST_CASE("EvenlySpaced takes images spread over the source", "[eval][feature_frechet]") {
  const auto ds = pixels_dataset(9, 100, 2, 2, 0, 255);
  const EvenlySpaced ten(ds, 10);
  REQUIRE(ten.size() == 10);
  CHECK(ten.index(0) == 0);
  CHECK(ten.index(1) == 10);
  CHECK(ten.index(9) == 90);
  CHECK(ten.load(3).pixels == ds.load(30).pixels);
  CHECK(EvenlySpaced(ds, 0).size() == 100);
  CHECK(EvenlySpaced(ds, 500).size() == 100);
  CHECK(EvenlySpaced(pixels_dataset(9, 7, 2, 2, 0, 255), 3).index(2) == 4);
}

TEST_CASE("feature_stats rejects too few images, bad sizes and bad feature maps", "[eval][feature_frechet]") {
  const auto one = pixels_dataset(10, 1, 2, 2, 0, 255);
  const auto two = pixels_dataset(11, 2, 2, 2, 0, 255);
  CHECK_THROWS_WITH(feature_stats(identity_features, one, 2), Contains("at least 2 images") && Contains("has 1"));
  CHECK_THROWS_WITH(feature_stats(identity_features, two, 2, 0), Contains("batch_size must be >= 1"));
  CHECK_THROWS_WITH(feature_stats(identity_features, two, 0), Contains("image_size must be >= 1"));
  auto flat = [](const torch::Tensor& x) { return x.flatten(); };
  CHECK_THROWS_WITH(feature_stats(flat, two, 2), Contains("must return [B, D]"));
}

}  // namespace DISTDIFF_UNITY_ID
