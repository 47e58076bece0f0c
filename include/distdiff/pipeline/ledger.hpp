#pragma once
// UnitLedger — which images of a run folder are recorded and done, across
// every manifest a run writes: <out>/manifest.jsonl (a one-process run, and a
// merged run) and <out>/shards/manifest.<i>-of-<n>.jsonl (one per shard).
//
//   recorded(s, i): a manifest line for seed image s, sample i exists;
//   done(s, i):     recorded, and its image is on disk.
//
// refresh() reads only what the manifests gained since the last call (a
// manifest replaced by a merge is read again from its start), so a shard can
// ask before each batch whether another process has done it. Lines are
// whole: writers append them under the folder's lock (detail::FileLock), and a
// last line without its newline is not read until it has one. Torch-free.
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "distdiff/io/manifest.hpp"

namespace distdiff {

// The run folder's files that the pipeline's processes share.
struct RunPaths {
  std::filesystem::path out;
  std::filesystem::path manifest() const { return out / "manifest.jsonl"; }
  std::filesystem::path run_json() const { return out / "run.json"; }
  std::filesystem::path lock() const { return out / ".distdiff.lock"; }
  std::filesystem::path shards() const { return out / "shards"; }
  std::filesystem::path shard_manifest(const std::string& tag) const { return shards() / ("manifest." + tag + ".jsonl"); }
  std::filesystem::path shard_run(const std::string& tag) const { return shards() / ("run." + tag + ".json"); }
  // Every manifest of the folder: manifest.jsonl first, then the shards' in name order.
  std::vector<std::filesystem::path> manifests() const {
    namespace fs = std::filesystem;
    std::vector<fs::path> all;
    std::error_code ec;
    if (fs::exists(manifest(), ec)) all.push_back(manifest());
    std::vector<fs::path> parts;
    for (fs::directory_iterator it(shards(), ec), end; !ec && it != end; it.increment(ec)) {
      const auto name = it->path().filename().string();
      if (name.rfind("manifest.", 0) == 0 && name.size() > 15 && name.substr(name.size() - 6) == ".jsonl")
        parts.push_back(it->path());
    }
    std::sort(parts.begin(), parts.end());
    all.insert(all.end(), parts.begin(), parts.end());
    return all;
  }
};

class UnitLedger {
 public:
  using Unit = std::pair<std::int64_t, std::int64_t>;  // (seed_index, sample)

  explicit UnitLedger(std::filesystem::path out) : paths_{std::move(out)} {}

  void refresh() {
    for (const auto& path : paths_.manifests()) {
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0) continue;
      auto& src = sources_[path.string()];
      if (src.inode != std::uint64_t(st.st_ino) || std::uint64_t(st.st_size) < src.offset) src = {std::uint64_t(st.st_ino), 0};
      if (std::uint64_t(st.st_size) == src.offset) continue;
      std::ifstream in(path, std::ios::binary);
      in.seekg(std::streamoff(src.offset));
      std::string chunk(std::size_t(std::uint64_t(st.st_size) - src.offset), '\0');
      in.read(chunk.data(), std::streamsize(chunk.size()));
      chunk.resize(std::size_t(in.gcount()));
      const auto end = chunk.rfind('\n');
      if (end == std::string::npos) continue;  // no whole new line yet
      chunk.resize(end + 1);
      for (const auto& e : parse_manifest(chunk, path.string())) add(e);
      src.offset += chunk.size();
    }
  }

  // Records entries this process has just appended.
  void add(const ManifestEntry& e) {
    const Unit u{e.seed_index, e.sample};
    recorded_.insert(u);
    std::error_code ec;
    if (std::filesystem::exists(paths_.out / e.file, ec)) done_.insert(u);
  }

  bool recorded(std::int64_t seed, std::int64_t sample) const { return recorded_.count({seed, sample}) > 0; }
  bool done(std::int64_t seed, std::int64_t sample) const { return done_.count({seed, sample}) > 0; }
  std::size_t done_count() const { return done_.size(); }

 private:
  struct Source {
    std::uint64_t inode = 0, offset = 0;
  };
  RunPaths paths_;
  std::map<std::string, Source> sources_;
  std::set<Unit> recorded_, done_;
};

}  // namespace distdiff
