#include <catch2/catch.hpp>

#include <distdiff/data/image_folder.hpp>

#include "support/temp_dir.hpp"
#include "support/data_writers.hpp"

namespace fs = std::filesystem;
using distdiff::test::solid;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("ImageFolderDataset: sorted classes and files, lazy decoding", "[data][image_folder]") {
  distdiff::test::TempDir tmp("data-folder");
  const fs::path root = tmp / "toy";
  distdiff::write_png(root / "zebra/b.png", solid(10));
  distdiff::write_jpeg(root / "zebra/a.JPG", solid(20));
  distdiff::write_png(root / "Apple/x.png", solid(30));
  distdiff::write_png(root / "hot_dog/1.png", solid(40));
  distdiff::test::write_text(root / "hot_dog/notes.txt", "not an image");
  distdiff::write_png(root / ".hidden/y.png", solid(50));

  distdiff::ImageFolderDataset ds(root, distdiff::prompts::dtd);
  CHECK(ds.name() == "toy");
  REQUIRE(ds.class_names() == std::vector<std::string>{"Apple", "hot_dog", "zebra"});  // bytewise order
  REQUIRE(ds.size() == 4);
  CHECK(ds.label(0) == 0);
  CHECK(ds.label(1) == 1);
  CHECK(ds.label(2) == 2);
  CHECK(ds.label(3) == 2);
  CHECK(fs::path(ds.source(2)).filename() == "a.JPG");
  CHECK(fs::path(ds.source(3)).filename() == "b.png");
  CHECK(ds.load(3).pixels == solid(10).pixels);
  CHECK(ds.prompt(1) == "hot dog texture.");
  // Decoded lazily: a file replaced after construction is read as it is now.
  distdiff::write_png(root / "zebra/b.png", solid(99));
  CHECK(ds.load(3).pixels == solid(99).pixels);
  CHECK_THROWS_AS(ds.load(4), std::out_of_range);
}

TEST_CASE("ImageFolderDataset: layout errors name the path", "[data][image_folder]") {
  distdiff::test::TempDir tmp("data-folder-bad");
  auto msg = error_of([&] { distdiff::ImageFolderDataset(tmp / "nope"); });
  CHECK_THAT(msg, Catch::Contains("missing dataset root") && Catch::Contains("nope"));
  fs::create_directories(tmp / "empty_root");
  msg = error_of([&] { distdiff::ImageFolderDataset(tmp / "empty_root"); });
  CHECK_THAT(msg, Catch::Contains("no class folders") && Catch::Contains("empty_root"));
  distdiff::write_png(tmp / "r/a/1.png", solid(1));
  fs::create_directories(tmp / "r/b");
  msg = error_of([&] { distdiff::ImageFolderDataset(tmp / "r"); });
  CHECK_THAT(msg, Catch::Contains("holds no images") && Catch::Contains("b'"));
}

}  // namespace DISTDIFF_UNITY_ID
