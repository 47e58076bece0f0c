// loader_source: the data family's BatchLoader as a trainer BatchSource.
#include <catch2/catch.hpp>

#include <distdiff/data/in_memory.hpp>
#include <distdiff/data/transforms/random_horizontal_flip.hpp>
#include <distdiff/train/loader_source.hpp>

#include <set>

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {

// Image i: a 4x2 image whose left column is bright and whose pixels encode i.
distdiff::InMemoryDataset numbered(int n) {
  distdiff::InMemoryDataset ds;
  ds.classes = {"a", "b"};
  for (int i = 0; i < n; ++i) {
    distdiff::Image img(4, 2, 3);
    for (int y = 0; y < 2; ++y)
      for (int x = 0; x < 4; ++x)
        for (int c = 0; c < 3; ++c) img.at(x, y, c) = static_cast<std::uint8_t>(x == 0 ? 200 : i);
    ds.add(img, i % 2);
  }
  return ds;
}

// Sample id from a (possibly flipped) image tensor [3, 2, 4]: the darker corner.
int id_of(const torch::Tensor& img) {
  const float a = img[0][0][0].item<float>(), b = img[0][0][3].item<float>();
  return static_cast<int>(std::lround(std::min(a, b) * 255.0f));
}

}  // namespace

TEST_CASE("loader_source follows EpochInfo::seed and visits every sample once", "[train][loader]") {
  const auto ds = numbered(10);
  distdiff::BatchLoader loader(ds, distdiff::augment::RandomHorizontalFlip{});
  loader.batch_size = 4;
  loader.num_threads = 1;
  int prepared = 0;
  auto src = distdiff::train::loader_source(
      loader, [&](distdiff::augment::RandomHorizontalFlip& t, const distdiff::train::EpochInfo& e) {
        ++prepared;
        t.p = e.epoch == 0 ? 0.0 : 1.0;  // epoch 0: never flip, later: always
      });
  CHECK(src.batches_per_epoch == 3);
  CHECK(src.samples_per_epoch == 10);
  auto run = [&](std::int64_t epoch, std::uint64_t seed) {
    std::vector<int> ids;
    std::vector<bool> flipped;
    src.for_each({epoch, seed}, [&](const distdiff::train::Batch& b) {
      REQUIRE(b.images.sizes() == torch::IntArrayRef({b.labels.size(0), 3, 2, 4}));
      for (std::int64_t k = 0; k < b.labels.size(0); ++k) {
        const int id = id_of(b.images[k]);
        CHECK(b.labels[k].item<std::int64_t>() == id % 2);
        ids.push_back(id);
        flipped.push_back(b.images[k][0][0][0].item<float>() < 0.5f);
      }
    });
    return std::make_pair(ids, flipped);
  };
  const auto [a, fa] = run(0, 11);
  const auto [b, fb] = run(0, 11);
  const auto [c, fc] = run(0, 12);
  const auto [d, fd] = run(1, 11);
  CHECK(prepared == 4);
  CHECK(a == b);
  CHECK(a != c);
  CHECK(std::set<int>(a.begin(), a.end()).size() == 10);
  CHECK(std::set<int>(d.begin(), d.end()).size() == 10);
  CHECK(std::count(fa.begin(), fa.end(), true) == 0);  // prepare() set p = 0 for epoch 0
  CHECK(std::count(fd.begin(), fd.end(), true) == 10);  // and p = 1 for epoch 1
  CHECK(loader.transform().p == 0.5);                   // the original loader is untouched
}

}  // namespace DISTDIFF_UNITY_ID
