#include <catch2/catch.hpp>

#include <distdiff/data/in_memory.hpp>
#include <distdiff/data/loader.hpp>

#include <set>

#include "support/data_writers.hpp"

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {

// A local random transform: a random 4x4 crop, a random flip and a random
// brightness offset, all drawn from the sample's Rng.
struct RandomCropFlip {
  using component_tag = distdiff::image_transform_tag;
  at::Tensor apply(const at::Tensor& x, distdiff::Rng& rng) const {
    const std::int64_t h = x.size(1), w = x.size(2);
    const std::int64_t top = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(h - 4 + 1));
    const std::int64_t left = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(w - 4 + 1));
    at::Tensor y = x.slice(1, top, top + 4).slice(2, left, left + 4);
    if (rng() % 2) y = y.flip({2});
    const float offset = static_cast<float>(rng() % 1000) / 1e5f;
    return brightness ? (y + offset).contiguous() : y.contiguous();
  }
  std::string name() const { return "random_crop_flip"; }
  bool brightness = true;
};
static_assert(distdiff::ImageTransform<RandomCropFlip>);

distdiff::InMemoryDataset dataset(int n) {
  distdiff::InMemoryDataset ds;
  ds.classes = {"a", "b", "c"};
  for (int i = 0; i < n; ++i) {
    distdiff::Image img(7, 6, 3);
    for (std::size_t k = 0; k < img.pixels.size(); ++k) img.pixels[k] = static_cast<std::uint8_t>((i * 31 + k * 7) % 256);
    ds.add(img, i % 3);
  }
  return ds;
}

}  // namespace

TEST_CASE("BatchLoader: shapes, labels, order without shuffling", "[data][loader]") {
  const auto ds = dataset(10);
  distdiff::BatchLoader loader(ds);
  loader.batch_size = 4;
  loader.shuffle = false;
  REQUIRE(loader.num_batches() == 3);
  std::vector<std::size_t> seen;
  for (const auto& b : loader.epoch(0)) {
    CHECK(b.images.dim() == 4);
    CHECK(b.images.size(1) == 3);
    CHECK(b.images.size(2) == 6);
    CHECK(b.images.size(3) == 7);
    CHECK(b.labels.scalar_type() == torch::kInt64);
    for (std::size_t k = 0; k < b.indices.size(); ++k) {
      CHECK(b.labels[static_cast<std::int64_t>(k)].item<std::int64_t>() == ds.label(b.indices[k]));
      CHECK(torch::equal(b.images[static_cast<std::int64_t>(k)], distdiff::to_tensor(ds.load(b.indices[k]))));
    }
    seen.insert(seen.end(), b.indices.begin(), b.indices.end());
  }
  CHECK(seen == std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  loader.drop_last = true;
  CHECK(loader.num_batches() == 2);
  std::size_t count = 0;
  for (const auto& b : loader.epoch(0)) count += b.indices.size();
  CHECK(count == 8);
}

TEST_CASE("BatchLoader: epochs are different permutations", "[data][loader]") {
  const auto ds = dataset(23);
  distdiff::BatchLoader loader(ds, RandomCropFlip{});
  loader.batch_size = 5;
  loader.seed = 3;
  std::vector<std::vector<std::size_t>> orders;
  for (std::size_t e = 0; e < 3; ++e) {
    std::vector<std::size_t> visited;
    for (const auto& b : loader.epoch(e)) visited.insert(visited.end(), b.indices.begin(), b.indices.end());
    CHECK(visited == loader.order(e));
    std::set<std::size_t> unique(visited.begin(), visited.end());
    CHECK(visited.size() == 23);
    CHECK(unique.size() == 23);
    CHECK(*unique.rbegin() == 22);
    orders.push_back(visited);
  }
  CHECK(orders[0] != orders[1]);
  CHECK(orders[1] != orders[2]);
}

TEST_CASE("BatchLoader: results do not depend on the thread count or prefetching", "[data][loader]") {
  const auto ds = dataset(17);
  auto run = [&](int threads, bool prefetch) {
    distdiff::BatchLoader loader(ds, RandomCropFlip{});
    loader.batch_size = 6;
    loader.seed = 11;
    loader.num_threads = threads;
    loader.prefetch = prefetch;
    std::vector<torch::Tensor> out;
    for (std::size_t e = 0; e < 2; ++e)
      for (const auto& b : loader.epoch(e)) {
        REQUIRE(b.images.size(2) == 4);
        out.push_back(b.images.clone());
      }
    return out;
  };
  const auto ref = run(1, false);
  for (auto [threads, prefetch] : std::vector<std::pair<int, bool>>{{2, true}, {4, true}, {3, false}}) {
    const auto got = run(threads, prefetch);
    REQUIRE(got.size() == ref.size());
    for (std::size_t k = 0; k < ref.size(); ++k) REQUIRE(torch::equal(got[k], ref[k]));
  }
  // The per-sample randomness really is per epoch: the same sample differs between epochs.
  distdiff::BatchLoader loader(ds, RandomCropFlip{});
  loader.shuffle = false;
  loader.batch_size = 17;
  CHECK(!torch::equal(loader.batch(0, 0).images, loader.batch(1, 0).images));
  CHECK(torch::equal(loader.batch(1, 0).images, loader.batch(1, 0).images));
  loader.transform().brightness = false;
  CHECK(loader.transform().name() == "random_crop_flip");
  CHECK(loader.batch(1, 0).images.max().item<float>() <= 1.0f);
}

TEST_CASE("BatchLoader: errors", "[data][loader]") {
  distdiff::InMemoryDataset ds = dataset(3);
  ds.add(distdiff::Image(5, 5, 3), 0, "odd-size");
  distdiff::BatchLoader loader(ds);
  loader.batch_size = 4;
  CHECK_THAT(distdiff::test::error_of([&] { loader.batch(0, 0); }), Catch::Contains("odd-size"));
  CHECK_THROWS_AS(loader.batch(0, 1), std::out_of_range);
  loader.batch_size = 0;
  CHECK_THROWS_AS(loader.num_batches(), std::invalid_argument);
}

}  // namespace DISTDIFF_UNITY_ID
