#include <catch2/catch.hpp>

#include <distdiff/io/image_io.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using distdiff::Image;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {

Image pattern(int w, int h, int c) {
  Image img(w, h, c);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int k = 0; k < c; ++k) img.at(x, y, k) = static_cast<std::uint8_t>((x * 37 + y * 11 + k * 90) % 256);
  return img;
}

// Smooth content, so JPEG reproduces it closely.
Image smooth(int w, int h) {
  Image img(w, h, 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      img.at(x, y, 0) = static_cast<std::uint8_t>(40 + 150 * x / (w - 1));
      img.at(x, y, 1) = static_cast<std::uint8_t>(60 + 120 * y / (h - 1));
      img.at(x, y, 2) = 128;
    }
  return img;
}

void write_bytes(const fs::path& p, const std::vector<std::uint8_t>& b) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

std::size_t count_entries(const fs::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

bool message_has(const std::exception& e, const std::string& s) { return std::string(e.what()).find(s) != std::string::npos; }

}  // namespace

TEST_CASE("PNG round trip is exact for 1, 3 and 4 channels", "[io][png]") {
  distdiff::test::TempDir tmp("io-png");
  for (int c : {1, 3, 4}) {
    const Image img = pattern(17, 9, c);
    const fs::path p = tmp / ("nested/dir/img" + std::to_string(c) + ".png");
    distdiff::write_png(p, img);  // creates parent folders
    const Image back = distdiff::read_image(p, 0);
    REQUIRE(back.width == 17);
    REQUIRE(back.height == 9);
    REQUIRE(back.channels == c);
    CHECK(back.pixels == img.pixels);
  }
  // Default read is RGB: grey replicated.
  const Image grey = distdiff::read_image(tmp / "nested/dir/img1.png");
  REQUIRE(grey.channels == 3);
  const Image g = pattern(17, 9, 1);
  for (int y = 0; y < 9; ++y)
    for (int x = 0; x < 17; ++x)
      for (int k = 0; k < 3; ++k) REQUIRE(grey.at(x, y, k) == g.at(x, y, 0));
  // Only the final files remain (no temporaries).
  CHECK(count_entries(tmp / "nested/dir") == 3);
}

TEST_CASE("JPEG round trip is close", "[io][jpeg]") {
  distdiff::test::TempDir tmp("io-jpeg");
  const Image img = smooth(48, 32);
  distdiff::write_jpeg(tmp / "a.jpg", img, 95);
  const Image back = distdiff::read_image(tmp / "a.jpg");
  REQUIRE(back.width == 48);
  REQUIRE(back.height == 32);
  double err = 0;
  int worst = 0;
  for (std::size_t i = 0; i < img.pixels.size(); ++i) {
    const int d = std::abs(int(img.pixels[i]) - int(back.pixels[i]));
    err += d;
    worst = std::max(worst, d);
  }
  CHECK(err / img.pixels.size() < 2.0);
  CHECK(worst <= 12);
  // Lower quality gives a smaller file.
  CHECK(distdiff::encode_jpeg(img, 20).size() < distdiff::encode_jpeg(img, 95).size());
  CHECK_THROWS_AS(distdiff::encode_jpeg(img, 0), std::invalid_argument);
}

TEST_CASE("BMP is read", "[io][bmp]") {
  distdiff::test::TempDir tmp("io-bmp");
  const Image img = pattern(5, 4, 3);
  std::vector<std::uint8_t> bytes;
  stbi_write_bmp_to_func(&distdiff::detail::append_bytes, &bytes, 5, 4, 3, img.pixels.data());
  write_bytes(tmp / "x.bmp", bytes);
  CHECK(distdiff::read_image(tmp / "x.bmp").pixels == img.pixels);
}

TEST_CASE("corrupt, truncated and missing files throw an error naming the file", "[io][errors]") {
  distdiff::test::TempDir tmp("io-bad");
  const Image img = smooth(32, 32);
  auto png = distdiff::encode_png(img);
  auto jpg = distdiff::encode_jpeg(img);

  auto expect_error = [](const fs::path& p) {
    try {
      (void)distdiff::read_image(p);
      FAIL("no error for " << p);
    } catch (const std::runtime_error& e) {
      INFO(e.what());
      CHECK(message_has(e, p.string()));
    }
  };
  write_bytes(tmp / "trunc.png", std::vector<std::uint8_t>(png.begin(), png.begin() + png.size() / 2));
  expect_error(tmp / "trunc.png");
  write_bytes(tmp / "trunc.jpg", std::vector<std::uint8_t>(jpg.begin(), jpg.begin() + jpg.size() / 2));
  expect_error(tmp / "trunc.jpg");
  write_bytes(tmp / "garbage.png", std::vector<std::uint8_t>(100, 0x42));
  expect_error(tmp / "garbage.png");
  write_bytes(tmp / "empty.jpg", {});
  expect_error(tmp / "empty.jpg");
  expect_error(tmp / "missing.png");
  fs::create_directories(tmp / "folder.png");
  expect_error(tmp / "folder.png");
  CHECK_THROWS_AS(distdiff::read_image(tmp / "trunc.png", 2), std::invalid_argument);
}

TEST_CASE("a header claiming a huge image is rejected before decoding", "[io][errors][limit]") {
  distdiff::test::TempDir tmp("io-huge");
  // A 54-byte BMP header (14-byte file header + 40-byte BITMAPINFOHEADER)
  // claiming 20000 x 20000 pixels, 24-bit, with no pixel data after it.
  std::vector<std::uint8_t> bmp(54, 0);
  auto put32 = [&](std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) bmp[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
  };
  bmp[0] = 'B', bmp[1] = 'M';
  put32(2, 54);        // file size
  put32(10, 54);       // pixel data offset
  put32(14, 40);       // info header size
  put32(18, 20000);    // width
  put32(22, 20000);    // height
  bmp[26] = 1;         // planes
  bmp[28] = 24;        // bits per pixel
  write_bytes(tmp / "huge.bmp", bmp);
  REQUIRE(distdiff::max_image_pixels() == distdiff::kDefaultMaxImagePixels);
  CHECK_THROWS_WITH(distdiff::read_image(tmp / "huge.bmp"),
                    Catch::Contains((tmp / "huge.bmp").string()) && Catch::Contains("20000x20000") &&
                        Catch::Contains("more than the limit of 67108864"));

  // A normal image still decodes; the limit is configurable, from the code or the environment.
  write_bytes(tmp / "small.png", distdiff::encode_png(pattern(8, 4, 3)));
  CHECK(distdiff::read_image(tmp / "small.png").pixels == pattern(8, 4, 3).pixels);
  distdiff::set_max_image_pixels(31);
  CHECK_THROWS_WITH(distdiff::read_image(tmp / "small.png"),
                    Catch::Contains("small.png") && Catch::Contains("8x4 = 32 pixels, more than the limit of 31"));
  distdiff::set_max_image_pixels(32);
  CHECK_NOTHROW(distdiff::read_image(tmp / "small.png"));
  CHECK_THROWS_AS(distdiff::set_max_image_pixels(0), std::invalid_argument);
  distdiff::detail::max_image_pixels_setting() = 0;  // unset: read the environment again
  ::setenv("DISTDIFF_MAX_IMAGE_PIXELS", "20", 1);
  CHECK(distdiff::max_image_pixels() == 20);
  CHECK_THROWS_WITH(distdiff::read_image(tmp / "small.png"), Catch::Contains("more than the limit of 20"));
  distdiff::detail::max_image_pixels_setting() = 0;
  ::setenv("DISTDIFF_MAX_IMAGE_PIXELS", "lots", 1);
  CHECK_THROWS_WITH(distdiff::max_image_pixels(), Catch::Contains("DISTDIFF_MAX_IMAGE_PIXELS") && Catch::Contains("lots"));
  ::unsetenv("DISTDIFF_MAX_IMAGE_PIXELS");
  distdiff::set_max_image_pixels(distdiff::kDefaultMaxImagePixels);
  CHECK_NOTHROW(distdiff::read_image(tmp / "small.png"));
}

// Found by fuzz/image_fuzz.cpp: inputs that stb_image 2.27 mishandles, each
// refused by decode_image with one std::runtime_error.
TEST_CASE("fuzz regressions: bad or undefined JPEG Huffman tables, negative and zero BMP sizes", "[io][errors][fuzz]") {
  // A JPEG whose Huffman table declares more than 256 codes: stb 2.27 writes
  // past its 257-byte size table. Refused before stb parses it.
  auto jpg = distdiff::encode_jpeg(smooth(16, 16));
  std::size_t dht = 0;
  for (std::size_t i = 2; i + 1 < jpg.size(); ++i)
    if (jpg[i] == 0xFF && jpg[i + 1] == 0xC4) {
      dht = i;
      break;
    }
  REQUIRE(dht > 0);
  const auto good = jpg;
  REQUIRE(distdiff::detail::jpeg_huffman_problem(jpg).empty());
  for (std::size_t k = 0; k < 16; ++k) jpg[dht + 5 + k] = 0xFF;  // 16 x 255 codes in the first table
  CHECK(distdiff::detail::jpeg_huffman_problem(jpg) == "a Huffman table with more than 256 codes");
  CHECK_THROWS_WITH(distdiff::decode_image(jpg, 3, "dht.jpg"),
                    Catch::Contains("dht.jpg") && Catch::Contains("more than 256 codes"));

  // A scan that uses a Huffman table no DHT defines: stb 2.27 decodes with
  // uninitialised tables. The encoder writes DC 0, AC 0, DC 1, AC 1 in one DHT
  // segment; renaming AC 0 to AC 2 leaves the luma scan's AC table undefined.
  jpg = good;
  std::size_t p = dht + 4, tables = 0, renamed = 0;  // p: the first table's class/id byte
  while (tables < 4) {
    if (jpg[p] == 0x10) jpg[p] = 0x12, ++renamed;
    std::size_t codes = 0;
    for (std::size_t k = 1; k <= 16; ++k) codes += jpg[p + k];
    p += 17 + codes;
    ++tables;
  }
  REQUIRE(renamed == 1);
  CHECK(distdiff::detail::jpeg_huffman_problem(jpg) == "a scan uses a Huffman table that no DHT segment defines");
  CHECK_THROWS_WITH(distdiff::decode_image(jpg, 3, "undefined.jpg"),
                    Catch::Contains("undefined.jpg") && Catch::Contains("no DHT segment defines"));

  // A top-down BMP (negative height): stb's header reader reports the height
  // as negative, which slipped under the pixel limit, and decodes |height| rows.
  const Image img = pattern(5, 3, 3);
  std::vector<std::uint8_t> bmp;
  stbi_write_bmp_to_func(&distdiff::detail::append_bytes, &bmp, 5, 3, 3, img.pixels.data());
  auto put32 = [&](std::size_t at, std::int32_t v) {
    for (int i = 0; i < 4; ++i) bmp[at + std::size_t(i)] = static_cast<std::uint8_t>(std::uint32_t(v) >> (8 * i));
  };
  put32(22, -3);  // the same image, top-down
  CHECK(distdiff::decode_image(bmp).height == 3);
  distdiff::set_max_image_pixels(1000);
  put32(22, -100000);
  CHECK_THROWS_WITH(distdiff::decode_image(bmp, 3, "tall.bmp"),
                    Catch::Contains("5x100000") && Catch::Contains("more than the limit of 1000"));
  distdiff::set_max_image_pixels(distdiff::kDefaultMaxImagePixels);
  // Width 0: stb decodes an empty image; one runtime_error, not Image's invalid_argument.
  put32(22, 3);
  put32(18, 0);
  CHECK_THROWS_AS(distdiff::decode_image(bmp, 3, "empty.bmp"), std::runtime_error);
}

TEST_CASE("fuzz regression: zero-length IDAT chunks are removed before stb reads the PNG", "[io][png][fuzz]") {
  // stb 2.27 copies a zero-length IDAT before any image data with
  // memcpy(nullptr, p, 0). Such chunks carry no data: removing them keeps the image.
  const Image img = pattern(5, 3, 3);
  const auto png = distdiff::encode_png(img);
  CHECK(distdiff::detail::png_without_empty_idat(png).empty());  // nothing to remove: nothing copied
  std::size_t idat = 0;  // the first IDAT chunk's length field
  for (std::size_t i = 8; i + 8 <= png.size(); ++i)
    if (std::equal(png.begin() + std::ptrdiff_t(i) + 4, png.begin() + std::ptrdiff_t(i) + 8, "IDAT")) {
      idat = i;
      break;
    }
  REQUIRE(idat > 8);
  const std::vector<std::uint8_t> empty_chunk = {0, 0, 0, 0, 'I', 'D', 'A', 'T', 0x35, 0xAF, 0x06, 0x1E};
  auto padded = png;
  padded.insert(padded.begin() + std::ptrdiff_t(idat), empty_chunk.begin(), empty_chunk.end());
  padded.insert(padded.begin() + std::ptrdiff_t(idat), empty_chunk.begin(), empty_chunk.end());
  CHECK(distdiff::detail::png_without_empty_idat(padded) == png);
  CHECK(distdiff::decode_image(padded).pixels == img.pixels);
  // A chunk's length and type at the very end, without its CRC: removed too.
  auto cut = png;
  cut.insert(cut.end(), empty_chunk.begin(), empty_chunk.begin() + 8);
  CHECK(distdiff::detail::png_without_empty_idat(cut) == png);
  // A zero-length chunk of another type is kept.
  auto other = padded;
  other[idat + 4] = 't';
  const auto kept = distdiff::detail::png_without_empty_idat(other);
  CHECK(kept.size() == png.size() + empty_chunk.size());
  // The input the fuzzer found (IHDR, then an empty IDAT, then garbage): one clean error.
  const std::vector<std::uint8_t> found = {
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
      0x00, 0x01, 0x00, 0x00, 0x00, 0x03, 0x08, 0x02, 0x00, 0x00, 0x00, 0x16, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x49, 0x44, 0x41, 0x54, 0x78, 0x5e, 0xa3, 0x60, 0x50, 0xf5, 0xca, 0x9f, 0xb2, 0xf3, 0x1e, 0xb3, 0x86,
      0x6f, 0xd1, 0xf4, 0x3d, 0x0f, 0xd9, 0x98, 0xb4, 0x51, 0x01, 0x3a, 0x1f, 0x00, 0x42, 0xcf, 0x0b, 0x3c, 0xa4,
      0xd8, 0xb1, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
  CHECK(distdiff::detail::png_without_empty_idat(found).size() == found.size() - 12);
  CHECK_THROWS_WITH(distdiff::decode_image(found, 3, "found.png"), Catch::Contains("found.png"));
}

TEST_CASE("fuzz regression: a PNG chunk running past the end is refused before stb reserves its length",
          "[io][png][fuzz]") {
  // stb 2.27 grows its IDAT buffer to the declared length (up to 1 GiB) before
  // it finds the data missing.
  const auto png = distdiff::encode_png(pattern(5, 3, 3));
  CHECK_FALSE(distdiff::detail::png_chunk_past_end(png));
  auto trailing = png;  // bytes after IEND are not read
  trailing.insert(trailing.end(), {1, 2, 3});
  CHECK_FALSE(distdiff::detail::png_chunk_past_end(trailing));
  std::size_t idat = 0;
  for (std::size_t i = 8; i + 8 <= png.size(); ++i)
    if (std::equal(png.begin() + std::ptrdiff_t(i) + 4, png.begin() + std::ptrdiff_t(i) + 8, "IDAT")) {
      idat = i;
      break;
    }
  REQUIRE(idat > 8);
  auto huge = png;
  huge[idat] = 0x3F;  // an IDAT of about 1 GiB in a file of a hundred bytes
  CHECK(distdiff::detail::png_chunk_past_end(huge));
  CHECK_THROWS_WITH(distdiff::decode_image(huge, 3, "huge.png"),
                    Catch::Contains("huge.png") && Catch::Contains("truncated PNG"));
  const std::vector<std::uint8_t> cut(png.begin(), png.end() - 14);  // IEND and the IDAT's CRC cut off
  CHECK(distdiff::detail::png_chunk_past_end(cut));
  CHECK_THROWS_WITH(distdiff::decode_image(cut, 3, "cut.png"), Catch::Contains("truncated PNG"));
}

TEST_CASE("writers are atomic: failures leave no file behind", "[io][atomic]") {
  distdiff::test::TempDir tmp("io-atomic");
  const Image good = pattern(4, 4, 3);

  SECTION("invalid image") {
    Image bad = good;
    bad.pixels.resize(10);
    CHECK_THROWS_AS(distdiff::write_png(tmp / "bad.png", bad), std::invalid_argument);
    Image zero;
    CHECK_THROWS_AS(distdiff::write_jpeg(tmp / "zero.jpg", zero), std::invalid_argument);
    CHECK(count_entries(tmp.path) == 0);
  }
  SECTION("parent is a file, so the folder cannot be created") {
    write_bytes(tmp / "plain", {1, 2, 3});
    try {
      distdiff::write_png(tmp / "plain/sub/x.png", good);
      FAIL("no error");
    } catch (const std::runtime_error& e) {
      CHECK(message_has(e, "x.png"));
    }
    CHECK(count_entries(tmp.path) == 1);
  }
  SECTION("destination is a folder") {
    fs::create_directories(tmp / "dest.png");
    CHECK_THROWS_AS(distdiff::write_png(tmp / "dest.png", good), std::runtime_error);
    CHECK(count_entries(tmp.path) == 1);
  }
  SECTION("read-only folder") {
    fs::create_directories(tmp / "ro");
    fs::permissions(tmp / "ro", fs::perms::owner_read | fs::perms::owner_exec);
    {
      std::ofstream probe(tmp / "ro/probe");
      if (probe) {  // running as root: permissions are not enforced
        probe.close();
        fs::remove(tmp / "ro/probe");
        fs::permissions(tmp / "ro", fs::perms::owner_all);
        SUCCEED("permissions not enforced for this user");
        return;
      }
    }
    CHECK_THROWS_AS(distdiff::write_png(tmp / "ro/x.png", good), std::runtime_error);
    fs::permissions(tmp / "ro", fs::perms::owner_all);
    CHECK(count_entries(tmp / "ro") == 0);
  }
  SECTION("overwrite replaces the old file completely") {
    distdiff::write_png(tmp / "x.png", pattern(30, 30, 3));
    distdiff::write_png(tmp / "x.png", good);
    CHECK(distdiff::read_image(tmp / "x.png").pixels == good.pixels);
    CHECK(count_entries(tmp.path) == 1);
  }
  SECTION("unsupported extension") {
    CHECK_THROWS_AS(distdiff::write_image(tmp / "x.gif", good), std::invalid_argument);
    distdiff::write_image(tmp / "y.jpeg", good);
    CHECK(fs::exists(tmp / "y.jpeg"));
  }
}

TEST_CASE("resize keeps constants constant and gradients monotone", "[io][resize]") {
  Image flat(13, 7, 3);
  for (std::size_t i = 0; i < flat.pixels.size(); ++i) flat.pixels[i] = static_cast<std::uint8_t>(i % 3 == 0 ? 200 : 17);
  for (auto [w, h] : std::vector<std::pair<int, int>>{{40, 21}, {5, 3}, {13, 30}, {1, 1}}) {
    const Image r = distdiff::resize(flat, w, h);
    REQUIRE(r.width == w);
    REQUIRE(r.height == h);
    for (std::size_t i = 0; i < r.pixels.size(); ++i) REQUIRE(int(r.pixels[i]) == (i % 3 == 0 ? 200 : 17));
  }
  Image ramp(32, 4, 1);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 32; ++x) ramp.at(x, y, 0) = static_cast<std::uint8_t>(8 * x);
  for (int w : {97, 64, 11}) {
    const Image r = distdiff::resize(ramp, w, 4);
    for (int y = 0; y < 4; ++y)
      for (int x = 1; x < w; ++x) REQUIRE(r.at(x, y, 0) >= r.at(x - 1, y, 0));
    CHECK(r.at(0, 0, 0) <= 8);
    CHECK(r.at(w - 1, 0, 0) >= 240);
  }
  // Exact 2x downsampling of a linear ramp keeps the mean.
  const Image half = distdiff::resize(ramp, 16, 4);
  double m0 = 0, m1 = 0;
  for (auto v : ramp.pixels) m0 += v;
  for (auto v : half.pixels) m1 += v;
  CHECK(m1 / half.pixels.size() == Approx(m0 / ramp.pixels.size()).margin(1.5));
  CHECK_THROWS_AS(distdiff::resize(ramp, 0, 3), std::invalid_argument);
}

TEST_CASE("resize_shorter_side and center_crop geometry", "[io][crop]") {
  const Image img = pattern(40, 20, 3);
  const Image r = distdiff::resize_shorter_side(img, 10);
  CHECK(r.width == 20);
  CHECK(r.height == 10);
  const Image c = distdiff::center_crop(img, 10, 6);
  REQUIRE(c.width == 10);
  REQUIRE(c.height == 6);
  // offsets (40-10)/2 = 15, (20-6)/2 = 7
  for (int y = 0; y < 6; ++y)
    for (int x = 0; x < 10; ++x)
      for (int k = 0; k < 3; ++k) REQUIRE(c.at(x, y, k) == img.at(x + 15, y + 7, k));
  // Half offsets round to even like torchvision: (5-2)/2 = 1.5 -> 2, (4-1)/2 = 1.5 -> 2
  const Image small = pattern(5, 4, 1);
  const Image s = distdiff::center_crop(small, 2, 1);
  CHECK(s.at(0, 0, 0) == small.at(2, 2, 0));
  CHECK_THROWS_AS(distdiff::center_crop(img, 41, 5), std::invalid_argument);
  CHECK(distdiff::center_crop(img, 20).width == 20);
}

TEST_CASE("channel conversion", "[io][channels]") {
  Image rgb(1, 1, 3);
  rgb.pixels = {255, 0, 0};
  CHECK(int(distdiff::convert_channels(rgb, 1).pixels[0]) == 76);  // 0.299 * 255
  const Image rgba = distdiff::convert_channels(rgb, 4);
  CHECK(rgba.pixels == std::vector<std::uint8_t>{255, 0, 0, 255});
  CHECK(distdiff::convert_channels(rgba, 3).pixels == rgb.pixels);
}

}  // namespace DISTDIFF_UNITY_ID
