#include <catch2/catch.hpp>

#include <distdiff/data/caltech101.hpp>

#include <set>

#include "support/temp_dir.hpp"
#include "support/data_writers.hpp"

namespace fs = std::filesystem;
using distdiff::Split;
using distdiff::test::error_of;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {
// 101_ObjectCategories/{BACKGROUND_Google: 4, Faces_easy: 5, accordion: 3} images.
fs::path make_caltech(const fs::path& root) {
  const fs::path cats = root / "101_ObjectCategories";
  const std::vector<std::pair<std::string, int>> classes{{"accordion", 3}, {"Faces_easy", 5}, {"BACKGROUND_Google", 4}};
  int v = 0;
  for (const auto& [c, n] : classes)
    for (int i = n; i >= 1; --i) {
      char name[32];
      std::snprintf(name, sizeof name, "image_%04d.jpg", i);
      distdiff::write_jpeg(cats / c / name, distdiff::test::solid(static_cast<std::uint8_t>(v += 10), 4, 4));
    }
  return root;
}
}  // namespace

TEST_CASE("Caltech101: classes, first-N split rule, prompts", "[data][caltech101]") {
  distdiff::test::TempDir tmp("data-caltech");
  const fs::path root = make_caltech(tmp / "caltech101");
  distdiff::Caltech101 train(root, Split::train, 2);
  distdiff::Caltech101 test(root, Split::test, 2);
  REQUIRE(train.class_names() == std::vector<std::string>{"BACKGROUND_Google", "Faces_easy", "accordion"});
  REQUIRE(train.size() == 6);
  REQUIRE(test.size() == (4 - 2) + (5 - 2) + (3 - 2));
  // First two file names of each class go to train, in order.
  CHECK(fs::path(train.source(0)).filename() == "image_0001.jpg");
  CHECK(fs::path(train.source(1)).filename() == "image_0002.jpg");
  CHECK(train.label(0) == 0);
  CHECK(train.label(2) == 1);
  CHECK(train.label(5) == 2);
  CHECK(fs::path(test.source(0)).filename() == "image_0003.jpg");
  CHECK(test.label(5) == 2);
  CHECK(train.prompt(2) == "a photo of a accordion.");
  CHECK(train.prompt(1) == "a photo of a Faces easy.");
  CHECK(train.load(0).width == 4);
  // `root` may also be the categories folder itself.
  CHECK(distdiff::Caltech101(root / "101_ObjectCategories", Split::train, 2).size() == 6);

  // Seeded rule: deterministic, a partition of each class, differs from the sorted rule.
  std::set<std::string> all, seen;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file()) all.insert(e.path().string());
  distdiff::Caltech101 s_train(root, Split::train, 2, 5), s_test(root, Split::test, 2, 5);
  distdiff::Caltech101 s_train2(root, Split::train, 2, 5);
  for (std::size_t i = 0; i < s_train.size(); ++i) {
    seen.insert(s_train.source(i));
    CHECK(s_train.source(i) == s_train2.source(i));
  }
  for (std::size_t i = 0; i < s_test.size(); ++i) CHECK(seen.insert(s_test.source(i)).second);
  CHECK(seen == all);
  bool differs = false;
  for (std::uint64_t seed = 0; seed < 5 && !differs; ++seed) {
    distdiff::Caltech101 other(root, Split::train, 2, seed);
    for (std::size_t i = 0; i < other.size(); ++i) differs |= other.source(i) != train.source(i);
  }
  CHECK(differs);

  CHECK(distdiff::Caltech101::published_sizes().train == 3060);
  CHECK(distdiff::Caltech101::published_sizes().test == 6085);
  CHECK_THAT(distdiff::verify_sizes(train), Catch::Contains("3 classes, expected 102") && Catch::Contains("6 samples, expected 3060"));
}

TEST_CASE("Caltech101: layout errors", "[data][caltech101]") {
  distdiff::test::TempDir tmp("data-caltech-bad");
  CHECK_THAT(error_of([&] { distdiff::Caltech101(tmp / "none"); }), Catch::Contains("none"));
  fs::create_directories(tmp / "empty");
  CHECK_THAT(error_of([&] { distdiff::Caltech101(tmp / "empty"); }), Catch::Contains("101_ObjectCategories"));
  const fs::path root = make_caltech(tmp / "c");
  CHECK_THAT(error_of([&] { distdiff::Caltech101(root, Split::train, 4); }),
             Catch::Contains("accordion") && Catch::Contains("fewer than train_per_class"));
  CHECK_THROWS_AS(distdiff::Caltech101(root, Split::val, 2), std::invalid_argument);
}

}  // namespace DISTDIFF_UNITY_ID
