// The foundation split (pretrain/foundation_split.hpp): disjoint, stratified,
// determined by the seed alone; image fitting and captions used by the
// pretraining loops.
#include <catch2/catch.hpp>

#include <distdiff/data/fashion_mnist.hpp>
#include <distdiff/data/in_memory.hpp>
#include <distdiff/pretrain/captions.hpp>
#include <distdiff/pretrain/foundation_split.hpp>
#include <distdiff/pretrain/image_tensors.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <vector>

namespace pt = distdiff::pretrain;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {

// 3 classes with 40, 50 and 60 samples, interleaved.
std::vector<std::int64_t> uneven_labels() {
  std::vector<std::int64_t> labels;
  for (int i = 0; i < 60; ++i)
    for (std::int64_t c = 0; c < 3; ++c)
      if (i < 40 + 10 * c) labels.push_back(c);
  return labels;
}

std::map<std::int64_t, std::size_t> count_per_class(const std::vector<std::size_t>& idx,
                                                    const std::vector<std::int64_t>& labels) {
  std::map<std::int64_t, std::size_t> n;
  for (auto i : idx) ++n[labels.at(i)];
  return n;
}

}  // namespace

TEST_CASE("split_foundation is disjoint, covers the data and is stratified", "[pretrain][split]") {
  const auto labels = uneven_labels();
  const auto s = pt::split_foundation(labels, 3, {.target_per_class = 10, .seed = 7});
  REQUIRE(s.target.size() == 30);
  REQUIRE(s.foundation.size() == labels.size() - 30);
  REQUIRE(std::is_sorted(s.target.begin(), s.target.end()));
  REQUIRE(std::is_sorted(s.foundation.begin(), s.foundation.end()));
  std::set<std::size_t> all(s.target.begin(), s.target.end());
  for (auto i : s.foundation) REQUIRE(all.insert(i).second);   // disjoint
  REQUIRE(all.size() == labels.size());                        // together: every sample once
  const auto t = count_per_class(s.target, labels);
  const auto f = count_per_class(s.foundation, labels);
  for (std::int64_t c = 0; c < 3; ++c) {
    CHECK(t.at(c) == 10);
    CHECK(f.at(c) == std::size_t(40 + 10 * c - 10));
  }

  SECTION("a foundation size per class keeps the rest out of both") {
    const auto s2 = pt::split_foundation(labels, 3, {.target_per_class = 5, .foundation_per_class = 20, .seed = 7});
    REQUIRE(s2.target.size() == 15);
    REQUIRE(s2.foundation.size() == 60);
    for (const auto& [c, n] : count_per_class(s2.foundation, labels)) CHECK(n == 20);
  }
}

TEST_CASE("split_foundation depends only on the seed", "[pretrain][split]") {
  const auto labels = uneven_labels();
  const auto a = pt::split_foundation(labels, 3, {.target_per_class = 10, .seed = 1});
  const auto b = pt::split_foundation(labels, 3, {.target_per_class = 10, .seed = 1});
  const auto c = pt::split_foundation(labels, 3, {.target_per_class = 10, .seed = 2});
  CHECK(a.target == b.target);
  CHECK(a.foundation == b.foundation);
  CHECK(a.target != c.target);
  // Not the first samples of each class: the draw is shuffled.
  CHECK(a.target != std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
                                             21, 22, 23, 24, 25, 26, 27, 28, 29});
}

TEST_CASE("split_foundation refuses impossible sizes and bad labels", "[pretrain][split]") {
  const auto labels = uneven_labels();
  CHECK_THROWS_WITH(pt::split_foundation(labels, 3, {.target_per_class = 40}), Catch::Contains("class 0 has 40 images"));
  CHECK_THROWS_WITH(pt::split_foundation(labels, 3, {.target_per_class = 10, .foundation_per_class = 45}),
                    Catch::Contains("class 0"));
  CHECK_THROWS_WITH(pt::split_foundation(std::vector<std::int64_t>{0, 1, 3}, 3, {.target_per_class = 0}),
                    Catch::Contains("label 3"));
}

TEST_CASE("split_foundation of Fashion-MNIST: 50,000 foundation and 10,000 target images", "[pretrain][split][data]") {
  const std::filesystem::path root = "/usr/share/datasets/fashion-mnist";
  if (!std::filesystem::exists(root / "train-labels-idx1-ubyte.gz")) {
    WARN("Fashion-MNIST not installed (Debian dataset-fashion-mnist); skipped");
    return;
  }
  const distdiff::FashionMnist train(root);
  const auto s = pt::split_foundation(train, {.target_per_class = 1000, .seed = 0});
  REQUIRE(s.foundation.size() == 50000);
  REQUIRE(s.target.size() == 10000);
  std::vector<std::size_t> both;
  std::set_intersection(s.foundation.begin(), s.foundation.end(), s.target.begin(), s.target.end(),
                        std::back_inserter(both));
  CHECK(both.empty());
  std::map<std::int64_t, int> per_class;
  for (auto i : s.target) ++per_class[train.label(i)];
  for (const auto& [c, n] : per_class) CHECK(n == 1000);
  const auto pool = pt::target_subset(train, {.target_per_class = 1000, .seed = 0});
  CHECK(pool.indices() == s.target);
}

TEST_CASE("fit_square pads small images with their background and stretches on request", "[pretrain][images]") {
  distdiff::InMemoryDataset ds;
  ds.classes = {"thing"};
  distdiff::Image img(28, 28, 1);
  std::fill(img.pixels.begin(), img.pixels.end(), std::uint8_t(0));
  img.at(14, 14, 0) = 200;
  ds.add(img, 0);
  const auto padded = pt::load_image_tensors(ds, {}, 32);
  REQUIRE(padded.pixels.sizes() == torch::IntArrayRef({1, 1, 32, 32}));
  CHECK(padded.pixels[0][0][16][16].item<int>() == 200);   // moved by the 2 px border
  CHECK(padded.pixels.sum().item<int>() == 200);
  const auto x = padded.batch01(torch::tensor({0}, torch::kLong));
  CHECK(x.sizes() == torch::IntArrayRef({1, 3, 32, 32}));
  const auto stretched = pt::load_image_tensors(ds, {}, 32, pt::Fit::Stretch);
  CHECK(stretched.pixels.sizes() == torch::IntArrayRef({1, 1, 32, 32}));
}

TEST_CASE("caption table: canonical prompt first, tones, the empty prompt at 0", "[pretrain][captions]") {
  distdiff::InMemoryDataset ds;
  ds.classes = {"ankle_boot", "bag"};
  const auto t = pt::make_caption_table(ds, {});
  REQUIRE(t.texts[0].empty());
  REQUIRE(t.num_classes() == 2);
  REQUIRE(t.num_tones() == 3);
  CHECK(t.texts[std::size_t(t.canonical(0))] == "a photo of a ankle boot.");
  std::mt19937_64 rng(3);
  std::set<std::string> seen;
  for (int i = 0; i < 400; ++i) seen.insert(t.texts[std::size_t(t.sample(1, 0, rng))]);
  CHECK(seen.count("a photo of a bag."));
  CHECK(seen.count("a dark bag."));
  CHECK(!seen.count("a light bag."));
  for (const auto& s : seen) CHECK(s.find("bag") != std::string::npos);
}

}  // namespace DISTDIFF_UNITY_ID
