#pragma once
// distdiff::Image — an 8-bit image in memory, independent of LibTorch.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace distdiff {

struct Image {
  int width = 0;
  int height = 0;
  int channels = 3;                   // 1 (grey), 3 (RGB) or 4 (RGBA)
  std::vector<std::uint8_t> pixels;   // row-major, interleaved (H, W, C)

  Image() = default;
  Image(int w, int h, int c) : width(w), height(h), channels(c), pixels(std::size_t(w) * h * c) {
    if (w <= 0 || h <= 0 || (c != 1 && c != 3 && c != 4))
      throw std::invalid_argument("distdiff::Image: bad size " + std::to_string(w) + "x" +
                                  std::to_string(h) + "x" + std::to_string(c));
  }
  bool empty() const { return pixels.empty(); }
  std::uint8_t& at(int x, int y, int c) { return pixels[(std::size_t(y) * width + x) * channels + c]; }
  std::uint8_t at(int x, int y, int c) const {
    return pixels[(std::size_t(y) * width + x) * channels + c];
  }
};

}  // namespace distdiff
