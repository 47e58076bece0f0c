#include <catch2/catch.hpp>

#include <distdiff/data/any.hpp>
#include <distdiff/data/in_memory.hpp>
#include <distdiff/data/loader.hpp>

#include "support/temp_dir.hpp"
#include "support/data_writers.hpp"

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

TEST_CASE("AnyDataset wraps any LabelledDataset", "[data][any]") {
  distdiff::InMemoryDataset mem;
  mem.dataset_name = "mem";
  mem.classes = {"x", "y"};
  mem.add(distdiff::test::solid(9), 1, "src");
  distdiff::AnyDataset any = mem;
  distdiff::AnyDataset copy = any;
  CHECK(copy.size() == 1);
  CHECK(copy.label(0) == 1);
  CHECK(copy.load(0).pixels == mem.load(0).pixels);
  CHECK(copy.class_names() == mem.classes);
  CHECK(copy.prompt(0) == "a photo of a x.");
  CHECK(copy.source(0) == "src");
  CHECK(copy.name() == "mem");
  REQUIRE(copy.get<distdiff::InMemoryDataset>() != nullptr);
  CHECK(copy.get<distdiff::Dtd>() == nullptr);
  distdiff::BatchLoader loader(any);
  CHECK(loader.batch(0, 0).labels.item<std::int64_t>() == 1);
}

TEST_CASE("open_dataset picks a reader by name", "[data][any]") {
  distdiff::test::TempDir tmp("data-any");
  distdiff::write_png(tmp / "train/a/1.png", distdiff::test::solid(1));
  distdiff::write_png(tmp / "train/b/1.png", distdiff::test::solid(2));
  auto ds = distdiff::open_dataset("image_folder", tmp.path, distdiff::Split::train);
  CHECK(ds.size() == 2);
  CHECK(ds.get<distdiff::ImageFolderDataset>() != nullptr);
  CHECK_THAT(distdiff::test::error_of([&] { distdiff::open_dataset("dtd", tmp / "none", distdiff::Split::test); }),
             Catch::Contains("none"));
  CHECK_THAT(distdiff::test::error_of([&] { distdiff::open_dataset("mnist", tmp.path, distdiff::Split::test); }),
             Catch::Contains("unknown dataset 'mnist'") && Catch::Contains("caltech101"));
}

}  // namespace DISTDIFF_UNITY_ID
