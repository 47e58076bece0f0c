#include <catch2/catch.hpp>

#include <distdiff/data/stanford_cars.hpp>

#include "support/data_mat.hpp"
#include "support/temp_dir.hpp"
#include "support/data_writers.hpp"

namespace fs = std::filesystem;
using distdiff::Split;
using distdiff::test::error_of;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {
const std::vector<std::string> kNames{"AM General Hummer SUV 2000", "Audi TT RS Coupe 2012", "smart fortwo Convertible 2012"};
const std::vector<distdiff::test::CarAnno> kTrain{{"00001.jpg", 3}, {"00002.jpg", 1}, {"00003.jpg", 2}, {"00004.jpg", 3}};
const std::vector<distdiff::test::CarAnno> kTest{{"00001.jpg", 2}, {"00002.jpg", 2}, {"00003.jpg", 1}};

fs::path make_images(const fs::path& root) {
  for (const auto& a : kTrain) distdiff::write_jpeg(root / "cars_train" / a.fname, distdiff::test::solid(10, 4, 3));
  for (const auto& a : kTest) distdiff::write_jpeg(root / "cars_test" / a.fname, distdiff::test::solid(20, 4, 3));
  return root;
}

fs::path make_devkit(const fs::path& root) {
  make_images(root);
  distdiff::test::write_mat(root / "devkit/cars_meta.mat", {distdiff::test::mat_cellstr("class_names", kNames)});
  distdiff::test::write_mat(root / "devkit/cars_train_annos.mat", {distdiff::test::mat_car_annotations(kTrain)});
  distdiff::test::write_mat(root / "cars_test_annos_withlabels.mat", {distdiff::test::mat_car_annotations(kTest)});
  return root;
}
}  // namespace

TEST_CASE("StanfordCars: devkit .mat files", "[data][stanford_cars]") {
  distdiff::test::TempDir tmp("data-cars");
  const fs::path root = make_devkit(tmp / "cars");
  distdiff::StanfordCars train(root, Split::train), test(root, Split::test);
  REQUIRE(train.class_names() == kNames);
  REQUIRE(train.size() == 4);
  REQUIRE(test.size() == 3);
  for (std::size_t i = 0; i < kTrain.size(); ++i) {
    CHECK(train.label(i) == kTrain[i].cls - 1);
    CHECK(fs::path(train.source(i)) == root / "cars_train" / kTrain[i].fname);
  }
  for (std::size_t i = 0; i < kTest.size(); ++i) CHECK(test.label(i) == kTest[i].cls - 1);
  CHECK(train.prompt(1) == "A photo of a Audi TT RS Coupe 2012 car.");
  CHECK(test.load(0).width == 4);
  CHECK(distdiff::StanfordCars::published_sizes().classes == 196);
  CHECK_THAT(distdiff::verify_sizes(test), Catch::Contains("expected 8041"));
}

TEST_CASE("StanfordCars: CSV export", "[data][stanford_cars]") {
  distdiff::test::TempDir tmp("data-cars-csv");
  const fs::path root = make_images(tmp / "cars");
  std::string names;
  for (const auto& n : kNames) names += n + "\n";
  distdiff::test::write_text(root / "names.csv", names);
  distdiff::test::write_text(root / "train.csv", "fname,class_id\n00001.jpg,3\n00002.jpg,1\n00003.jpg,2\n00004.jpg,3\n");
  // Kaggle form: fname,x1,y1,x2,y2,class without a header.
  distdiff::test::write_text(root / "anno_test.csv", "00001.jpg,1,2,3,4,2\n00002.jpg,1,2,3,4,2\n00003.jpg,5,6,7,8,1\n");
  distdiff::StanfordCars train(root, Split::train), test(root, Split::test);
  REQUIRE(train.class_names() == kNames);
  REQUIRE(train.size() == 4);
  REQUIRE(test.size() == 3);
  for (std::size_t i = 0; i < kTrain.size(); ++i) CHECK(train.label(i) == kTrain[i].cls - 1);
  for (std::size_t i = 0; i < kTest.size(); ++i) CHECK(test.label(i) == kTest[i].cls - 1);
}

TEST_CASE("StanfordCars: layout errors", "[data][stanford_cars]") {
  distdiff::test::TempDir tmp("data-cars-bad");
  const fs::path root = make_devkit(tmp / "cars");
  fs::remove(root / "cars_test/00002.jpg");
  CHECK_THAT(error_of([&] { distdiff::StanfordCars(root, Split::test); }),
             Catch::Contains("missing image") && Catch::Contains("00002.jpg"));
  fs::remove(root / "devkit/cars_train_annos.mat");
  CHECK_THAT(error_of([&] { distdiff::StanfordCars(root, Split::train); }), Catch::Contains("cars_train_annos.mat"));
  fs::remove(root / "devkit/cars_meta.mat");
  CHECK_THAT(error_of([&] { distdiff::StanfordCars(root, Split::train); }), Catch::Contains("cars_meta.mat"));
  fs::remove_all(root / "cars_train");
  CHECK_THAT(error_of([&] { distdiff::StanfordCars(root, Split::train); }), Catch::Contains("cars_train"));
  // A class id beyond the class list.
  const fs::path r2 = make_devkit(tmp / "cars2");
  distdiff::test::write_mat(r2 / "devkit/cars_train_annos.mat", {distdiff::test::mat_car_annotations({{"00001.jpg", 4}})});
  CHECK_THAT(error_of([&] { distdiff::StanfordCars(r2, Split::train); }), Catch::Contains("class 4, outside 1..3"));
  // Not a MAT file.
  distdiff::test::write_text(r2 / "devkit/cars_meta.mat", "hello");
  CHECK_THAT(error_of([&] { distdiff::StanfordCars(r2, Split::train); }), Catch::Contains("not a readable MAT file"));
}

}  // namespace DISTDIFF_UNITY_ID
