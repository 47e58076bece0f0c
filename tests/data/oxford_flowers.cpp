#include <catch2/catch.hpp>

#include <distdiff/data/oxford_flowers.hpp>

#include <set>

#include "support/data_mat.hpp"
#include "support/temp_dir.hpp"
#include "support/data_writers.hpp"

namespace fs = std::filesystem;
using distdiff::FlowersSplit;
using distdiff::Split;
using distdiff::test::error_of;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {
// 23 images; image k has label (k % 3) + 1; standard split trn {1..6}, val {7..12}, tst {13..23}.
constexpr int kN = 23;
fs::path make_flowers(const fs::path& root) {
  std::vector<double> labels, trn, val, tst;
  for (int k = 1; k <= kN; ++k) {
    labels.push_back(k % 3 + 1);
    (k <= 6 ? trn : k <= 12 ? val : tst).push_back(k);
    char name[32];
    std::snprintf(name, sizeof name, "image_%05d.jpg", k);
    distdiff::write_jpeg(root / "jpg" / name, distdiff::test::solid(static_cast<std::uint8_t>(k), 3, 3));
  }
  distdiff::test::write_mat(root / "imagelabels.mat", {distdiff::test::mat_row("labels", labels)});
  distdiff::test::write_mat(root / "setid.mat", {distdiff::test::mat_row("trnid", trn), distdiff::test::mat_row("valid", val),
                                                 distdiff::test::mat_row("tstid", tst)});
  return root;
}
int image_id(const std::string& source) { return std::stoi(fs::path(source).stem().string().substr(6)); }
}  // namespace

TEST_CASE("OxfordFlowers102: class names and the paper split arithmetic", "[data][oxford_flowers]") {
  const auto& names = distdiff::OxfordFlowers102::default_classes();
  REQUIRE(names.size() == 102);
  CHECK(names.front() == "pink primrose");
  CHECK(names.back() == "blackberry lily");
  CHECK(std::set<std::string>(names.begin(), names.end()).size() == 102);
  // Table 8: 6552 train / 818 test out of 8189 images.
  const auto s = distdiff::OxfordFlowers102::paper_split_sizes(8189);
  CHECK(s[0] == 6552);
  CHECK(s[1] == 819);
  CHECK(s[2] == 818);
}

TEST_CASE("OxfordFlowers102: standard split from setid.mat", "[data][oxford_flowers]") {
  distdiff::test::TempDir tmp("data-flowers");
  const fs::path root = make_flowers(tmp / "flowers");
  distdiff::OxfordFlowers102 train(root, Split::train, FlowersSplit::standard);
  distdiff::OxfordFlowers102 val(root, Split::val, FlowersSplit::standard);
  distdiff::OxfordFlowers102 test(root, Split::test, FlowersSplit::standard);
  REQUIRE(train.size() == 6);
  REQUIRE(val.size() == 6);
  REQUIRE(test.size() == kN - 12);
  for (const auto* ds : {&train, &val, &test})
    for (std::size_t i = 0; i < ds->size(); ++i) REQUIRE(ds->label(i) == image_id(ds->source(i)) % 3);
  CHECK(image_id(test.source(0)) == 13);
  CHECK(train.class_names().size() == 102);
  CHECK(train.prompt(0) == "a photo of a pink primrose, a type of flower.");
  CHECK(distdiff::verify_sizes(train) == "oxford_flowers102 (train): 6 samples, expected 1020");
}

TEST_CASE("OxfordFlowers102: seeded 80/10/10 paper split", "[data][oxford_flowers]") {
  distdiff::test::TempDir tmp("data-flowers-paper");
  const fs::path root = make_flowers(tmp / "flowers");
  fs::remove(root / "setid.mat");  // not needed for the paper split
  const auto sizes = distdiff::OxfordFlowers102::paper_split_sizes(kN);  // 19 / 2 / 2
  std::set<int> seen;
  std::vector<std::vector<int>> ids(3);
  int part = 0;
  for (Split s : {Split::train, Split::val, Split::test}) {
    distdiff::OxfordFlowers102 ds(root, s);
    REQUIRE(ds.size() == sizes[part]);
    for (std::size_t i = 0; i < ds.size(); ++i) {
      const int id = image_id(ds.source(i));
      REQUIRE(ds.label(i) == id % 3);
      REQUIRE(seen.insert(id).second);  // disjoint
      ids[part].push_back(id);
    }
    ++part;
  }
  CHECK(seen.size() == kN);  // and complete
  CHECK(sizes[0] == 19);
  distdiff::OxfordFlowers102 again(root, Split::test);
  CHECK(image_id(again.source(0)) == ids[2][0]);
  bool differs = false;
  for (std::uint64_t seed = 1; seed < 6 && !differs; ++seed) {
    distdiff::OxfordFlowers102 other(root, Split::test, FlowersSplit::paper, seed);
    for (std::size_t i = 0; i < other.size(); ++i) differs |= image_id(other.source(i)) != ids[2][i];
  }
  CHECK(differs);
  CHECK_THAT(error_of([&] { distdiff::OxfordFlowers102(root, Split::train, FlowersSplit::standard); }),
             Catch::Contains("missing file") && Catch::Contains("setid.mat"));
}

TEST_CASE("OxfordFlowers102: layout errors", "[data][oxford_flowers]") {
  distdiff::test::TempDir tmp("data-flowers-bad");
  const fs::path root = make_flowers(tmp / "flowers");
  fs::remove(root / "jpg/image_00015.jpg");
  CHECK_THAT(error_of([&] { distdiff::OxfordFlowers102(root, Split::test, FlowersSplit::standard); }),
             Catch::Contains("missing image") && Catch::Contains("image_00015.jpg"));
  distdiff::test::write_mat(root / "imagelabels.mat", {distdiff::test::mat_row("labels", {1, 103})});
  CHECK_THAT(error_of([&] { (void)distdiff::OxfordFlowers102(root); }), Catch::Contains("label 103 of image 2"));
  distdiff::test::write_mat(root / "imagelabels.mat", {distdiff::test::mat_row("other", {1})});
  CHECK_THAT(error_of([&] { (void)distdiff::OxfordFlowers102(root); }), Catch::Contains("variable 'labels' not found"));
  fs::remove(root / "imagelabels.mat");
  CHECK_THAT(error_of([&] { (void)distdiff::OxfordFlowers102(root); }), Catch::Contains("imagelabels.mat"));
}

}  // namespace DISTDIFF_UNITY_ID
