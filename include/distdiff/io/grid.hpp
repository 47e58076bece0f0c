#pragma once
// A contact sheet of images (like torchvision.utils.make_grid).
//
//     distdiff::write_grid("samples.png", images, /*columns=*/5);
//
// Geometry: every cell is as large as the largest image (images are placed at
// the cell's top-left corner); rows = ceil(n / columns); the sheet is
// columns*(cell_w+padding)+padding wide and rows*(cell_h+padding)+padding high,
// padding filled with `pad_value`. The result is RGB (grey is replicated,
// alpha dropped).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "distdiff/core/image.hpp"
#include "distdiff/io/image_io.hpp"

namespace distdiff {

inline Image make_grid(const std::vector<Image>& images, int columns, int padding = 2, std::uint8_t pad_value = 0) {
  if (images.empty()) throw std::invalid_argument("distdiff::make_grid: no images");
  if (columns <= 0) throw std::invalid_argument("distdiff::make_grid: columns must be positive, got " + std::to_string(columns));
  if (padding < 0) throw std::invalid_argument("distdiff::make_grid: padding must be >= 0, got " + std::to_string(padding));
  int cell_w = 0, cell_h = 0;
  for (std::size_t i = 0; i < images.size(); ++i) {
    detail::check_image(images[i], "distdiff::make_grid (image " + std::to_string(i) + ")");
    cell_w = std::max(cell_w, images[i].width);
    cell_h = std::max(cell_h, images[i].height);
  }
  const int n = static_cast<int>(images.size());
  const int cols = std::min(columns, n);
  const int rows = (n + cols - 1) / cols;
  Image sheet(cols * (cell_w + padding) + padding, rows * (cell_h + padding) + padding, 3);
  std::fill(sheet.pixels.begin(), sheet.pixels.end(), pad_value);
  for (int i = 0; i < n; ++i) {
    const Image rgb = images[i].channels == 3 ? images[i] : convert_channels(images[i], 3);
    const int x0 = padding + (i % cols) * (cell_w + padding);
    const int y0 = padding + (i / cols) * (cell_h + padding);
    for (int y = 0; y < rgb.height; ++y)
      std::copy_n(rgb.pixels.data() + std::size_t(y) * rgb.width * 3, std::size_t(rgb.width) * 3,
                  sheet.pixels.data() + (std::size_t(y0 + y) * sheet.width + x0) * 3);
  }
  return sheet;
}

// make_grid, then written atomically as PNG or JPEG according to the extension.
inline void write_grid(const std::filesystem::path& path, const std::vector<Image>& images, int columns,
                       int padding = 2, std::uint8_t pad_value = 0) {
  write_image(path, make_grid(images, columns, padding, pad_value));
}

}  // namespace distdiff
