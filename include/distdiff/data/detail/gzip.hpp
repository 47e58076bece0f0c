#pragma once
// gunzip without linking zlib: the gzip container (RFC 1952) is parsed here and
// the raw DEFLATE stream is inflated by stb_image's decoder; CRC-32 and length
// are checked against the trailer.
#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "distdiff/detail/stb.hpp"

namespace distdiff::detail {

inline std::uint32_t crc32(const std::uint8_t* data, std::size_t n, std::uint32_t crc = 0) {
  static const std::array<std::uint32_t, 256> table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320U ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  crc = ~crc;
  for (std::size_t i = 0; i < n; ++i) crc = table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

inline bool is_gzip(const std::vector<std::uint8_t>& b) { return b.size() >= 2 && b[0] == 0x1F && b[1] == 0x8B; }

// Decompresses a single-member gzip file's bytes; `what` names it in errors.
inline std::vector<std::uint8_t> gunzip(const std::vector<std::uint8_t>& in, const std::string& what) {
  const std::string where = "distdiff gunzip: '" + what + "'";
  if (!is_gzip(in) || in.size() < 18) throw std::runtime_error(where + ": not a gzip file");
  if (in[2] != 8) throw std::runtime_error(where + ": unknown compression method");
  const std::uint8_t flags = in[3];
  std::size_t pos = 10;
  auto need = [&](std::size_t n) {
    if (pos + n > in.size()) throw std::runtime_error(where + ": truncated gzip header");
  };
  if (flags & 0x04) {  // FEXTRA
    need(2);
    const std::size_t xlen = in[pos] | (in[pos + 1] << 8);
    pos += 2;
    need(xlen);
    pos += xlen;
  }
  for (std::uint8_t bit : {std::uint8_t(0x08), std::uint8_t(0x10)})  // FNAME, FCOMMENT
    if (flags & bit) {
      while (true) {
        need(1);
        if (in[pos++] == 0) break;
      }
    }
  if (flags & 0x02) {  // FHCRC
    need(2);
    pos += 2;
  }
  if (pos + 8 > in.size()) throw std::runtime_error(where + ": truncated gzip file");
  const std::size_t tail = in.size() - 8;
  auto le32 = [&](std::size_t at) {
    return std::uint32_t(in[at]) | (std::uint32_t(in[at + 1]) << 8) | (std::uint32_t(in[at + 2]) << 16) |
           (std::uint32_t(in[at + 3]) << 24);
  };
  const std::uint32_t want_crc = le32(tail), want_size = le32(tail + 4);
  if (tail - pos > std::size_t(INT32_MAX)) throw std::runtime_error(where + ": file too large");
  int out_len = 0;
  // The trailer is passed along: stb's bit reader looks a few bytes ahead of
  // the end of the final block and fails on a premature end of input.
  char* raw = stbi_zlib_decode_noheader_malloc(reinterpret_cast<const char*>(in.data() + pos),
                                               static_cast<int>(in.size() - pos), &out_len);
  if (raw == nullptr) throw std::runtime_error(where + ": corrupt or truncated compressed data");
  std::vector<std::uint8_t> out(reinterpret_cast<std::uint8_t*>(raw), reinterpret_cast<std::uint8_t*>(raw) + out_len);
  STBI_FREE(raw);
  if (std::uint32_t(out.size()) != want_size)
    throw std::runtime_error(where + ": decompressed size differs from the gzip trailer (truncated file?)");
  if (crc32(out.data(), out.size()) != want_crc) throw std::runtime_error(where + ": CRC-32 mismatch (corrupt file)");
  return out;
}

}  // namespace distdiff::detail
