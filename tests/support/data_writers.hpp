#pragma once
// Test-only writers for miniature dataset layouts: tiny images, IDX/gzip files,
// text files. Header-only; used by tests/data.
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <distdiff/core/image.hpp>
#include <distdiff/data/detail/gzip.hpp>
#include <distdiff/io/image_io.hpp>

namespace distdiff::test {

// A w x h RGB image whose every pixel is (v, 255 - v, v / 2).
inline Image solid(std::uint8_t v, int w = 6, int h = 5) {
  Image img(w, h, 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      img.at(x, y, 0) = v;
      img.at(x, y, 1) = static_cast<std::uint8_t>(255 - v);
      img.at(x, y, 2) = static_cast<std::uint8_t>(v / 2);
    }
  return img;
}

inline void write_bytes(const std::filesystem::path& p, const std::vector<std::uint8_t>& bytes) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

inline void write_text(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream out(p);
  out << text;
}

// A gzip file (RFC 1952) of `data`, compressed with stb_image_write's deflate.
inline std::vector<std::uint8_t> gzip(const std::vector<std::uint8_t>& data) {
  int len = 0;
  unsigned char* z = stbi_zlib_compress(const_cast<unsigned char*>(data.data()), static_cast<int>(data.size()), &len, 8);
  // zlib stream = 2-byte header + raw deflate + 4-byte Adler-32
  std::vector<std::uint8_t> out(10 + static_cast<std::size_t>(len - 6));
  const std::uint8_t header[10] = {0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3};
  std::memcpy(out.data(), header, 10);
  std::memcpy(out.data() + 10, z + 2, static_cast<std::size_t>(len - 6));
  STBIW_FREE(z);
  const std::uint32_t crc = distdiff::detail::crc32(data.data(), data.size());
  const std::uint32_t n = static_cast<std::uint32_t>(data.size());
  for (int k = 0; k < 4; ++k) out.push_back(static_cast<std::uint8_t>(crc >> (8 * k)));
  for (int k = 0; k < 4; ++k) out.push_back(static_cast<std::uint8_t>(n >> (8 * k)));
  return out;
}

// An IDX file of unsigned bytes with the given dimensions.
inline std::vector<std::uint8_t> idx_u8(const std::vector<std::uint32_t>& dims, const std::vector<std::uint8_t>& data) {
  std::vector<std::uint8_t> out{0, 0, 8, static_cast<std::uint8_t>(dims.size())};
  for (std::uint32_t d : dims)
    for (int k = 3; k >= 0; --k) out.push_back(static_cast<std::uint8_t>(d >> (8 * k)));
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

}  // namespace distdiff::test

namespace distdiff::test {

// The message of the exception `f` throws, or "" when it throws nothing.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace distdiff::test
