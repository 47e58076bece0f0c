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

FidInception tiny_net() {
  FidInceptionConfig c;
  c.width = 1.0 / 32;
  return FidInception(c);
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
  CHECK(fid_between(net, a, a) == Approx(0.0).margin(1e-6));
  const double ab = fid_between(net, a, b, 4);
  CHECK(ab > 0.0);
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
