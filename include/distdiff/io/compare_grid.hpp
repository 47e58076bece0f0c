#pragma once
// A side-by-side grid of expansion runs that share their seed images (the
// `compare_grid` tool, experiments/compare_grid.cpp): one row per chosen seed
// image, the seed image first, then each run's first `per_seed` expansions of
// it (by sample index).
//
//     std::vector<distdiff::CompareRun> runs{distdiff::CompareRun::read("out/distdiff"),
//                                            distdiff::CompareRun::read("out/plain")};
//     auto rows = distdiff::plan_compare_rows(runs, {.per_class = 1, .per_seed = 2});
//     distdiff::SeedImageFinder seeds(train_set);       // or SeedImageFinder{}: seed sources that are files
//     auto grid = distdiff::render_compare_grid(rows, runs.size(), 2,
//                                               [&](const distdiff::CompareRow& r) { return *seeds.find(r.seed.seed_source); });
//     distdiff::write_png("compare.png", grid.sheet);
//
// Seed images are matched across runs by the manifest's seed_source (the
// dataset's source of the seed, e.g. "<train-images file>#<record>"), or by
// seed_index where a manifest has no seed_source. Rows follow class (label)
// order and, within a class, the first run's seed_index order.
//
// Cells: every image is converted to RGB and brought to the size of the first
// expansion of the first row (bicubic, only where it differs), then enlarged
// `upscale` times by nearest neighbour (0: the smallest factor that makes a
// cell at least 64 px); a run with fewer than per_seed expansions of a seed
// gets grey cells there, listed in CompareGridImage::missing. Cells are
// 2 px apart on white (make_grid's padding), which keeps dark images apart.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "distdiff/concepts/dataset.hpp"
#include "distdiff/core/image.hpp"
#include "distdiff/io/grid.hpp"
#include "distdiff/io/image_io.hpp"
#include "distdiff/io/run_folder.hpp"

namespace distdiff {

struct CompareGridOptions {
  std::vector<std::string> classes;  // rows from these classes only (empty: every class); rows stay in label order
  std::int64_t per_class = 1;        // seed images (rows) per class
  std::int64_t per_seed = 2;         // expansions shown per run and seed image
};

// One run folder, read back.
struct CompareRun {
  std::filesystem::path folder;
  std::vector<GeneratedEntry> entries;  // read_run_manifest

  static CompareRun read(const std::filesystem::path& folder) { return {folder, read_run_manifest(folder)}; }
};

struct CompareRow {
  std::string class_name;
  std::int64_t label = 0;
  std::string seed_key;                                  // seed_source, or "seed_index <i>"
  GeneratedEntry seed;                                   // the first run's first image of this seed
  std::vector<std::vector<GeneratedEntry>> expansions;   // [run][k]: up to per_seed images, by sample
};

// How seed images are matched across runs: seed_source, or "seed_index <i>"
// when the manifest has none, or "" when it has neither.
inline std::string seed_key(const ManifestEntry& e) {
  if (!e.seed_source.empty()) return e.seed_source;
  if (e.seed_index >= 0) return "seed_index " + std::to_string(e.seed_index);
  return {};
}

// The rows of the grid (see the header comment). Errors name the run folders:
// no seed image common to all runs, a class name no run has, a requested
// class without a common seed image, a seed with different classes in two runs.
inline std::vector<CompareRow> plan_compare_rows(const std::vector<CompareRun>& runs, const CompareGridOptions& o) {
  if (runs.empty()) throw std::invalid_argument("compare_grid: no runs given");
  if (o.per_class < 1) throw std::invalid_argument("compare_grid: per_class must be >= 1");
  if (o.per_seed < 1) throw std::invalid_argument("compare_grid: per_seed must be >= 1");
  // Per run: seed key -> its images, by sample.
  std::vector<std::map<std::string, std::vector<const GeneratedEntry*>>> by_seed(runs.size());
  for (std::size_t r = 0; r < runs.size(); ++r) {
    for (const auto& e : runs[r].entries) {
      const auto key = seed_key(e);
      if (key.empty())
        throw std::runtime_error(runs[r].folder.string() + ": manifest line " + std::to_string(e.line) + " ('" +
                                 e.file + "') records neither seed_source nor seed_index");
      by_seed[r][key].push_back(&e);
    }
    for (auto& [key, list] : by_seed[r])
      std::stable_sort(list.begin(), list.end(),
                       [](const GeneratedEntry* a, const GeneratedEntry* b) { return a->sample < b->sample; });
  }
  std::vector<CompareRow> common;
  std::map<std::string, std::int64_t> class_labels;  // every class of every run
  for (const auto& seeds : by_seed)
    for (const auto& [key, list] : seeds) class_labels.emplace(list.front()->class_name, list.front()->label);
  for (const auto& [key, list] : by_seed[0]) {
    CompareRow row;
    row.seed_key = key;
    row.seed = *list.front();
    row.class_name = row.seed.class_name;
    row.label = row.seed.label;
    bool everywhere = true;
    for (std::size_t r = 0; r < runs.size() && everywhere; ++r) {
      const auto it = by_seed[r].find(key);
      if (it == by_seed[r].end()) {
        everywhere = false;
        break;
      }
      if (it->second.front()->class_name != row.class_name)
        throw std::runtime_error("compare_grid: seed image '" + key + "' is class '" + row.class_name + "' in " +
                                 runs[0].folder.string() + " but '" + it->second.front()->class_name + "' in " +
                                 runs[r].folder.string());
      auto& cells = row.expansions.emplace_back();
      for (std::size_t k = 0; k < it->second.size() && std::int64_t(k) < o.per_seed; ++k)
        cells.push_back(*it->second[k]);
    }
    if (everywhere) common.push_back(std::move(row));
  }
  if (common.empty()) {
    std::string counts;
    for (std::size_t r = 0; r < runs.size(); ++r)
      counts += (r ? ", " : "") + runs[r].folder.string() + " (" + std::to_string(by_seed[r].size()) + " seed images)";
    throw std::runtime_error("compare_grid: no seed image is common to all runs: " + counts +
                             "; compare runs of the same seed images (same dataset, pool, shots)");
  }
  std::stable_sort(common.begin(), common.end(), [](const CompareRow& a, const CompareRow& b) {
    return std::pair(a.label, a.seed.seed_index) < std::pair(b.label, b.seed.seed_index);
  });
  std::set<std::string> wanted(o.classes.begin(), o.classes.end());
  for (const auto& c : wanted) {
    if (!class_labels.count(c)) {
      std::string known;
      for (const auto& [name, label] : class_labels) known += (known.empty() ? "'" : ", '") + name + "'";
      throw std::invalid_argument("compare_grid: no run has class '" + c + "' (classes: " + known + ")");
    }
    if (std::none_of(common.begin(), common.end(), [&](const CompareRow& r) { return r.class_name == c; }))
      throw std::runtime_error("compare_grid: class '" + c + "' has no seed image common to all runs");
  }
  std::vector<CompareRow> rows;
  std::map<std::string, std::int64_t> taken;
  for (auto& row : common)
    if ((wanted.empty() || wanted.count(row.class_name)) && taken[row.class_name]++ < o.per_class)
      rows.push_back(std::move(row));
  return rows;
}

// `img` enlarged `factor` times by nearest neighbour.
inline Image upscale_nearest(const Image& img, int factor) {
  detail::check_image(img, "distdiff::upscale_nearest");
  if (factor < 1) throw std::invalid_argument("distdiff::upscale_nearest: factor must be >= 1");
  if (factor == 1) return img;
  Image out(img.width * factor, img.height * factor, img.channels);
  const std::size_t c = std::size_t(img.channels);
  for (int y = 0; y < out.height; ++y)
    for (int x = 0; x < out.width; ++x)
      std::copy_n(img.pixels.data() + (std::size_t(y / factor) * img.width + std::size_t(x / factor)) * c, c,
                  out.pixels.data() + (std::size_t(y) * out.width + std::size_t(x)) * c);
  return out;
}

// The smallest factor that makes a w × h cell at least min_px on its shorter side.
inline int default_upscale(int w, int h, int min_px = 64) {
  const int side = std::max(1, std::min(w, h));
  return std::max(1, (min_px + side - 1) / side);
}

struct CompareGridImage {
  Image sheet;
  int columns = 0;
  int cell_width = 0, cell_height = 0;   // before upscaling
  int upscale = 1;
  bool seed_column = true;
  std::vector<std::string> missing;      // "row R, run K: only N of M expansions"
};

// The grid of `rows` (from plan_compare_rows over `runs` runs). seed_image(row)
// gives a row's seed image; an empty function leaves the seed column out.
inline CompareGridImage render_compare_grid(const std::vector<CompareRow>& rows, std::size_t runs,
                                            std::int64_t per_seed,
                                            const std::function<Image(const CompareRow&)>& seed_image,
                                            int upscale = 0, int padding = 2, std::uint8_t pad_value = 255) {
  if (rows.empty()) throw std::invalid_argument("render_compare_grid: no rows");
  if (runs == 0 || per_seed < 1) throw std::invalid_argument("render_compare_grid: no runs or per_seed < 1");
  if (upscale < 0) throw std::invalid_argument("render_compare_grid: upscale must be >= 0 (0: automatic)");
  CompareGridImage g;
  g.seed_column = bool(seed_image);
  const Image first = read_image(rows.front().expansions.at(0).at(0).path);
  g.cell_width = first.width;
  g.cell_height = first.height;
  g.upscale = upscale ? upscale : default_upscale(g.cell_width, g.cell_height);
  auto cell = [&](Image img) {
    if (img.channels != 3) img = convert_channels(img, 3);
    if (img.width != g.cell_width || img.height != g.cell_height) img = resize(img, g.cell_width, g.cell_height);
    return upscale_nearest(img, g.upscale);
  };
  Image blank(g.cell_width, g.cell_height, 3);
  std::fill(blank.pixels.begin(), blank.pixels.end(), std::uint8_t{128});
  g.columns = int(g.seed_column) + int(runs * std::size_t(per_seed));
  std::vector<Image> cells;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (g.seed_column) cells.push_back(cell(seed_image(rows[r])));
    for (std::size_t k = 0; k < runs; ++k) {
      const auto& images = rows[r].expansions.at(k);
      for (std::int64_t i = 0; i < per_seed; ++i)
        cells.push_back(cell(std::size_t(i) < images.size() ? read_image(images[std::size_t(i)].path) : blank));
      if (std::int64_t(images.size()) < per_seed)
        g.missing.push_back("row " + std::to_string(r + 1) + ", run " + std::to_string(k + 1) + ": only " +
                            std::to_string(images.size()) + " of " + std::to_string(per_seed) +
                            " expansions (grey cells)");
    }
  }
  g.sheet = make_grid(cells, g.columns, padding, pad_value);
  return g;
}

// The sidecar text: what each column and row of the grid shows.
inline std::string describe_compare_grid(const std::vector<CompareRun>& runs, const std::vector<std::string>& labels,
                                         const std::vector<CompareRow>& rows, std::int64_t per_seed,
                                         const CompareGridImage& g) {
  std::ostringstream o;
  o << "compare_grid: " << rows.size() << " rows x " << g.columns << " columns; cells " << g.cell_width << "x"
    << g.cell_height << " px shown x" << g.upscale << " (nearest neighbour)\n\ncolumns:\n";
  int col = 1;
  if (g.seed_column) o << "  " << col++ << ": seed image\n";
  for (std::size_t k = 0; k < runs.size(); ++k)
    for (std::int64_t i = 0; i < per_seed; ++i) {
      o << "  " << col++ << ": " << runs[k].folder.string();
      if (k < labels.size() && !labels[k].empty()) o << " [" << labels[k] << "]";
      o << ", expansion " << i + 1 << "\n";
    }
  o << "\nrows:\n";
  for (std::size_t r = 0; r < rows.size(); ++r) {
    o << "  " << r + 1 << ": class '" << rows[r].class_name << "' (label " << rows[r].label << "), seed_index "
      << rows[r].seed.seed_index << ", seed " << rows[r].seed_key << "; samples";
    for (std::size_t k = 0; k < rows[r].expansions.size(); ++k) {
      o << (k ? " |" : "");
      for (const auto& e : rows[r].expansions[k]) o << " " << e.sample;
    }
    o << "\n";
  }
  if (!g.missing.empty()) {
    o << "\nmissing:\n";
    for (const auto& m : g.missing) o << "  " << m << "\n";
  }
  return o.str();
}

// Seed images from a manifest's seed_source: a source that is an image file
// is read directly; any other (a dataset's "<file>#<record>", "memory:<i>")
// is looked up among the sources of the dataset given. File paths are
// compared resolved (weakly_canonical), so another spelling of the same root
// matches.
class SeedImageFinder {
 public:
  SeedImageFinder() = default;

  template <LabelledDataset D>
  explicit SeedImageFinder(const D& dataset) : load_([dataset](std::size_t i) { return dataset.load(i); }) {
    for (std::size_t i = 0; i < dataset.size(); ++i) index_.emplace(normalized(dataset.source(i)), i);
  }

  bool has_dataset() const { return bool(load_); }

  // nullopt when `source` is neither an image file nor a source of the dataset.
  std::optional<Image> find(const std::string& source) const {
    std::error_code ec;
    if (!source.empty() && std::filesystem::is_regular_file(source, ec)) return read_image(source);
    if (!load_) return std::nullopt;
    const auto it = index_.find(normalized(source));
    if (it == index_.end()) return std::nullopt;
    return load_(it->second);
  }

 private:
  std::function<Image(std::size_t)> load_;
  std::map<std::string, std::size_t> index_;
  mutable std::map<std::string, std::string> resolved_;  // path -> weakly_canonical(path)

  std::string resolve(const std::string& path) const {
    auto it = resolved_.find(path);
    if (it == resolved_.end()) {
      std::error_code ec;
      auto canon = std::filesystem::weakly_canonical(path, ec);
      it = resolved_.emplace(path, ec ? path : canon.string()).first;
    }
    return it->second;
  }
  std::string normalized(const std::string& source) const {
    std::error_code ec;
    if (source.empty()) return source;
    if (std::filesystem::exists(source, ec)) return resolve(source);
    const auto hash = source.rfind('#');
    if (hash != std::string::npos && hash > 0 && std::filesystem::exists(source.substr(0, hash), ec))
      return resolve(source.substr(0, hash)) + source.substr(hash);
    return source;
  }
};

}  // namespace distdiff
