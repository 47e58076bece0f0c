#pragma once
// The generator's manifest: one JSON object per generated image, appended to
// <out>/manifest.jsonl as soon as the image is on disk (so a killed run loses
// at most the batch in flight), plus a CSV copy written at the end.
//
// Fields: file, class, label, seed_index, sample, seed_source, prompt,
// random_seed, batch, composition, method, energy_before, energy_after,
// guided_timesteps.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "distdiff/detail/atomic_write.hpp"

namespace distdiff {

struct ManifestEntry {
  std::string file;            // relative to the output folder: <class>/<seed_index>_<sample>.png
  std::string class_name;
  std::int64_t label = 0;
  std::int64_t seed_index = 0;
  std::int64_t sample = 0;
  std::string seed_source;
  std::string prompt;
  std::uint64_t random_seed = 0;
  std::int64_t batch = 0;
  std::string composition;
  std::string method;
  std::optional<double> energy_before;
  std::optional<double> energy_after;
  std::vector<std::int64_t> guided_timesteps;

  nlohmann::json to_json() const {
    nlohmann::json j{{"file", file},       {"class", class_name},   {"label", label},
                     {"seed_index", seed_index}, {"sample", sample}, {"seed_source", seed_source},
                     {"prompt", prompt},   {"random_seed", random_seed}, {"batch", batch},
                     {"composition", composition}, {"method", method},
                     {"guided_timesteps", guided_timesteps}};
    j["energy_before"] = energy_before ? nlohmann::json(*energy_before) : nlohmann::json(nullptr);
    j["energy_after"] = energy_after ? nlohmann::json(*energy_after) : nlohmann::json(nullptr);
    return j;
  }
  static ManifestEntry from_json(const nlohmann::json& j) {
    ManifestEntry e;
    e.file = j.at("file").get<std::string>();
    e.class_name = j.at("class").get<std::string>();
    e.label = j.at("label").get<std::int64_t>();
    e.seed_index = j.at("seed_index").get<std::int64_t>();
    e.sample = j.at("sample").get<std::int64_t>();
    e.seed_source = j.value("seed_source", "");
    e.prompt = j.value("prompt", "");
    e.random_seed = j.value("random_seed", std::uint64_t(0));
    e.batch = j.value("batch", std::int64_t(0));
    e.composition = j.value("composition", "");
    e.method = j.value("method", "");
    if (j.contains("energy_before") && !j["energy_before"].is_null()) e.energy_before = j["energy_before"].get<double>();
    if (j.contains("energy_after") && !j["energy_after"].is_null()) e.energy_after = j["energy_after"].get<double>();
    if (j.contains("guided_timesteps")) e.guided_timesteps = j["guided_timesteps"].get<std::vector<std::int64_t>>();
    return e;
  }
};

// Reads <out>/manifest.jsonl. A torn last line (a run killed while writing)
// is ignored; a malformed line elsewhere is an error naming the line.
inline std::vector<ManifestEntry> read_manifest(const std::filesystem::path& jsonl) {
  std::vector<ManifestEntry> entries;
  std::ifstream in(jsonl);
  if (!in) return entries;
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    try {
      entries.push_back(ManifestEntry::from_json(nlohmann::json::parse(lines[i])));
    } catch (const std::exception& e) {
      if (i + 1 == lines.size()) break;  // torn final line
      throw std::runtime_error(jsonl.string() + ":" + std::to_string(i + 1) + ": malformed manifest line (" +
                               e.what() + ")");
    }
  }
  return entries;
}

// Appends entries; a torn last line (a run killed while writing) is cut off
// first, so the manifest never holds a malformed line in the middle.
inline void append_manifest(const std::filesystem::path& jsonl, const std::vector<ManifestEntry>& entries) {
  if (std::filesystem::exists(jsonl)) {
    std::string text;
    {
      std::ifstream in(jsonl, std::ios::binary);
      text.assign(std::istreambuf_iterator<char>(in), {});
    }
    if (!text.empty() && text.back() != '\n') {
      const auto keep = text.rfind('\n');
      std::filesystem::resize_file(jsonl, keep == std::string::npos ? 0 : keep + 1);
    }
  }
  std::ofstream out(jsonl, std::ios::app);
  if (!out) throw std::runtime_error(jsonl.string() + ": cannot open the manifest for appending");
  std::string block;
  for (const auto& e : entries) block += e.to_json().dump() + "\n";
  out << block << std::flush;
  if (!out) throw std::runtime_error(jsonl.string() + ": writing the manifest failed");
}

inline std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += (c == '"') ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

inline void write_manifest_csv(const std::filesystem::path& csv, const std::vector<ManifestEntry>& entries) {
  std::ostringstream o;
  o << "file,class,label,seed_index,sample,seed_source,prompt,random_seed,batch,method,energy_before,energy_after\n";
  for (const auto& e : entries) {
    o << csv_field(e.file) << ',' << csv_field(e.class_name) << ',' << e.label << ',' << e.seed_index << ','
      << e.sample << ',' << csv_field(e.seed_source) << ',' << csv_field(e.prompt) << ',' << e.random_seed << ','
      << e.batch << ',' << csv_field(e.method) << ','
      << (e.energy_before ? std::to_string(*e.energy_before) : std::string()) << ','
      << (e.energy_after ? std::to_string(*e.energy_after) : std::string()) << '\n';
  }
  detail::write_file_atomic(csv, o.str(), "write_manifest_csv");
}

}  // namespace distdiff
