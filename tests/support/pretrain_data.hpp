#pragma once
// A tiny labelled image set for the pretraining tests: 4 classes of grey
// size x size images, a bright square in quadrant c (jittered in place and
// brightness), seeded.
#include <algorithm>
#include <cstdint>
#include <random>

#include "distdiff/core/image.hpp"
#include "distdiff/data/in_memory.hpp"

namespace distdiff::test {

inline InMemoryDataset quadrant_dataset(int per_class, int size = 32, std::uint64_t seed = 5) {
  InMemoryDataset ds;
  ds.dataset_name = "quadrants";
  ds.classes = {"apple", "boat", "cloud", "door"};
  std::mt19937_64 rng(seed);
  const int half = size / 2, side = size * 5 / 16, jitter = size / 8 + 1;
  for (int c = 0; c < 4; ++c)
    for (int k = 0; k < per_class; ++k) {
      Image img(size, size, 1);
      std::fill(img.pixels.begin(), img.pixels.end(), std::uint8_t(0));
      const int x0 = (c % 2) * half + int(rng() % std::uint64_t(jitter));
      const int y0 = (c / 2) * half + int(rng() % std::uint64_t(jitter));
      const auto v = std::uint8_t(150 + rng() % 100);
      for (int y = y0; y < std::min(size, y0 + side); ++y)
        for (int x = x0; x < std::min(size, x0 + side); ++x) img.at(x, y, 0) = v;
      ds.add(img, c);
    }
  return ds;
}

}  // namespace distdiff::test
