#include <catch2/catch.hpp>

#include <distdiff/data/cifar100.hpp>

#include <map>

#include "support/temp_dir.hpp"
#include "support/data_writers.hpp"

namespace fs = std::filesystem;
using distdiff::Split;
using distdiff::test::error_of;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {
// n_per_class records per fine class, record r has fine label r % 100, coarse
// r % 20 and planar pixels R = r % 256, G = 2 at every pixel, B = pixel index % 256.
std::vector<std::uint8_t> records(int n_per_class) {
  std::vector<std::uint8_t> out;
  for (int r = 0; r < 100 * n_per_class; ++r) {
    out.push_back(static_cast<std::uint8_t>(r % 20));
    out.push_back(static_cast<std::uint8_t>(r % 100));
    for (int k = 0; k < 1024; ++k) out.push_back(static_cast<std::uint8_t>(r % 256));
    for (int k = 0; k < 1024; ++k) out.push_back(2);
    for (int k = 0; k < 1024; ++k) out.push_back(static_cast<std::uint8_t>(k % 256));
  }
  return out;
}

fs::path make_cifar(const fs::path& root, int train_per_class = 3) {
  const fs::path dir = root / "cifar-100-binary";
  std::string names;
  for (int c = 0; c < 100; ++c) names += (c == 7 ? std::string("maple_tree") : "class" + std::to_string(c)) + "\n";
  distdiff::test::write_text(dir / "fine_label_names.txt", names);
  distdiff::test::write_bytes(dir / "train.bin", records(train_per_class));
  distdiff::test::write_bytes(dir / "test.bin", records(1));
  return root;
}
}  // namespace

TEST_CASE("Cifar100: subset per class, full test split, pixel layout", "[data][cifar100]") {
  distdiff::test::TempDir tmp("data-cifar");
  const fs::path root = make_cifar(tmp.path);
  distdiff::Cifar100 train(root, Split::train, 2, 0);
  distdiff::Cifar100 full(root, Split::train, 0);
  distdiff::Cifar100 test(root, Split::test);
  CHECK(train.name() == "cifar100_subset");
  CHECK(test.name() == "cifar100");
  REQUIRE(train.class_names().size() == 100);
  REQUIRE(train.size() == 200);
  REQUIRE(full.size() == 300);
  REQUIRE(test.size() == 100);
  std::map<std::int64_t, int> per;
  std::size_t last = 0;
  for (std::size_t i = 0; i < train.size(); ++i) {
    ++per[train.label(i)];
    const std::string src = train.source(i);
    const std::size_t rec = std::stoul(src.substr(src.rfind('#') + 1));
    REQUIRE(train.label(i) == std::int64_t(rec % 100));
    if (i > 0) REQUIRE(rec > last);  // file order kept
    last = rec;
    const auto img = train.load(i);
    REQUIRE(img.width == 32);
    REQUIRE(img.at(5, 0, 0) == rec % 256);
    REQUIRE(img.at(5, 0, 1) == 2);
    REQUIRE(img.at(5, 1, 2) == (32 + 5) % 256);  // planar index k = y*32 + x
  }
  CHECK(per.size() == 100);
  for (auto [c, n] : per) REQUIRE(n == 2);
  CHECK(train.prompt(7) == "a photo of a maple tree.");
  // Same seed -> same subset; another seed -> another subset.
  distdiff::Cifar100 again(root, Split::train, 2, 0), other(root, Split::train, 2, 1);
  bool same = true, differs = false;
  for (std::size_t i = 0; i < train.size(); ++i) {
    same &= again.source(i) == train.source(i);
    differs |= other.source(i) != train.source(i);
  }
  CHECK(same);
  CHECK(differs);
  CHECK(distdiff::Cifar100::published_sizes().train == 10000);
  CHECK_THAT(distdiff::verify_sizes(test), Catch::Contains("100 samples, expected 10000"));
  CHECK_THROWS_AS(distdiff::Cifar100(root, Split::train, 4), std::invalid_argument);  // only 3 per class
}

TEST_CASE("Cifar100: layout errors", "[data][cifar100]") {
  distdiff::test::TempDir tmp("data-cifar-bad");
  const fs::path root = make_cifar(tmp.path, 1);
  const fs::path dir = root / "cifar-100-binary";
  fs::remove(dir / "test.bin");
  CHECK_THAT(error_of([&] { distdiff::Cifar100(root, Split::test); }), Catch::Contains("missing file") && Catch::Contains("test.bin"));
  fs::resize_file(dir / "train.bin", 3074 * 10 + 5);
  CHECK_THAT(error_of([&] { distdiff::Cifar100(root, Split::train); }), Catch::Contains("not a whole number"));
  auto bad = records(1);
  bad[1] = 100;
  distdiff::test::write_bytes(dir / "train.bin", bad);
  CHECK_THAT(error_of([&] { distdiff::Cifar100(root, Split::train, 0); }), Catch::Contains("record 0"));
  distdiff::test::write_text(dir / "fine_label_names.txt", "a\nb\n");
  CHECK_THAT(error_of([&] { distdiff::Cifar100(root, Split::train); }), Catch::Contains("2 class names, expected 100"));
}

}  // namespace DISTDIFF_UNITY_ID
