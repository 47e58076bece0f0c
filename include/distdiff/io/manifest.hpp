#pragma once
// The generator's manifest: one JSON object per generated image, appended to
// <out>/manifest.jsonl as soon as the image is on disk (so a killed run loses
// at most the batch in flight), plus a CSV copy written at the end.
//
// Fields: file, class, label, seed_index, sample, seed_source, prompt,
// random_seed, batch, composition, method, energy_before, energy_after,
// guided_timesteps, and — only for an image whose guided step met a NaN or an
// infinity — nonfinite: [{"timestep", "iteration", "what", "action"}, ...]
// (what: "energy", "gradient" or "latent"; action: what the sampler did).
// energy_before / energy_after: the energy before and after the first guided
// step, both measured at that step; null when not measured or not finite.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <limits>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "distdiff/detail/atomic_write.hpp"

namespace distdiff {

// A NaN or an infinity met in one guided step of one image (sampler/guided_sampler.hpp).
struct ManifestNonFinite {
  std::int64_t timestep = 0;    // the guided step's timestep (−1: the final latent)
  std::int64_t iteration = 0;   // optimisation iteration (−1: the transformed latent)
  std::string what;             // "energy", "gradient" or "latent"
  std::string action;           // e.g. "kept the unguided latent"
  bool operator==(const ManifestNonFinite&) const = default;
};

struct ManifestEntry {
  std::string file;            // relative to the output folder: <class>/<seed_index>_<sample>.png
  std::string class_name;
  std::int64_t label = 0;
  std::int64_t seed_index = -1;   // -1 when absent from a manifest read back
  std::int64_t sample = -1;
  std::string seed_source;
  std::string prompt;
  std::uint64_t random_seed = 0;
  std::int64_t batch = 0;
  std::string composition;
  std::string method;
  std::optional<double> energy_before;
  std::optional<double> energy_after;
  std::vector<std::int64_t> guided_timesteps;
  std::vector<ManifestNonFinite> nonfinite;   // empty: every guided step was finite

  nlohmann::json to_json() const {
    nlohmann::json j{{"file", file},       {"class", class_name},   {"label", label},
                     {"seed_index", seed_index}, {"sample", sample}, {"seed_source", seed_source},
                     {"prompt", prompt},   {"random_seed", random_seed}, {"batch", batch},
                     {"composition", composition}, {"method", method},
                     {"guided_timesteps", guided_timesteps}};
    j["energy_before"] = energy_before ? nlohmann::json(*energy_before) : nlohmann::json(nullptr);
    j["energy_after"] = energy_after ? nlohmann::json(*energy_after) : nlohmann::json(nullptr);
    if (!nonfinite.empty()) {
      auto& a = j["nonfinite"] = nlohmann::json::array();
      for (const auto& n : nonfinite)
        a.push_back({{"timestep", n.timestep}, {"iteration", n.iteration}, {"what", n.what}, {"action", n.action}});
    }
    return j;
  }
  // One manifest object. `file`, `class` and `label` are required; the other
  // fields are optional (null counts as absent). A missing or mistyped field
  // is one error prefixed by `where` (the manifest line) and naming the key.
  // Integer fields must be JSON integers in range (no 0.9, 1e30, or a negative
  // random_seed); `file` must be a relative path that stays inside the output
  // folder after lexical normalisation (no "../outside.png").
  static ManifestEntry from_json(const nlohmann::json& j, const std::string& where = "manifest entry") {
    if (!j.is_object()) throw std::runtime_error(where + ": expected a JSON object");
    auto has = [&](const char* key) { return j.contains(key) && !j[key].is_null(); };
    auto need = [&](const char* key) -> const nlohmann::json& {
      if (!has(key)) throw std::runtime_error(where + ": missing field \"" + key + "\"");
      return j[key];
    };
    auto wrong = [&](const std::string& key, const char* expected, const nlohmann::json& v) {
      std::string shown = v.dump();
      if (shown.size() > 80) shown = shown.substr(0, 77) + "...";
      return std::runtime_error(where + ": field \"" + key + "\" has the wrong type or range: expected " +
                                expected + ", got " + shown);
    };
    auto string_of = [&](const char* key, const nlohmann::json& v) {
      if (!v.is_string()) throw wrong(key, "a string", v);
      return v.get<std::string>();
    };
    auto int_of = [&](const std::string& key, const nlohmann::json& v) {
      // nlohmann stores a non-negative integer as unsigned: above INT64_MAX it does not fit.
      if (!v.is_number_integer() ||
          (v.is_number_unsigned() && v.get<std::uint64_t>() > std::uint64_t(std::numeric_limits<std::int64_t>::max())))
        throw wrong(key, "a signed 64-bit integer", v);
      return v.get<std::int64_t>();
    };
    auto uint_of = [&](const char* key, const nlohmann::json& v) {
      if (!v.is_number_integer() || (!v.is_number_unsigned() && v.get<std::int64_t>() < 0))
        throw wrong(key, "an unsigned 64-bit integer", v);
      return v.get<std::uint64_t>();
    };
    auto double_of = [&](const char* key, const nlohmann::json& v) {
      if (!v.is_number()) throw wrong(key, "a number", v);
      return v.get<double>();
    };
    ManifestEntry e;
    e.file = string_of("file", need("file"));
    e.class_name = string_of("class", need("class"));
    e.label = int_of("label", need("label"));
    if (has("seed_index")) e.seed_index = int_of("seed_index", j["seed_index"]);
    if (has("sample")) e.sample = int_of("sample", j["sample"]);
    if (has("seed_source")) e.seed_source = string_of("seed_source", j["seed_source"]);
    if (has("prompt")) e.prompt = string_of("prompt", j["prompt"]);
    if (has("random_seed")) e.random_seed = uint_of("random_seed", j["random_seed"]);
    if (has("batch")) e.batch = int_of("batch", j["batch"]);
    if (has("composition")) e.composition = string_of("composition", j["composition"]);
    if (has("method")) e.method = string_of("method", j["method"]);
    if (has("energy_before")) e.energy_before = double_of("energy_before", j["energy_before"]);
    if (has("energy_after")) e.energy_after = double_of("energy_after", j["energy_after"]);
    if (has("guided_timesteps")) {
      const auto& t = j["guided_timesteps"];
      if (!t.is_array()) throw wrong("guided_timesteps", "an array of integers", t);
      for (std::size_t i = 0; i < t.size(); ++i)
        e.guided_timesteps.push_back(int_of("guided_timesteps[" + std::to_string(i) + "]", t[i]));
    }
    if (has("nonfinite")) {
      const auto& a = j["nonfinite"];
      if (!a.is_array()) throw wrong("nonfinite", "an array of objects", a);
      for (std::size_t i = 0; i < a.size(); ++i) {
        const std::string key = "nonfinite[" + std::to_string(i) + "]";
        const auto& o = a[i];
        if (!o.is_object()) throw wrong(key, "an object", o);
        for (const char* k : {"timestep", "iteration", "what", "action"})
          if (!o.contains(k)) throw std::runtime_error(where + ": field \"" + key + "\" has no \"" + k + "\"");
        ManifestNonFinite n;
        n.timestep = int_of(key + ".timestep", o["timestep"]);
        n.iteration = int_of(key + ".iteration", o["iteration"]);
        if (!o["what"].is_string()) throw wrong(key + ".what", "a string", o["what"]);
        if (!o["action"].is_string()) throw wrong(key + ".action", "a string", o["action"]);
        n.what = o["what"].get<std::string>();
        n.action = o["action"].get<std::string>();
        e.nonfinite.push_back(std::move(n));
      }
    }
    const std::filesystem::path rel(e.file);
    const auto normal = rel.lexically_normal();
    if (e.file.empty() || rel.has_root_path() || (!normal.empty() && *normal.begin() == ".."))
      throw std::runtime_error(where + ": \"file\" must be a relative path inside the output folder, got \"" +
                               e.file + "\"");
    return e;
  }
};

namespace detail {

// Calls fn(object, line, where) for each non-blank line of a manifest.jsonl's
// `content`, with `line` 1-based and `where` = "<who>: '<name>' line <n>" for
// errors. A final line without its newline that is not valid JSON (a run
// killed while appending) is skipped; any other line that is not valid JSON,
// or holds a duplicate key or a NUL byte, is an error. (Torch-free: fuzzed by
// fuzz/manifest_fuzz.cpp.)
template <class Fn>
void for_each_manifest_line_in(const std::string& content, const std::string& name, const std::string& who, Fn&& fn) {
  std::size_t line = 0;
  for (std::size_t begin = 0; begin < content.size();) {
    ++line;
    const std::size_t nl = content.find('\n', begin);
    const bool torn = nl == std::string::npos;  // the last line, without its newline
    const std::string text = content.substr(begin, torn ? std::string::npos : nl - begin);
    begin = torn ? content.size() : nl + 1;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::string where = who;
    where.append(": '").append(name).append("' line ").append(std::to_string(line));
    // nlohmann's parser keeps the last of duplicate keys and stops at a NUL
    // byte: both would let a malformed line through, so both are errors.
    if (const auto nul = text.find('\0'); nul != std::string::npos) {
      if (torn) break;  // a crash can leave zero bytes at the end of the file
      throw std::runtime_error(where + ": invalid JSON (NUL byte at column " + std::to_string(nul + 1) + ")");
    }
    std::vector<std::set<std::string>> open_objects;
    std::optional<std::string> duplicate;
    auto check_keys = [&](int, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
      using event_t = nlohmann::json::parse_event_t;
      if (event == event_t::object_start) open_objects.emplace_back();
      if (event == event_t::object_end) open_objects.pop_back();
      if (event == event_t::key && !open_objects.back().insert(parsed.get<std::string>()).second && !duplicate)
        duplicate = parsed.get<std::string>();
      return true;
    };
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(text, check_keys);
    } catch (const std::exception& e) {
      if (torn) break;  // cut short by a killed run: its image was never recorded
      throw std::runtime_error(where + ": invalid JSON (" + e.what() + ")");
    }
    if (duplicate) throw std::runtime_error(where + ": duplicate key \"" + *duplicate + "\"");
    fn(std::move(j), line, where);
  }
}

// The same for the file `jsonl`.
template <class Fn>
void for_each_manifest_line(const std::filesystem::path& jsonl, const std::string& who, Fn&& fn) {
  std::ifstream in(jsonl, std::ios::binary);
  if (!in) throw std::runtime_error(who + ": cannot open the manifest " + jsonl.string());
  const std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for_each_manifest_line_in(content, jsonl.string(), who, std::forward<Fn>(fn));
}

}  // namespace detail

// Parses the text of a manifest.jsonl (`name` is shown in errors), in file
// order. A torn last line is skipped; a malformed line elsewhere is one error
// naming the line.
inline std::vector<ManifestEntry> parse_manifest(const std::string& content, const std::string& name = "<memory>") {
  std::vector<ManifestEntry> entries;
  detail::for_each_manifest_line_in(content, name, "read_manifest",
                                    [&](nlohmann::json j, std::size_t, const std::string& where) {
                                      entries.push_back(ManifestEntry::from_json(j, where));
                                    });
  return entries;
}

// Reads <out>/manifest.jsonl (no file: no entries), in file order. A torn last
// line is skipped; a malformed line elsewhere is one error naming the line.
inline std::vector<ManifestEntry> read_manifest(const std::filesystem::path& jsonl) {
  std::vector<ManifestEntry> entries;
  if (!std::filesystem::exists(jsonl)) return entries;
  detail::for_each_manifest_line(jsonl, "read_manifest", [&](nlohmann::json j, std::size_t, const std::string& where) {
    entries.push_back(ManifestEntry::from_json(j, where));
  });
  return entries;
}

// Appends entries; a torn last line (a run killed while writing) is cut off
// first, so the manifest never holds a malformed line in the middle.
// (The generator appends once per batch: only the last byte is read, and the
// whole file only when that byte shows a torn line.)
inline void append_manifest(const std::filesystem::path& jsonl, const std::vector<ManifestEntry>& entries) {
  std::error_code ec;
  if (const auto size = std::filesystem::file_size(jsonl, ec); !ec && size > 0) {
    std::ifstream in(jsonl, std::ios::binary);
    in.seekg(-1, std::ios::end);
    if (in.get() != '\n') {
      in.seekg(0);
      const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      in.close();
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
