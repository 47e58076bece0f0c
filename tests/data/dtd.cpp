#include <catch2/catch.hpp>

#include <distdiff/data/dtd.hpp>

#include "support/temp_dir.hpp"
#include "support/data_writers.hpp"

namespace fs = std::filesystem;
using distdiff::Split;
using distdiff::test::error_of;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {
fs::path make_dtd(const fs::path& root) {
  for (const char* c : {"zigzagged", "banded", "dotted"})
    for (int i = 1; i <= 3; ++i)
      distdiff::write_jpeg(root / "images" / c / (std::string(c) + "_000" + std::to_string(i) + ".jpg"), distdiff::test::solid(5, 3, 3));
  distdiff::test::write_text(root / "labels/train1.txt", "banded/banded_0001.jpg\ndotted/dotted_0001.jpg\nzigzagged/zigzagged_0001.jpg\n");
  distdiff::test::write_text(root / "labels/val1.txt", "banded/banded_0002.jpg\nzigzagged/zigzagged_0002.jpg\n");
  distdiff::test::write_text(root / "labels/test1.txt", "dotted/dotted_0003.jpg\nbanded/banded_0003.jpg\n");
  distdiff::test::write_text(root / "labels/train2.txt", "dotted/dotted_0002.jpg\n");
  return root;
}
}  // namespace

TEST_CASE("Dtd: train = train1 + val1, test = test1", "[data][dtd]") {
  distdiff::test::TempDir tmp("data-dtd");
  const fs::path root = make_dtd(tmp / "dtd");
  distdiff::Dtd train(root, Split::train), test(root, Split::test), val(root, Split::val);
  REQUIRE(train.class_names() == std::vector<std::string>{"banded", "dotted", "zigzagged"});
  REQUIRE(train.size() == 5);
  REQUIRE(val.size() == 2);
  REQUIRE(test.size() == 2);
  CHECK(std::vector<std::int64_t>{train.label(0), train.label(1), train.label(2), train.label(3), train.label(4)} ==
        std::vector<std::int64_t>{0, 1, 2, 0, 2});
  CHECK(test.label(0) == 1);
  CHECK(fs::path(test.source(1)).filename() == "banded_0003.jpg");
  CHECK(train.prompt(2) == "zigzagged texture.");
  CHECK(distdiff::Dtd(root, Split::train, 1, false).size() == 3);
  CHECK(distdiff::Dtd::published_sizes().train == 3760);
  CHECK(distdiff::Dtd::published_sizes().test == 1880);
}

TEST_CASE("Dtd: layout errors", "[data][dtd]") {
  distdiff::test::TempDir tmp("data-dtd-bad");
  const fs::path root = make_dtd(tmp / "dtd");
  CHECK_THAT(error_of([&] { distdiff::Dtd(root, Split::train, 2); }), Catch::Contains("val2.txt"));
  CHECK_THROWS_AS(distdiff::Dtd(root, Split::train, 11), std::invalid_argument);
  distdiff::test::write_text(root / "labels/test1.txt", "woven/woven_0001.jpg\n");
  CHECK_THAT(error_of([&] { distdiff::Dtd(root, Split::test); }), Catch::Contains("class 'woven' has no folder"));
  distdiff::test::write_text(root / "labels/test1.txt", "banded/banded_0009.jpg\n");
  CHECK_THAT(error_of([&] { distdiff::Dtd(root, Split::test); }), Catch::Contains("missing image") && Catch::Contains("banded_0009.jpg"));
  fs::remove_all(root / "labels");
  CHECK_THAT(error_of([&] { distdiff::Dtd(root, Split::test); }), Catch::Contains("labels"));
}

}  // namespace DISTDIFF_UNITY_ID
