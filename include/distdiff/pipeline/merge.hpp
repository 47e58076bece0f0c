#pragma once
// merge_run — one run folder's manifests made into the run's outputs:
// manifest.jsonl (every image once, in (seed image, sample) order),
// manifest.csv, grid.png and run.json's "summary". It is what a one-process
// run does when it finishes, what the last shard of a split run does when it
// finishes, and what `<tool> merge` does by hand.
//
// It checks, before writing anything:
//   - every shard ran with the run's settings (shards/run.<i>-of-<n>.json
//     against run.json), naming the first setting that differs;
//   - every image of the run is recorded once and on disk: an image recorded
//     by two shards, or twice by one, is an error naming both files; missing
//     ones are reported by shard (the shard that owns their batch) and batch.
// It runs under the folder's lock (the caller holds it: detail::FileLock on
// RunPaths::lock()), where every temporary file is a dead writer's: it
// removes them. Torch-free.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "distdiff/concepts/dataset.hpp"
#include "distdiff/core/image.hpp"
#include "distdiff/detail/atomic_write.hpp"
#include "distdiff/io/grid.hpp"
#include "distdiff/io/image_io.hpp"
#include "distdiff/io/manifest.hpp"
#include "distdiff/pipeline/ledger.hpp"

namespace distdiff {

struct MergeReport {
  bool complete = false;           // every image recorded once and on disk: the outputs were written
  std::int64_t images_total = 0;   // seed images × expansion factor
  std::int64_t images_present = 0;
  std::int64_t images_nonfinite = 0;
  std::int64_t shards = 1;         // shards that wrote manifests (1: one process)
  std::string missing;             // by shard and batch, when not complete
};

namespace detail {

// " (/path: old there, new now)" for the first difference of two settings objects.
inline std::string first_difference(const nlohmann::json& there, const nlohmann::json& now) {
  const auto patch = nlohmann::json::diff(there, now);
  if (patch.empty()) return {};
  const auto path = patch.front().value("path", std::string());
  const nlohmann::json::json_pointer ptr(path);
  return " (" + path + ": " + (there.contains(ptr) ? there.at(ptr).dump() : std::string("absent")) + " there, " +
         (now.contains(ptr) ? now.at(ptr).dump() : std::string("absent")) + " now)";
}

inline nlohmann::json read_json_file(const std::filesystem::path& path, const std::string& who) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(who + ": cannot open '" + path.string() + "'");
  try {
    return nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    throw std::runtime_error(who + ": cannot read '" + path.string() + "': " + e.what());
  }
}

inline std::string safe_folder_name(std::string s) {
  for (auto& c : s)
    if (c == '/' || c == '\\' || c == ':' || c == '\0') c = '_';
  if (s.empty() || s == "." || s == "..") s = "_" + s;
  return s;
}

template <class Data>
Image load_square(const Data& data, std::size_t i, std::int64_t size) {
  Image img = data.load(i);
  if (img.channels != 3) img = convert_channels(img, 3);
  if (img.width != size || img.height != size) img = resize(img, int(size), int(size));
  return img;
}

// <out>/grid.png: each of the first `rows` seed images and its expansions, one row each.
template <class Data>
void write_run_grid(const std::filesystem::path& out, const Data& data, std::int64_t image_size,
                    std::int64_t expansion_factor, std::int64_t rows) {
  const int thumb = int(std::min<std::int64_t>(image_size, 128));
  std::vector<Image> cells;
  for (std::int64_t s = 0; s < rows; ++s) {
    cells.push_back(resize(load_square(data, std::size_t(s), image_size), thumb, thumb));
    for (std::int64_t i = 0; i < expansion_factor; ++i) {
      const auto f = out / safe_folder_name(data.class_names().at(std::size_t(data.label(std::size_t(s))))) /
                     (std::to_string(s) + "_" + std::to_string(i) + ".png");
      cells.push_back(resize(read_image(f), thumb, thumb));
    }
  }
  write_grid(out / "grid.png", cells, int(expansion_factor + 1));
}

// "n" of "manifest.<i>-of-<n>.jsonl" / "run.<i>-of-<n>.json"; 0 when the name has none.
inline std::int64_t shard_count_of(const std::string& name) {
  const auto of = name.find("-of-");
  if (of == std::string::npos) return 0;
  std::int64_t n = 0;
  for (std::size_t k = of + 4; k < name.size() && std::isdigit(static_cast<unsigned char>(name[k])); ++k)
    n = n * 10 + (name[k] - '0');
  return n;
}

}  // namespace detail

// `data` is the run's seed dataset (for grid.png's first column; checked
// against run.json's dataset and classes); grid_rows: rows of grid.png (0:
// none). With require_complete, missing images are an error; without, the
// report says what is missing and nothing is written.
template <class Data>
MergeReport merge_run(const std::filesystem::path& out, const Data& data, std::int64_t grid_rows,
                      bool require_complete = true) {
  static_assert(LabelledDataset<Data>, "merge_run: the data must model distdiff::LabelledDataset");
  namespace fs = std::filesystem;
  const std::string who = "merge";
  const RunPaths paths{out};
  if (!fs::exists(paths.run_json()))
    throw std::runtime_error(who + ": '" + out.string() + "' holds no run (no run.json)");
  auto run = detail::read_json_file(paths.run_json(), who);
  const auto settings = run.value("settings", nlohmann::json::object());
  std::int64_t seeds = 0, factor = 0, batch_size = 0, image_size = 0;
  try {
    seeds = settings.at("seed_images").get<std::int64_t>();
    factor = settings.at("expansion_factor").get<std::int64_t>();
    batch_size = settings.at("batch_size").get<std::int64_t>();
    image_size = settings.at("image_size").get<std::int64_t>();
  } catch (const std::exception& e) {
    throw std::runtime_error(who + ": '" + paths.run_json().string() + "' lacks a setting: " + e.what());
  }
  if (settings.value("dataset", std::string()) != data.name() ||
      settings.value("classes", std::vector<std::string>()) != data.class_names())
    throw std::runtime_error(who + ": '" + out.string() + "' was made from the dataset '" +
                             settings.value("dataset", std::string()) + "', not '" + data.name() +
                             "': give the run's dataset options");
  if (std::int64_t(data.size()) < seeds)
    throw std::runtime_error(who + ": the dataset '" + data.name() + "' has " + std::to_string(data.size()) +
                             " images, the run expanded " + std::to_string(seeds));

  // 1. every shard ran with the run's settings
  std::int64_t shard_count = 0;
  bool counts_agree = true;
  nlohmann::json shard_runs = nlohmann::json::array();
  std::error_code ec;
  std::vector<fs::path> shard_files;
  for (fs::directory_iterator it(paths.shards(), ec), end; !ec && it != end; it.increment(ec))
    if (const auto name = it->path().filename().string(); name.rfind("run.", 0) == 0 && it->path().extension() == ".json")
      shard_files.push_back(it->path());
  std::sort(shard_files.begin(), shard_files.end());
  for (const auto& f : shard_files) {
    const auto part = detail::read_json_file(f, who);
    const auto theirs = part.value("settings", nlohmann::json());
    if (theirs != settings)
      throw std::runtime_error(who + ": the shard of '" + f.string() + "' ran with other settings than run.json" +
                               detail::first_difference(settings, theirs) + "; rerun that shard with the run's settings");
    nlohmann::json brief = part;
    brief.erase("settings");
    shard_runs.push_back(brief);
  }

  // 2. every image once
  struct Seen {
    ManifestEntry entry;
    fs::path source;
  };
  std::map<UnitLedger::Unit, Seen> units;
  std::map<UnitLedger::Unit, fs::path> in_shards;  // a unit's shard manifest
  std::vector<std::string> duplicates;
  auto duplicate = [&](const UnitLedger::Unit& u, const fs::path& a, const fs::path& b) {
    if (duplicates.size() < 10)
      duplicates.push_back("seed image " + std::to_string(u.first) + " sample " + std::to_string(u.second) + " in '" +
                           a.string() + "' and '" + b.string() + "'");
    else if (duplicates.size() == 10)
      duplicates.push_back("…");
  };
  for (const auto& source : paths.manifests()) {
    const bool shard_part = source != paths.manifest();
    if (shard_part) {
      const auto n = detail::shard_count_of(source.filename().string());
      if (shard_count && n != shard_count) counts_agree = false;
      shard_count = std::max(shard_count, n);
    }
    for (auto& e : read_manifest(source)) {
      const UnitLedger::Unit u{e.seed_index, e.sample};
      if (e.seed_index < 0 || e.seed_index >= seeds || e.sample < 0 || e.sample >= factor)
        throw std::runtime_error(who + ": '" + source.string() + "' records seed image " + std::to_string(e.seed_index) +
                                 " sample " + std::to_string(e.sample) + ", outside this run (" + std::to_string(seeds) +
                                 " seed images × " + std::to_string(factor) + ")");
      if (shard_part) {
        const auto [at, fresh] = in_shards.emplace(u, source);
        if (!fresh) {
          duplicate(u, at->second, source);
          continue;
        }
      }
      const auto it = units.find(u);
      if (it == units.end()) {
        units.emplace(u, Seen{std::move(e), source});
        continue;
      }
      // A merged manifest.jsonl repeats the shards' lines: the same line is the same record.
      if (shard_part && it->second.source == paths.manifest() && it->second.entry.to_json() == e.to_json()) continue;
      duplicate(u, it->second.source, source);
    }
  }
  if (!duplicates.empty()) {
    std::string all;
    for (const auto& d : duplicates) all += "\n  " + d;
    throw std::runtime_error(who + ": '" + out.string() + "' records images more than once:" + all);
  }

  MergeReport report;
  report.images_total = seeds * factor;
  report.shards = std::max<std::int64_t>(1, shard_count);
  std::map<std::int64_t, std::vector<std::int64_t>> missing_batches;  // shard → batches
  for (std::int64_t k = 0; k < report.images_total; ++k) {
    const UnitLedger::Unit u{k / factor, k % factor};
    const auto it = units.find(u);
    if (it != units.end() && fs::exists(out / it->second.entry.file, ec)) {
      ++report.images_present;
      continue;
    }
    const auto batch = k / batch_size;
    const auto shard = counts_agree ? batch % report.shards : 0;
    auto& b = missing_batches[shard];
    if (b.empty() || b.back() != batch) b.push_back(batch);
  }
  report.complete = report.images_present == report.images_total;
  if (!report.complete) {
    report.missing = std::to_string(report.images_total - report.images_present) + " of " +
                     std::to_string(report.images_total) + " images missing:";
    for (const auto& [shard, batches] : missing_batches) {
      report.missing += "\n  ";
      if (report.shards > 1 && counts_agree)
        report.missing += "shard " + std::to_string(shard) + "/" + std::to_string(report.shards) + ": ";
      report.missing += std::to_string(batches.size()) + " batch(es):";
      for (std::size_t i = 0; i < batches.size() && i < 20; ++i) report.missing += " " + std::to_string(batches[i]);
      if (batches.size() > 20) report.missing += " …";
    }
    if (require_complete)
      throw std::runtime_error(who + ": '" + out.string() + "' is not complete: " + report.missing +
                               "\n  rerun the shard(s) with the run's command line, then merge again");
    return report;
  }

  // 3. the outputs
  std::vector<ManifestEntry> entries;
  entries.reserve(units.size());
  std::string jsonl;
  for (auto& [u, seen] : units) {
    jsonl += seen.entry.to_json().dump() + "\n";
    report.images_nonfinite += !seen.entry.nonfinite.empty();
    entries.push_back(std::move(seen.entry));
  }
  detail::remove_stale_temporaries(out);
  detail::remove_stale_temporaries(paths.shards(), false);
  detail::write_file_atomic(paths.manifest(), jsonl, who);
  write_manifest_csv(out / "manifest.csv", entries);
  if (grid_rows > 0) detail::write_run_grid(out, data, image_size, factor, std::min(grid_rows, seeds));
  run["summary"] = {{"images", entries.size()}, {"images_nonfinite_guidance", report.images_nonfinite}};
  if (!shard_runs.empty()) run["shards"] = shard_runs;
  detail::write_file_atomic(paths.run_json(), run.dump(2), who);
  return report;
}

}  // namespace distdiff
