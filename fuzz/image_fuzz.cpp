// libFuzzer target for the image decoder (io/image_io.hpp decode_image, from
// memory: stb_image PNG/JPEG/BMP behind the pixel limit checked from the
// header). Torch-free.
//
// The first byte picks the requested channels (0, 1, 3 or 4); the rest is the
// file. Every input must decode or throw std::runtime_error; a decoded image
// must respect the pixel limit and hold exactly width·height·channels bytes.
//
// Build and run: fuzz/run.sh [seconds]
#include "distdiff/io/image_io.hpp"

#include <cstdint>
#include <cstdio>
#include <exception>
#include <span>
#include <stdexcept>

#include "fuzz_common.hpp"

namespace {
[[noreturn]] void bug(const char* what) { distdiff_fuzz::bug("image_fuzz", what); }
constexpr std::int64_t kLimit = 1 << 16;  // small (and fast), so a huge header is refused before allocation
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace distdiff;
  if (size < 1) return 0;
  static const bool once = (set_max_image_pixels(kLimit), true);
  (void)once;
  static constexpr int kChannels[4] = {0, 1, 3, 4};
  const int channels = kChannels[data[0] % 4];
  Image img;
  try {
    img = decode_image(std::span<const std::uint8_t>(data + 1, size - 1), channels, "fuzz-input");
  } catch (const std::runtime_error&) {
    return 0;  // rejected cleanly
  } catch (const std::exception& e) {
    std::fprintf(stderr, "unexpected exception: %s\n", e.what());
    bug("decode_image threw something other than std::runtime_error");
  }
  if (img.width <= 0 || img.height <= 0) bug("decoded an empty image");
  if (std::int64_t(img.width) * img.height > kLimit) bug("decoded an image above the pixel limit");
  if (channels != 0 && img.channels != channels) bug("wrong channel count");
  if (img.channels != 1 && img.channels != 3 && img.channels != 4) bug("channel count not 1, 3 or 4");
  if (img.pixels.size() != std::size_t(img.width) * std::size_t(img.height) * std::size_t(img.channels))
    bug("pixel buffer size does not match the image size");
  // A decoded image must encode and decode back to itself (PNG is lossless).
  try {
    const auto png = encode_png(img);
    const auto back = decode_image(png, img.channels, "fuzz-reencoded");
    if (back.pixels != img.pixels) bug("PNG round trip changed the pixels");
  } catch (const std::runtime_error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    bug("a decoded image could not be re-encoded");
  }
  return 0;
}
