#pragma once
// Reading, writing and resizing 8-bit images (distdiff::Image), without LibTorch.
//
//     distdiff::Image img = distdiff::read_image("cat.jpg");        // RGB
//     img = distdiff::resize(img, 256, 256);                          // bicubic
//     distdiff::write_png("out/cat.png", img);                       // atomic
//
// Decoding uses stb_image (PNG, JPEG, BMP), encoding stb_image_write and
// resizing stb_image_resize with the Catmull-Rom (bicubic) filter on the raw
// 8-bit values (no sRGB linearisation, like PIL and torchvision).
// Errors: a missing, unreadable, truncated or corrupt file, an image larger
// than max_image_pixels() (checked from the header, before decoding) and an
// allocation failure each throw one std::runtime_error naming the file; writers create parent folders and write
// through a temporary file renamed into place, so no half-written file is ever
// left behind.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <new>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "distdiff/core/image.hpp"
#include "distdiff/detail/atomic_write.hpp"
#include "distdiff/detail/stb.hpp"

namespace distdiff {

namespace detail {

inline std::string describe(const Image& img) {
  return std::to_string(img.width) + "x" + std::to_string(img.height) + "x" + std::to_string(img.channels);
}

// Throws std::invalid_argument unless `img` is a consistent, non-empty image.
inline void check_image(const Image& img, std::string_view who) {
  if (img.width <= 0 || img.height <= 0 || (img.channels != 1 && img.channels != 3 && img.channels != 4))
    throw std::invalid_argument(std::string(who) + ": invalid image " + describe(img) +
                                " (need width, height > 0 and 1, 3 or 4 channels)");
  if (img.pixels.size() != std::size_t(img.width) * img.height * img.channels)
    throw std::invalid_argument(std::string(who) + ": image " + describe(img) + " holds " +
                                std::to_string(img.pixels.size()) + " bytes, expected " +
                                std::to_string(std::size_t(img.width) * img.height * img.channels));
}

inline std::vector<std::uint8_t> read_file_bytes(const std::filesystem::path& path, std::string_view who) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw std::runtime_error(std::string(who) + ": '" + path.string() + "': no such file");
  if (std::filesystem::is_directory(path, ec))
    throw std::runtime_error(std::string(who) + ": '" + path.string() + "': is a folder, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(std::string(who) + ": '" + path.string() + "': cannot open for reading");
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw std::runtime_error(std::string(who) + ": '" + path.string() + "': read error");
  return bytes;
}

inline bool is_jpeg(std::span<const std::uint8_t> b) { return b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF; }

// stb_image pads a truncated JPEG stream with zeros and reports success; a
// complete JPEG ends with the end-of-image marker FF D9 (possibly followed by
// trailing bytes), so its absence means the file was cut short.
inline bool jpeg_has_end_marker(std::span<const std::uint8_t> b) {
  for (std::size_t i = b.size(); i-- > 1;)
    if (b[i - 1] == 0xFF && b[i] == 0xD9) return true;
  return false;
}

// Two defects of stb_image 2.27 (Debian bookworm's libstb) on corrupt JPEGs,
// both found by fuzz/image_fuzz.cpp and fixed upstream in 2.28:
//  - it does not check that a Huffman table (DHT segment) declares at most 256
//    codes, and writes past its 257-byte size table when it declares more;
//  - it does not zero its decoder state, so a scan that uses a Huffman table
//    no DHT defined decodes with uninitialised tables (reads out of bounds).
// This walks the segments the way stb reads them — each marker's length
// (before the frame header, bytes up to the next FF are skipped), DHT and DQT
// table by table (stb may read past their length), entropy-coded data up to
// the next marker that is not a stuffed FF 00 or a restart — and returns what
// is wrong (empty when nothing is), so decode_image refuses the file before
// stb parses it. A scan uses the DC and AC tables its components name, except
// in a progressive frame: DC scans (Ss = 0) use only the DC table on their
// first pass (Ah = 0) and none on refinement, AC scans only the AC table.
inline std::string_view jpeg_huffman_problem(std::span<const std::uint8_t> b) {
  const std::size_t n = b.size();
  // stb takes FF (FF...) D8 as the start of a JPEG
  std::size_t i = 0;
  if (n < 2 || b[0] != 0xFF) return {};
  while (i < n && b[i] == 0xFF) ++i;
  if (i >= n || b[i] != 0xD8) return {};
  ++i;
  bool frame = false;        // after the frame header (SOF0-2)
  bool progressive = false;  // SOF2
  bool defined[2][4] = {};   // [DC, AC][table id] defined by a DHT so far
  while (i < n) {
    if (b[i] != 0xFF) {
      if (frame) return {};  // not a marker: stb stops here ("expected marker")
      ++i;                   // before the frame header stb scans for the next marker
      continue;
    }
    while (i < n && b[i] == 0xFF) ++i;  // fill bytes
    if (i >= n) return {};
    const std::uint8_t m = b[i++];
    if (m == 0xD9) return {};  // EOI
    if (m >= 0xC0 && m <= 0xC2) {
      frame = true;
      progressive = m == 0xC2;
    }
    if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) continue;  // no length
    if (i + 2 > n) return {};
    const std::size_t len = (std::size_t(b[i]) << 8) | b[i + 1];
    std::size_t next = i + len;  // APPn, COM, SOF, SOS, DRI: stb reads or skips exactly the length
    if (m == 0xC4 || m == 0xDB) {
      // DHT and DQT: stb reads whole tables while bytes of the length are left,
      // so it may stop past the segment's end: follow it table by table.
      std::ptrdiff_t left = std::ptrdiff_t(len) - 2;
      std::size_t p = i + 2;
      while (left > 0) {
        if (p >= n) return {};  // stb reads zeros past the end: no more codes
        const std::uint8_t q = b[p];
        std::size_t size = 0;
        if ((q >> 4) > 1 || (q & 15) > 3) return {};  // stb: "bad DHT header" / "bad DQT type/table"
        if (m == 0xC4) {
          std::size_t codes = 0;  // count bytes past the end read as 0, like stb
          for (std::size_t k = 1; k <= 16 && p + k < n; ++k) codes += b[p + k];
          if (codes > 256) return "a Huffman table with more than 256 codes";
          defined[q >> 4][q & 15] = true;
          size = 17 + codes;
        } else {
          size = (q >> 4) ? 129 : 65;
        }
        p += size;
        left -= std::ptrdiff_t(size);
      }
      next = p;
    }
    if (m == 0xDA) {  // SOS: Ns, then (Cs, Td/Ta) per component, Ss, Se, Ah/Al
      auto at = [&](std::size_t k) { return k < n ? b[k] : std::uint8_t{0}; };  // stb reads zeros past the end
      const std::size_t ns = at(i + 2);
      if (ns >= 1 && ns <= 4 && len == 6 + 2 * ns) {  // otherwise stb refuses the scan header
        const std::size_t ss = i + 3 + 2 * ns;
        const bool dc = !progressive || (at(ss) == 0 && (at(ss + 2) >> 4) == 0);
        const bool ac = !progressive || at(ss) != 0;
        for (std::size_t c = 0; c < ns; ++c) {
          const std::uint8_t t = at(i + 4 + 2 * c);
          if ((t >> 4) > 3 || (t & 15) > 3) return {};  // stb: "bad DC huff" / "bad AC huff"
          if ((dc && !defined[0][t >> 4]) || (ac && !defined[1][t & 15]))
            return "a scan uses a Huffman table that no DHT segment defines";
        }
      }
    }
    i = next;
    if (m == 0xDA) {  // SOS: entropy-coded data up to the next real marker
      while (i + 1 < n && !(b[i] == 0xFF && b[i + 1] != 0x00 && !(b[i + 1] >= 0xD0 && b[i + 1] <= 0xD7))) ++i;
      if (i + 1 >= n) return {};
    }
  }
  return {};
}

inline bool is_png(std::span<const std::uint8_t> b) {
  static constexpr std::uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  return b.size() >= 8 && std::equal(kSignature, kSignature + 8, b.begin());
}

// stb_image 2.27 copies a zero-length IDAT chunk that comes before any image
// data with memcpy(nullptr, p, 0), which is undefined behaviour (found by
// fuzz/image_fuzz.cpp). Such a chunk carries nothing (a PNG's image data is
// the concatenation of its IDAT chunks' data), so removing it leaves the image
// unchanged. This walks the chunks the way stb reads them (signature, then
// length, type, data, CRC) and returns the bytes without zero-length IDAT
// chunks, or an empty vector when there is none (nothing is copied then).
inline std::vector<std::uint8_t> png_without_empty_idat(std::span<const std::uint8_t> b) {
  if (!is_png(b)) return {};
  auto empty_idat = [&](std::size_t at) {
    return b[at] == 0 && b[at + 1] == 0 && b[at + 2] == 0 && b[at + 3] == 0 && b[at + 4] == 'I' &&
           b[at + 5] == 'D' && b[at + 6] == 'A' && b[at + 7] == 'T';
  };
  std::vector<std::uint8_t> out;
  std::size_t kept = 0;  // b[kept, i) is still to be copied to `out`; 0: nothing removed yet
  std::size_t i = 8;
  while (i + 8 <= b.size()) {  // a chunk's length and type (stb reads them even when the rest is missing)
    const std::size_t len = (std::size_t(b[i]) << 24) | (std::size_t(b[i + 1]) << 16) |
                            (std::size_t(b[i + 2]) << 8) | std::size_t(b[i + 3]);
    const std::size_t next = i + 12 + len;  // no overflow: len < 2^32, i < 2^31
    if (empty_idat(i)) {
      if (out.empty()) out.reserve(b.size());
      out.insert(out.end(), b.begin() + std::ptrdiff_t(kept), b.begin() + std::ptrdiff_t(i));
      kept = std::min(next, b.size());
    }
    i = next;
  }
  if (kept == 0) return {};
  out.insert(out.end(), b.begin() + std::ptrdiff_t(kept), b.end());
  return out;
}

// stb_image grows its buffer for an IDAT chunk to the chunk's declared length
// (up to 1 GiB, rounded up to a power of two) before it finds the data
// missing, so a few corrupt bytes can cost gigabytes (found by
// fuzz/image_fuzz.cpp). True when a chunk before IEND runs past the end of the
// file (walked as stb reads it): stb refuses such a file anyway, so
// decode_image refuses it first.
inline bool png_chunk_past_end(std::span<const std::uint8_t> b) {
  if (!is_png(b)) return false;
  std::size_t i = 8;
  while (i + 8 <= b.size()) {
    if (b[i + 4] == 'I' && b[i + 5] == 'E' && b[i + 6] == 'N' && b[i + 7] == 'D') return false;
    const std::size_t len = (std::size_t(b[i]) << 24) | (std::size_t(b[i + 1]) << 16) |
                            (std::size_t(b[i + 2]) << 8) | std::size_t(b[i + 3]);
    i += 12 + len;  // no overflow: len < 2^32, i < 2^31
    if (i > b.size()) return true;
  }
  return i < b.size();  // a chunk header cut short
}

// Converts interleaved pixels with `from` channels (1..4, 2 = grey+alpha) to
// `to` channels (1, 3 or 4). Grey -> RGB replicates; RGB -> grey uses the
// ITU-R 601 luma weights (as PIL's "L" conversion); alpha is dropped or set to 255.
inline Image convert_pixels(const std::uint8_t* src, int w, int h, int from, int to) {
  Image out(w, h, to);
  const std::size_t n = std::size_t(w) * h;
  for (std::size_t p = 0; p < n; ++p) {
    const std::uint8_t* s = src + p * from;
    std::uint8_t* d = out.pixels.data() + p * to;
    std::uint8_t r, g, b, a = 255;
    if (from <= 2) {
      r = g = b = s[0];
      if (from == 2) a = s[1];
    } else {
      r = s[0], g = s[1], b = s[2];
      if (from == 4) a = s[3];
    }
    if (to == 1) {
      d[0] = static_cast<std::uint8_t>((r * 299 + g * 587 + b * 114 + 500) / 1000);
    } else {
      d[0] = r, d[1] = g, d[2] = b;
      if (to == 4) d[3] = a;
    }
  }
  return out;
}

inline void append_bytes(void* context, void* data, int size) {
  if (size <= 0) return;
  auto* out = static_cast<std::vector<std::uint8_t>*>(context);
  const std::size_t old = out->size();
  out->resize(old + static_cast<std::size_t>(size));
  std::memcpy(out->data() + old, data, static_cast<std::size_t>(size));
}

inline std::string lowercase_extension(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return ext;
}

// The decoder's pixel limit: 0 until set or first read from the environment.
inline std::atomic<std::int64_t>& max_image_pixels_setting() {
  static std::atomic<std::int64_t> limit{0};
  return limit;
}

}  // namespace detail

// Largest image (width x height) the decoders accept: 64 megapixels
// (8192 x 8192) by default, a guard against a small file whose header claims
// a huge image (a 54-byte BMP can claim 20000 x 20000, 1.2 GB of RGB). The
// environment variable DISTDIFF_MAX_IMAGE_PIXELS overrides the default;
// set_max_image_pixels overrides both.
inline constexpr std::int64_t kDefaultMaxImagePixels = std::int64_t{64} << 20;

inline void set_max_image_pixels(std::int64_t pixels) {
  if (pixels <= 0)
    throw std::invalid_argument("distdiff::set_max_image_pixels: the limit must be positive, got " +
                                std::to_string(pixels));
  detail::max_image_pixels_setting().store(pixels);
}

inline std::int64_t max_image_pixels() {
  auto& limit = detail::max_image_pixels_setting();
  if (const auto set = limit.load(); set > 0) return set;
  std::int64_t value = kDefaultMaxImagePixels;
  if (const char* env = std::getenv("DISTDIFF_MAX_IMAGE_PIXELS"); env != nullptr && *env != '\0') {
    const std::string_view text(env);
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value <= 0)
      throw std::invalid_argument("distdiff: DISTDIFF_MAX_IMAGE_PIXELS must be a positive integer, got '" +
                                  std::string(text) + "'");
  }
  std::int64_t unset = 0;
  limit.compare_exchange_strong(unset, value);  // a concurrent set_max_image_pixels wins
  return limit.load();
}

// Decodes PNG/JPEG/BMP bytes. `channels`: 3 (RGB, default), 1 (grey), 4 (RGBA)
// or 0 (as stored; grey+alpha becomes RGBA). `what` names the source in errors.
inline Image decode_image(std::span<const std::uint8_t> bytes, int channels = 3,
                          std::string_view what = "<memory>") {
  const std::string where = "distdiff::read_image: '" + std::string(what) + "'";
  if (channels != 0 && channels != 1 && channels != 3 && channels != 4)
    throw std::invalid_argument(where + ": channels must be 0, 1, 3 or 4, got " + std::to_string(channels));
  if (bytes.empty()) throw std::runtime_error(where + ": empty file");
  if (bytes.size() > std::size_t(INT32_MAX)) throw std::runtime_error(where + ": file too large");
  if (detail::is_jpeg(bytes) && !detail::jpeg_has_end_marker(bytes))
    throw std::runtime_error(where + ": truncated JPEG (no end-of-image marker)");
  if (const std::string_view problem = detail::jpeg_huffman_problem(bytes); !problem.empty())
    throw std::runtime_error(where + ": corrupt JPEG (" + std::string(problem) + ")");
  const std::vector<std::uint8_t> png = detail::png_without_empty_idat(bytes);
  if (!png.empty()) bytes = png;
  if (detail::png_chunk_past_end(bytes))
    throw std::runtime_error(where + ": truncated PNG (a chunk runs past the end of the file)");
  auto cannot_decode = [&] {
    const char* reason = stbi_failure_reason();
    return std::runtime_error(where + ": cannot decode image (" + (reason ? reason : "unknown format") + ")");
  };
  // The size from the header, checked before anything is allocated.
  int w = 0, h = 0, stored = 0;
  if (!stbi_info_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &stored)) throw cannot_decode();
  const std::int64_t limit = max_image_pixels();
  // stb's BMP header reader reports a top-down image's height as negative and
  // decodes |height| rows (found by fuzz/image_fuzz.cpp): the limit uses |w|·|h|.
  auto over_limit = [&](std::int64_t ww, std::int64_t hh) {
    ww = ww < 0 ? -ww : ww;
    hh = hh < 0 ? -hh : hh;
    if (ww == 0 || hh == 0)
      throw std::runtime_error(where + ": corrupt image (size " + std::to_string(ww) + "x" + std::to_string(hh) + ")");
    if (ww * hh <= limit) return;
    throw std::runtime_error(where + ": image is " + std::to_string(ww) + "x" + std::to_string(hh) + " = " +
                             std::to_string(ww * hh) + " pixels, more than the limit of " + std::to_string(limit) +
                             " (distdiff::set_max_image_pixels, DISTDIFF_MAX_IMAGE_PIXELS)");
  };
  over_limit(w, h);
  stbi_uc* data = nullptr;
  try {
    data = stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &stored, 0);
    if (data == nullptr) throw cannot_decode();
    over_limit(w, h);  // the decoder agrees with its header reader (checked, not assumed)
    const int want = channels != 0 ? channels : (stored == 2 ? 4 : stored);
    Image out = detail::convert_pixels(data, w, h, stored, want);
    stbi_image_free(data);
    return out;
  } catch (const std::bad_alloc&) {
    stbi_image_free(data);
    throw std::runtime_error(where + ": out of memory decoding a " + std::to_string(w) + "x" + std::to_string(h) +
                             " image");
  } catch (...) {
    stbi_image_free(data);
    throw;
  }
}

// Reads an image file (PNG, JPEG or BMP) as 3-channel RGB.
inline Image read_image(const std::filesystem::path& path) {
  const auto bytes = detail::read_file_bytes(path, "distdiff::read_image");
  return decode_image(bytes, 3, path.string());
}

// Reads an image file with the requested number of channels (see decode_image).
inline Image read_image(const std::filesystem::path& path, int channels) {
  const auto bytes = detail::read_file_bytes(path, "distdiff::read_image");
  return decode_image(bytes, channels, path.string());
}

// Encodes as PNG (lossless).
inline std::vector<std::uint8_t> encode_png(const Image& img) {
  detail::check_image(img, "distdiff::encode_png");
  std::vector<std::uint8_t> out;
  if (!stbi_write_png_to_func(&detail::append_bytes, &out, img.width, img.height, img.channels, img.pixels.data(),
                              img.width * img.channels))
    throw std::runtime_error("distdiff::encode_png: encoding a " + detail::describe(img) + " image failed");
  return out;
}

// Encodes as baseline JPEG; quality in [1, 100]. Alpha is dropped.
inline std::vector<std::uint8_t> encode_jpeg(const Image& img, int quality = 95) {
  detail::check_image(img, "distdiff::encode_jpeg");
  if (quality < 1 || quality > 100)
    throw std::invalid_argument("distdiff::encode_jpeg: quality must be in [1, 100], got " + std::to_string(quality));
  const Image* src = &img;
  Image rgb;
  if (img.channels == 4) {
    rgb = detail::convert_pixels(img.pixels.data(), img.width, img.height, 4, 3);
    src = &rgb;
  }
  std::vector<std::uint8_t> out;
  if (!stbi_write_jpg_to_func(&detail::append_bytes, &out, src->width, src->height, src->channels,
                              src->pixels.data(), quality))
    throw std::runtime_error("distdiff::encode_jpeg: encoding a " + detail::describe(img) + " image failed");
  return out;
}

// Writes a PNG atomically (temporary file + rename), creating parent folders.
inline void write_png(const std::filesystem::path& path, const Image& img) {
  std::vector<std::uint8_t> bytes;
  try {
    bytes = encode_png(img);
  } catch (const std::exception& e) {
    throw std::invalid_argument("distdiff::write_png: '" + path.string() + "': " + e.what());
  }
  detail::write_file_atomic(path, {reinterpret_cast<const char*>(bytes.data()), bytes.size()}, "distdiff::write_png");
}

// Writes a JPEG atomically (temporary file + rename), creating parent folders.
inline void write_jpeg(const std::filesystem::path& path, const Image& img, int quality = 95) {
  std::vector<std::uint8_t> bytes;
  try {
    bytes = encode_jpeg(img, quality);
  } catch (const std::exception& e) {
    throw std::invalid_argument("distdiff::write_jpeg: '" + path.string() + "': " + e.what());
  }
  detail::write_file_atomic(path, {reinterpret_cast<const char*>(bytes.data()), bytes.size()}, "distdiff::write_jpeg");
}

// Writes PNG or JPEG according to the extension (.png, .jpg, .jpeg).
inline void write_image(const std::filesystem::path& path, const Image& img) {
  const std::string ext = detail::lowercase_extension(path);
  if (ext == ".png") return write_png(path, img);
  if (ext == ".jpg" || ext == ".jpeg") return write_jpeg(path, img);
  throw std::invalid_argument("distdiff::write_image: '" + path.string() +
                              "': unsupported extension (use .png, .jpg or .jpeg)");
}

// Returns the image with `channels` channels (1, 3 or 4); see detail::convert_pixels.
inline Image convert_channels(const Image& img, int channels) {
  detail::check_image(img, "distdiff::convert_channels");
  if (channels != 1 && channels != 3 && channels != 4)
    throw std::invalid_argument("distdiff::convert_channels: channels must be 1, 3 or 4, got " +
                                std::to_string(channels));
  if (channels == img.channels) return img;
  return detail::convert_pixels(img.pixels.data(), img.width, img.height, img.channels, channels);
}

// Bicubic (Catmull-Rom) resize to w x h, edges clamped, on raw 8-bit values.
inline Image resize(const Image& img, int w, int h) {
  detail::check_image(img, "distdiff::resize");
  if (w <= 0 || h <= 0)
    throw std::invalid_argument("distdiff::resize: target size must be positive, got " + std::to_string(w) + "x" +
                                std::to_string(h));
  if (w == img.width && h == img.height) return img;
  Image out(w, h, img.channels);
  const int alpha = img.channels == 4 ? 3 : STBIR_ALPHA_CHANNEL_NONE;
  if (!stbir_resize_uint8_generic(img.pixels.data(), img.width, img.height, img.width * img.channels,
                                  out.pixels.data(), w, h, w * img.channels, img.channels, alpha, 0,
                                  STBIR_EDGE_CLAMP, STBIR_FILTER_CATMULLROM, STBIR_COLORSPACE_LINEAR, nullptr))
    throw std::runtime_error("distdiff::resize: resizing " + detail::describe(img) + " to " + std::to_string(w) +
                             "x" + std::to_string(h) + " failed");
  return out;
}

// Resizes so the shorter side equals `size`, keeping the aspect ratio (the
// longer side is truncated like torchvision's Resize(int)).
inline Image resize_shorter_side(const Image& img, int size) {
  detail::check_image(img, "distdiff::resize_shorter_side");
  if (size <= 0) throw std::invalid_argument("distdiff::resize_shorter_side: size must be positive");
  if (img.width <= img.height)
    return resize(img, size, std::max(1, int(std::int64_t(size) * img.height / img.width)));
  return resize(img, std::max(1, int(std::int64_t(size) * img.width / img.height)), size);
}

// The w x h window at the centre (offsets rounded half-to-even, as torchvision's CenterCrop).
inline Image center_crop(const Image& img, int w, int h) {
  detail::check_image(img, "distdiff::center_crop");
  if (w <= 0 || h <= 0 || w > img.width || h > img.height)
    throw std::invalid_argument("distdiff::center_crop: cannot crop " + std::to_string(w) + "x" + std::to_string(h) +
                                " from a " + detail::describe(img) + " image");
  const int x0 = static_cast<int>(std::nearbyint((img.width - w) / 2.0));
  const int y0 = static_cast<int>(std::nearbyint((img.height - h) / 2.0));
  Image out(w, h, img.channels);
  const std::size_t row = std::size_t(w) * img.channels;
  for (int y = 0; y < h; ++y)
    std::copy_n(img.pixels.data() + (std::size_t(y0 + y) * img.width + x0) * img.channels, row,
                out.pixels.data() + std::size_t(y) * row);
  return out;
}

// Square centre crop of side `size`.
inline Image center_crop(const Image& img, int size) { return center_crop(img, size, size); }

}  // namespace distdiff
