#pragma once
// A fake expansion run folder for tests of the tools that read runs back
// (io/run_folder.hpp, io/compare_grid.hpp): PNGs and manifest lines written
// through the library's own writers, laid out as expand() lays them out.
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>

#include <distdiff/core/image.hpp>
#include <distdiff/io/image_io.hpp>
#include <distdiff/io/manifest.hpp>

namespace distdiff::test {

// A w x h RGB image of uniform random bytes.
inline Image noise_image(std::mt19937& rng, int w, int h) {
  Image img(w, h, 3);
  std::uniform_int_distribution<int> d(0, 255);
  for (auto& p : img.pixels) p = static_cast<std::uint8_t>(d(rng));
  return img;
}

// Writes <run>/<class>/<seed_index>_<sample>.png and appends its manifest line.
inline ManifestEntry add_generated(const std::filesystem::path& run, const std::string& class_name, std::int64_t label,
                                   std::int64_t seed_index, std::int64_t sample, const std::string& seed_source,
                                   const Image& image) {
  ManifestEntry e;
  e.class_name = class_name;
  e.label = label;
  e.seed_index = seed_index;
  e.sample = sample;
  e.seed_source = seed_source;
  e.file = class_name + "/" + std::to_string(seed_index) + "_" + std::to_string(sample) + ".png";
  write_png(run / e.file, image);
  append_manifest(run / "manifest.jsonl", {e});
  return e;
}

}  // namespace distdiff::test
