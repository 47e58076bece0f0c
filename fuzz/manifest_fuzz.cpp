// libFuzzer target for the generator's manifest reader (pipeline/manifest.hpp,
// torch-free): the line splitter with its torn-last-line rule and duplicate-key
// and NUL checks, and ManifestEntry::from_json.
//
// Every input must either parse or throw std::runtime_error. An accepted entry
// must keep `file` inside the output folder, and write back (to_json) to a line
// that parses to the same entry.
//
// Build and run: fuzz/run.sh [seconds]
#include "distdiff/pipeline/manifest.hpp"

#include <cstdint>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>

#include "fuzz_common.hpp"

namespace {
[[noreturn]] void bug(const char* what) { distdiff_fuzz::bug("manifest_fuzz", what); }
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace distdiff;
  const std::string content(reinterpret_cast<const char*>(data), size);
  std::vector<ManifestEntry> entries;
  try {
    entries = parse_manifest(content, "fuzz-input");
  } catch (const std::runtime_error&) {
    return 0;  // rejected cleanly
  } catch (const std::exception& e) {
    std::fprintf(stderr, "unexpected exception: %s\n", e.what());
    bug("parse_manifest threw something other than std::runtime_error");
  }
  std::string again;
  for (const auto& e : entries) {
    const std::filesystem::path rel(e.file);
    if (e.file.empty() || rel.has_root_path()) bug("accepted an absolute or empty file");
    const auto normal = rel.lexically_normal();
    if (!normal.empty() && *normal.begin() == "..") bug("accepted a file outside the output folder");
    std::string line;
    try {
      line = e.to_json().dump();
    } catch (const std::exception& ex) {
      std::fprintf(stderr, "%s\n", ex.what());
      bug("an accepted entry cannot be written back");
    }
    again += line + "\n";
  }
  try {
    const auto back = parse_manifest(again, "fuzz-rewritten");
    if (back.size() != entries.size()) bug("rewritten manifest has a different number of entries");
    for (std::size_t i = 0; i < back.size(); ++i)
      if (back[i].to_json() != entries[i].to_json()) bug("rewritten entry differs");
  } catch (const std::runtime_error& ex) {
    std::fprintf(stderr, "%s\n", ex.what());
    bug("a rewritten manifest was rejected");
  }
  return 0;
}
