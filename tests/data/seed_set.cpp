// DatasetChoice (data/seed_set.hpp) and its pieces: FirstClasses, Shifted,
// image_folder layouts, the k-shot draw and the small world's pools.
#include <catch2/catch.hpp>

#include <distdiff/data/fashion_mnist.hpp>
#include <distdiff/data/first_classes.hpp>
#include <distdiff/data/in_memory.hpp>
#include <distdiff/data/seed_set.hpp>
#include <distdiff/data/shifted.hpp>
#include <distdiff/io/image_io.hpp>
#include <distdiff/pretrain/foundation_split.hpp>

#include <filesystem>
#include <set>

#include "support/data_writers.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {

distdiff::InMemoryDataset three_classes() {
  distdiff::InMemoryDataset d;
  d.dataset_name = "toy";
  d.classes = {"a", "b", "c"};
  for (int i = 0; i < 9; ++i) {
    distdiff::Image img(2, 1, 1);
    img.pixels = {std::uint8_t(10 * i), std::uint8_t(200)};
    d.add(img, i % 3);
  }
  return d;
}

}  // namespace

TEST_CASE("first_classes keeps labels below n, in order, with the first n class names", "[data][seed_set]") {
  const auto d = three_classes();
  const auto two = distdiff::first_classes(d, 2);
  REQUIRE(two.size() == 6);
  CHECK(two.class_names() == std::vector<std::string>{"a", "b"});
  for (std::size_t i = 0; i < two.size(); ++i) {
    CHECK(two.label(i) < 2);
    CHECK(two.load(i).pixels == d.load(two.label(i) + 3 * (i / 2)).pixels);   // order kept
  }
  CHECK_THROWS_WITH(distdiff::first_classes(d, 4), Catch::Contains("asked for 4") && Catch::Contains("has 3"));
  CHECK_THROWS(distdiff::first_classes(d, 0));
}

TEST_CASE("shifts: invert is 255 - v, sepia tints grey, unknown names are rejected", "[data][seed_set]") {
  const auto d = three_classes();
  const auto inv = distdiff::shifted(d, "invert");
  CHECK(inv.name() == "toy+invert");
  CHECK(inv.label(4) == d.label(4));
  CHECK(inv.load(4).pixels == std::vector<std::uint8_t>{215, 55});
  distdiff::Image rgba(1, 1, 4);
  rgba.pixels = {0, 100, 255, 77};
  CHECK(distdiff::apply_shift("invert", rgba).pixels == std::vector<std::uint8_t>{255, 155, 0, 77});   // alpha kept
  const auto sep = distdiff::apply_shift("sepia", d.load(5));
  REQUIRE(sep.channels == 3);
  CHECK(sep.at(0, 0, 0) == 50);
  CHECK(sep.at(0, 0, 1) == 40);
  CHECK(sep.at(0, 0, 2) == 30);
  CHECK(distdiff::apply_shift("none", d.load(5)).pixels == d.load(5).pixels);
  CHECK_THROWS_WITH(distdiff::shifted(d, "blur"), Catch::Contains("unknown shift 'blur'") && Catch::Contains("invert"));
}

TEST_CASE("DatasetChoice: draws, classes and shifts on the shapes dataset; errors name the option", "[data][seed_set]") {
  distdiff::DatasetChoice c{.kind = "shapes", .per_class = 5, .shots = 2, .seed = 3, .classes = 2};
  const auto seeds = distdiff::open_seed_dataset(c);
  CHECK(seeds.size() == 4);
  CHECK(seeds.class_names().size() == 2);
  c.seed = 4;
  const auto other = distdiff::open_seed_dataset(c);
  bool differs = false;
  for (std::size_t i = 0; i < 4; ++i) differs = differs || other.load(i).pixels != seeds.load(i).pixels;
  CHECK(differs);   // another draw
  c.shift = "invert";
  const auto test = distdiff::open_test_dataset(c);
  CHECK(test.size() == 10);   // no draw on the test split
  CHECK(test.name().ends_with("+invert"));
  CHECK(c.id() == "shapes-2c+invert");

  CHECK_THROWS_WITH(distdiff::open_seed_dataset({.kind = "mnist"}), Catch::Contains("unknown dataset 'mnist'"));
  CHECK_THROWS_WITH(distdiff::open_seed_dataset({.kind = "dtd"}), Catch::Contains("needs --root"));
  CHECK_THROWS_WITH(distdiff::open_seed_dataset({.kind = "shapes", .pool = "some"}), Catch::Contains("--pool"));
  CHECK_THROWS_WITH(distdiff::open_seed_dataset({.kind = "shapes", .shots = -1}), Catch::Contains("--shots"));
  CHECK_THROWS_WITH(distdiff::open_seed_dataset({.kind = "shapes", .shift = "x"}), Catch::Contains("unknown shift"));
  CHECK_THROWS_WITH(distdiff::open_seed_dataset({.kind = "shapes", .per_class = 2, .shots = 3}),
                    Catch::Contains("take_per_class"));
}

TEST_CASE("DatasetChoice: image_folder as root/<class> with --test-root, or root/train + root/test",
          "[data][seed_set]") {
  distdiff::test::TempDir tmp("seed-set");
  for (const char* cls : {"cat", "dog"})
    for (int i = 0; i < 3; ++i) {
      distdiff::write_png(tmp / "flat" / cls / (std::to_string(i) + ".png"), distdiff::test::solid(std::uint8_t(i)));
      distdiff::write_png(tmp / "flat_test" / cls / (std::to_string(i) + ".png"), distdiff::test::solid(9));
      distdiff::write_png(tmp / "split/train" / cls / (std::to_string(i) + ".png"), distdiff::test::solid(1));
    }
  distdiff::write_png(tmp / "split/test/cat/0.png", distdiff::test::solid(2));
  distdiff::write_png(tmp / "split/test/dog/0.png", distdiff::test::solid(2));

  distdiff::DatasetChoice flat{.kind = "image_folder", .root = tmp / "flat", .test_root = tmp / "flat_test",
                               .shots = 2};
  CHECK(distdiff::open_seed_dataset(flat).size() == 4);
  CHECK(distdiff::open_test_dataset(flat).size() == 6);
  CHECK(flat.id() == "flat");
  distdiff::DatasetChoice split{.kind = "image_folder", .root = tmp / "split"};
  CHECK(distdiff::open_seed_dataset(split).size() == 6);
  CHECK(distdiff::open_test_dataset(split).size() == 2);
  CHECK(split.id() == "split");
  flat.test_root.clear();
  CHECK_THROWS_WITH(distdiff::open_test_dataset(flat), Catch::Contains("--test-root") && Catch::Contains("flat"));
}

TEST_CASE("DatasetChoice on Fashion-MNIST: the k-shot draw lies in the target pool", "[data][seed_set][fashion_mnist]") {
  const fs::path root = distdiff::default_fashion_mnist_root();
  if (!fs::exists(root / "train-images-idx3-ubyte.gz") && !fs::exists(root / "train-images-idx3-ubyte")) {
    SUCCEED("dataset-fashion-mnist not installed");
    return;
  }
  distdiff::DatasetChoice c{.kind = "fashion_mnist", .pool = "target", .shots = 3, .seed = 1, .classes = 4};
  const auto seeds = distdiff::open_seed_dataset(c);
  REQUIRE(seeds.size() == 12);
  const auto pool = distdiff::pretrain::target_subset(distdiff::FashionMnist(root));
  std::set<std::string> pool_sources;
  for (std::size_t i = 0; i < pool.size(); ++i) pool_sources.insert(pool.source(i));
  for (std::size_t i = 0; i < seeds.size(); ++i) {
    CHECK(seeds.label(i) < 4);
    CHECK(pool_sources.count(seeds.source(i)) == 1);
  }
  CHECK(distdiff::open_test_dataset(c).size() == 4000);
}

}  // namespace DISTDIFF_UNITY_ID
