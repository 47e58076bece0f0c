#pragma once
// Files of pipeline runs in tests: a fresh named scratch folder per test
// (kept after the test for inspection, under $DISTDIFF_TEST_TMP when set),
// a file's bytes, and every file of a run folder but run.json (which records
// times and the thread count).
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

namespace distdiff::test {

inline std::filesystem::path fresh_dir(const std::string& prefix, const std::string& name) {
  namespace fs = std::filesystem;
  const char* base = std::getenv("DISTDIFF_TEST_TMP");
  auto d = (base ? fs::path(base) : fs::temp_directory_path()) / ("distdiff_" + prefix + "_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

inline std::string read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

inline std::map<std::string, std::string> run_files(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::map<std::string, std::string> files;
  for (const auto& f : fs::recursive_directory_iterator(dir))
    if (f.is_regular_file() && f.path().filename() != "run.json")
      files[fs::relative(f.path(), dir).string()] = read_bytes(f.path());
  return files;
}

}  // namespace distdiff::test
