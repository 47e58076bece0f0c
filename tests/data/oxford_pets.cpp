#include <catch2/catch.hpp>

#include <distdiff/data/oxford_pets.hpp>

#include "support/temp_dir.hpp"
#include "support/data_writers.hpp"

namespace fs = std::filesystem;
using distdiff::Split;
using distdiff::test::error_of;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {
fs::path make_pets(const fs::path& root) {
  distdiff::test::write_text(root / "annotations/trainval.txt",
                             "Abyssinian_100 1 1 1\nAbyssinian_101 1 1 1\namerican_bulldog_10 2 2 1\nBengal_3 3 1 2\n");
  distdiff::test::write_text(root / "annotations/test.txt",
                             "#Image CLASS-ID SPECIES BREED ID\nAbyssinian_1 1 1 1\nBengal_1 3 1 2\n\namerican_bulldog_100 2 2 1\n");
  for (const char* s : {"Abyssinian_100", "Abyssinian_101", "american_bulldog_10", "Bengal_3", "Abyssinian_1", "Bengal_1",
                        "american_bulldog_100"})
    distdiff::write_jpeg(root / "images" / (std::string(s) + ".jpg"), distdiff::test::solid(1, 3, 3));
  return root;
}
}  // namespace

TEST_CASE("OxfordPets: trainval / test, class names from stems", "[data][oxford_pets]") {
  distdiff::test::TempDir tmp("data-pets");
  const fs::path root = make_pets(tmp / "pets");
  distdiff::OxfordPets train(root, Split::train), test(root, Split::test);
  REQUIRE(train.class_names() == std::vector<std::string>{"Abyssinian", "american_bulldog", "Bengal"});
  REQUIRE(test.class_names() == train.class_names());
  REQUIRE(train.size() == 4);
  REQUIRE(test.size() == 3);
  CHECK(train.label(2) == 1);
  CHECK(train.label(3) == 2);
  CHECK(test.label(0) == 0);
  CHECK(test.label(2) == 1);
  CHECK(fs::path(test.source(1)).filename() == "Bengal_1.jpg");
  CHECK(train.prompt(1) == "A photo of a pet american bulldog.");
  CHECK(distdiff::OxfordPets::published_sizes().train == 3680);
  CHECK(distdiff::OxfordPets::published_sizes().test == 3669);
}

TEST_CASE("OxfordPets: layout errors", "[data][oxford_pets]") {
  distdiff::test::TempDir tmp("data-pets-bad");
  const fs::path root = make_pets(tmp / "pets");
  fs::remove(root / "images/Bengal_3.jpg");
  CHECK_THAT(error_of([&] { distdiff::OxfordPets(root, Split::train); }), Catch::Contains("missing image") && Catch::Contains("Bengal_3.jpg"));
  CHECK(distdiff::OxfordPets(root, Split::test).size() == 3);
  distdiff::test::write_text(root / "annotations/test.txt", "Bengal_1 1 1 2\n");
  CHECK_THAT(error_of([&] { distdiff::OxfordPets(root, Split::test); }), Catch::Contains("names both"));
  distdiff::test::write_text(root / "annotations/test.txt", "Bengal_1 x 1 2\n");
  CHECK_THAT(error_of([&] { distdiff::OxfordPets(root, Split::test); }), Catch::Contains("test.txt' line 1"));
  fs::remove(root / "annotations/test.txt");
  CHECK_THAT(error_of([&] { distdiff::OxfordPets(root, Split::train); }), Catch::Contains("missing file") && Catch::Contains("test.txt"));
  fs::remove_all(root / "images");
  CHECK_THAT(error_of([&] { distdiff::OxfordPets(root, Split::train); }), Catch::Contains("images"));
}

}  // namespace DISTDIFF_UNITY_ID
