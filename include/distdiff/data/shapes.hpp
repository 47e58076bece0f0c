#pragma once
// make_shapes_dataset — a small procedural labelled image set that needs no
// download: coloured circles, squares, triangles and stripes on random
// backgrounds (random position, size, colour; seeded). The quickstart expands it.
#include <cmath>
#include <cstdint>
#include <random>
#include <string>

#include "distdiff/data/in_memory.hpp"

namespace distdiff {

inline InMemoryDataset make_shapes_dataset(std::int64_t per_class = 6, int size = 64, std::uint64_t seed = 0) {
  if (per_class < 1) throw std::invalid_argument("make_shapes_dataset: per_class must be >= 1");
  if (size < 8) throw std::invalid_argument("make_shapes_dataset: size must be >= 8");
  InMemoryDataset d;
  d.dataset_name = "shapes";
  d.classes = {"circle", "square", "triangle", "stripes"};
  d.prompt_template = "a photo of a {}.";
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (std::int64_t c = 0; c < 4; ++c) {
    for (std::int64_t n = 0; n < per_class; ++n) {
      Image img(size, size, 3);
      const double bg[3] = {u(rng) * 0.5, u(rng) * 0.5, u(rng) * 0.5};
      const double fg[3] = {0.5 + 0.5 * u(rng), 0.5 + 0.5 * u(rng), 0.5 + 0.5 * u(rng)};
      const double cx = size * (0.35 + 0.3 * u(rng)), cy = size * (0.35 + 0.3 * u(rng));
      const double r = size * (0.15 + 0.15 * u(rng));
      const double period = size * (0.1 + 0.1 * u(rng)), angle = u(rng) * 3.14159;
      for (int y = 0; y < size; ++y)
        for (int x = 0; x < size; ++x) {
          const double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
          bool in = false;
          switch (c) {
            case 0: in = dx * dx + dy * dy <= r * r; break;
            case 1: in = std::abs(dx) <= r && std::abs(dy) <= r; break;
            case 2: in = dy <= r && dy >= -r && std::abs(dx) <= (dy + r) / 2; break;
            default: in = std::fmod(std::abs(x * std::cos(angle) + y * std::sin(angle)), period) < period / 2;
          }
          for (int k = 0; k < 3; ++k) img.at(x, y, k) = std::uint8_t(255.0 * (in ? fg[k] : bg[k]));
        }
      d.add(std::move(img), c, "shapes/" + d.classes[std::size_t(c)] + "/" + std::to_string(n));
    }
  }
  return d;
}

}  // namespace distdiff
