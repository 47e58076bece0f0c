#include <catch2/catch.hpp>

#include <distdiff/data/fashion_mnist.hpp>

#include <map>

#include "support/temp_dir.hpp"
#include "support/data_writers.hpp"

namespace fs = std::filesystem;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {

// A miniature Fashion-MNIST: n images whose pixels all equal the record index,
// label = (index * 7) % 10.
void write_mini(const fs::path& root, const std::string& stem, std::uint32_t n, bool gz) {
  std::vector<std::uint8_t> px(n * 28 * 28), lab(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    std::fill(px.begin() + i * 784, px.begin() + (i + 1) * 784, static_cast<std::uint8_t>(i));
    lab[i] = static_cast<std::uint8_t>((i * 7) % 10);
  }
  auto images = distdiff::test::idx_u8({n, 28, 28}, px);
  auto labels = distdiff::test::idx_u8({n}, lab);
  const std::string ext = gz ? ".gz" : "";
  distdiff::test::write_bytes(root / (stem + "-images-idx3-ubyte" + ext), gz ? distdiff::test::gzip(images) : images);
  distdiff::test::write_bytes(root / (stem + "-labels-idx1-ubyte" + ext), gz ? distdiff::test::gzip(labels) : labels);
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("gunzip inverts gzip and detects corruption", "[data][gzip]") {
  std::vector<std::uint8_t> data(5000);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>((i * i) % 251);
  auto gz = distdiff::test::gzip(data);
  CHECK(distdiff::detail::gunzip(gz, "x") == data);
  // CRC-32 of "123456789" is 0xCBF43926 (the standard check value).
  const std::string s = "123456789";
  CHECK(distdiff::detail::crc32(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()) == 0xCBF43926U);
  auto bad = gz;
  bad[bad.size() - 9] ^= 0x01;  // a bit of the deflate stream or CRC
  CHECK_THROWS(distdiff::detail::gunzip(bad, "x"));
  auto cut = std::vector<std::uint8_t>(gz.begin(), gz.begin() + gz.size() / 2);
  CHECK_THROWS(distdiff::detail::gunzip(cut, "x"));
}

TEST_CASE("FashionMnist reads plain and gzip IDX files", "[data][fashion_mnist]") {
  distdiff::test::TempDir tmp("data-fmnist");
  write_mini(tmp.path, "train", 50, /*gz=*/true);
  write_mini(tmp.path, "t10k", 20, /*gz=*/false);
  distdiff::FashionMnist train(tmp.path, distdiff::Split::train);
  distdiff::FashionMnist test(tmp.path, distdiff::Split::test);
  REQUIRE(train.size() == 50);
  REQUIRE(test.size() == 20);
  CHECK(train.class_names().size() == 10);
  CHECK(train.class_names()[0] == "T-shirt/top");
  CHECK(train.class_names()[9] == "Ankle boot");
  for (std::size_t i = 0; i < 50; ++i) {
    REQUIRE(train.label(i) == std::int64_t((i * 7) % 10));
    const auto img = train.load(i);
    REQUIRE(img.width == 28);
    REQUIRE(img.channels == 1);
    REQUIRE(img.pixels[0] == i);
    REQUIRE(img.pixels[783] == i);
  }
  CHECK(train.prompt(9) == "a photo of a Ankle boot.");
  CHECK_THAT(train.source(3), Catch::EndsWith("train-images-idx3-ubyte.gz#3"));
  CHECK(!distdiff::verify_sizes(train).empty());  // a miniature is not the published set

  // per_class: 3 of each class (each class has 5), deterministic, file order kept.
  distdiff::FashionMnist sub(tmp.path, distdiff::Split::train, 3, 7);
  distdiff::FashionMnist sub2(tmp.path, distdiff::Split::train, 3, 7);
  distdiff::FashionMnist other(tmp.path, distdiff::Split::train, 3, 8);
  REQUIRE(sub.size() == 30);
  std::map<std::int64_t, int> per;
  std::vector<std::string> a, b, c;
  for (std::size_t i = 0; i < sub.size(); ++i) {
    ++per[sub.label(i)];
    a.push_back(sub.source(i));
    b.push_back(sub2.source(i));
    c.push_back(other.source(i));
    // label consistent with the pixel (= record index)
    REQUIRE(sub.label(i) == std::int64_t((sub.load(i).pixels[0] * 7) % 10));
    if (i > 0) REQUIRE(sub.load(i).pixels[0] > sub.load(i - 1).pixels[0]);
  }
  for (auto [k, v] : per) CHECK(v == 3);
  CHECK(a == b);
  CHECK(a != c);
  CHECK_THROWS_AS(distdiff::FashionMnist(tmp.path, distdiff::Split::train, 6), std::invalid_argument);
}

TEST_CASE("FashionMnist validates the files", "[data][fashion_mnist]") {
  distdiff::test::TempDir tmp("data-fmnist-bad");
  CHECK_THAT(error_of([&] { distdiff::FashionMnist(tmp.path, distdiff::Split::train); }),
             Catch::Contains("missing file") && Catch::Contains("train-images-idx3-ubyte.gz"));
  write_mini(tmp.path, "train", 10, false);
  // Wrong magic: a labels file where the images file should be.
  fs::copy_file(tmp / "train-labels-idx1-ubyte", tmp / "train-images-idx3-ubyte", fs::copy_options::overwrite_existing);
  CHECK_THAT(error_of([&] { distdiff::FashionMnist(tmp.path, distdiff::Split::train); }),
             Catch::Contains("bad magic number") && Catch::Contains("train-images-idx3-ubyte"));
  // Truncated data.
  write_mini(tmp.path, "train", 10, false);
  fs::resize_file(tmp / "train-images-idx3-ubyte", 16 + 784 * 9);
  CHECK_THAT(error_of([&] { distdiff::FashionMnist(tmp.path, distdiff::Split::train); }),
             Catch::Contains("header promises"));
  // Count mismatch between images and labels.
  write_mini(tmp.path, "train", 10, false);
  auto labels = distdiff::test::idx_u8({9}, std::vector<std::uint8_t>(9, 1));
  distdiff::test::write_bytes(tmp / "train-labels-idx1-ubyte", labels);
  CHECK_THAT(error_of([&] { distdiff::FashionMnist(tmp.path, distdiff::Split::train); }), Catch::Contains("9 labels"));
  // Label out of range.
  distdiff::test::write_bytes(tmp / "train-labels-idx1-ubyte", distdiff::test::idx_u8({10}, std::vector<std::uint8_t>(10, 10)));
  CHECK_THAT(error_of([&] { distdiff::FashionMnist(tmp.path, distdiff::Split::train); }), Catch::Contains("not in [0, 10)"));
  CHECK_THROWS_AS(distdiff::FashionMnist(tmp.path, distdiff::Split::val), std::invalid_argument);
}

TEST_CASE("FashionMnist on the Debian copy matches the published sizes", "[data][fashion_mnist][real]") {
  const fs::path root = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(root / "t10k-images-idx3-ubyte.gz")) {
    SUCCEED("dataset-fashion-mnist not installed");
    return;
  }
  distdiff::FashionMnist test(root, distdiff::Split::test);
  CHECK(distdiff::verify_sizes(test).empty());
  std::vector<int> per(10, 0);
  for (std::size_t i = 0; i < test.size(); ++i) ++per[static_cast<std::size_t>(test.label(i))];
  for (int n : per) CHECK(n == 1000);  // Fashion-MNIST's test set is balanced
  distdiff::FashionMnist sub(root, distdiff::Split::train, 10, 0);
  CHECK(sub.size() == 100);
  CHECK(distdiff::verify_sizes(sub).empty());
}

}  // namespace DISTDIFF_UNITY_ID
