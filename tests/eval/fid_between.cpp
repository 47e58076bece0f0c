// FID between image sources (datasets, folders) with a tiny-width network.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "distdiff/data/in_memory.hpp"
#include "distdiff/eval.hpp"
#include "distdiff/io/image_io.hpp"
#include "support/temp_dir.hpp"

using namespace distdiff;
using Catch::Contains;
namespace fs = std::filesystem;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {

// A seeded random network with variance-preserving (He) weights. With
// LibTorch's default init this narrow network (1/32 of the channels) shrinks
// its features so far that FID(a, b) below is ~1e-16; and LibTorch seeds its
// default generator differently in every process, so about 1 draw in 30 gives
// the same features for every image, where every FID is 0 (a CI run met one;
// 10 of seeds 0-299). Seed 20261207 with He weights gives FID(a, b) ≈ 22.
FidInception tiny_net() {
  torch::manual_seed(20261207);
  FidInceptionConfig c;
  c.width = 1.0 / 32;
  FidInception net(c);
  torch::NoGradGuard no_grad;
  for (auto& p : net.module()->named_parameters())
    if (p.value().dim() == 4) torch::nn::init::kaiming_normal_(p.value(), 0.0, torch::kFanIn, torch::kReLU);
  return net;
}

Image random_image(std::mt19937& rng, int w, int h, int channels, int lo = 0, int hi = 255) {
  Image img(w, h, channels);
  std::uniform_int_distribution<int> d(lo, hi);
  for (auto& p : img.pixels) p = static_cast<std::uint8_t>(d(rng));
  return img;
}

// Images of assorted sizes and channel counts (grey, RGB, RGBA).
InMemoryDataset make_dataset(unsigned seed, int n, int lo = 0, int hi = 255) {
  std::mt19937 rng(seed);
  InMemoryDataset ds;
  ds.classes = {"a", "b"};
  for (int i = 0; i < n; ++i) {
    const int channels = i % 3 == 0 ? 1 : (i % 3 == 1 ? 3 : 4);
    ds.add(random_image(rng, 24 + 4 * i, 30 + 2 * (i % 4), channels, lo, hi), i % 2);
  }
  return ds;
}

using distdiff::test::TempDir;

}  // namespace

TEST_CASE("dataset_stats equals one-shot statistics of per-image features", "[eval][fid_between]") {
  const auto net = tiny_net();
  const auto ds = make_dataset(1, 7);
  std::vector<torch::Tensor> feats;
  for (std::size_t i = 0; i < ds.size(); ++i)   // one image at a time, the network resizes itself
    feats.push_back(net.features(to_tensor(ds.load(i)).unsqueeze(0)));
  const auto once = compute_stats(torch::cat(feats));
  for (std::int64_t batch : {1, 3, 50}) {
    const auto s = dataset_stats(net, ds, batch);
    CHECK(s.n == 7);
    CHECK(torch::allclose(s.mu, once.mu, 1e-5, 1e-6));
    CHECK(torch::allclose(s.sigma, once.sigma, 1e-5, 1e-7));
  }
}

TEST_CASE("fid_between: zero for the same images, batch-size independent, positive otherwise",
          "[eval][fid_between]") {
  const auto net = tiny_net();
  const auto a = make_dataset(2, 8);
  const auto b = make_dataset(3, 8, 0, 90);   // darker images: a different distribution
  REQUIRE(dataset_stats(net, a).sigma.trace().item<double>() > 1e-3);   // features vary between images
  const double ab = fid_between(net, a, b, 4);
  CHECK(ab > 1.0);
  // Zero up to rounding: 8 images span 7 of the 64 feature dimensions, and the
  // square roots of the other eigenvalues (rounding noise around 0) add ~1e-6.
  CHECK(fid_between(net, a, a) == Approx(0.0).margin(1e-5 * ab));
  CHECK(fid_between(net, a, b, 1) == Approx(ab).epsilon(1e-4));
  CHECK(fid_between(net, b, a, 3) == Approx(ab).epsilon(1e-4));
}

TEST_CASE("ImageFiles: a folder of images as an FID source", "[eval][fid_between]") {
  TempDir tmp;
  const auto net = tiny_net();
  std::mt19937 rng(4);
  InMemoryDataset ds;
  ds.classes = {"x"};
  for (int i = 0; i < 5; ++i) {
    auto img = random_image(rng, 20 + i, 22, 3);
    write_png(tmp.path / ("img" + std::to_string(i) + ".png"), img);
    ds.add(img, 0);
  }
  fs::create_directories(tmp.path / "sub");
  write_png(tmp.path / "sub" / "deep.png", random_image(rng, 16, 16, 3));
  { std::ofstream(tmp.path / "notes.txt") << "not an image"; }

  const auto files = ImageFiles::in_folder(tmp.path);
  REQUIRE(files.size() == 5);
  CHECK(files.source(0) == (tmp.path / "img0.png").string());
  CHECK(ImageFiles::in_folder(tmp.path, /*recursive=*/true).size() == 6);
  // PNG is lossless: the folder and the in-memory images have the same statistics
  CHECK(fid_between(net, files, ds) == Approx(0.0).margin(1e-6));

  CHECK_THROWS_WITH(ImageFiles::in_folder(tmp.path / "absent"), Contains("not a folder"));
  fs::create_directories(tmp.path / "empty");
  CHECK_THROWS_WITH(ImageFiles::in_folder(tmp.path / "empty"), Contains("no .png/.jpg/.jpeg/.bmp images"));
}

TEST_CASE("fid_between rejects too few images and bad batch sizes", "[eval][fid_between]") {
  const auto net = tiny_net();
  const auto one = make_dataset(5, 1);
  const auto two = make_dataset(6, 2);
  CHECK_THROWS_WITH(fid_between(net, one, two), Contains("at least 2 images") && Contains("has 1"));
  CHECK_THROWS_WITH(dataset_stats(net, two, 0), Contains("batch_size must be >= 1"));
}

}  // namespace DISTDIFF_UNITY_ID
