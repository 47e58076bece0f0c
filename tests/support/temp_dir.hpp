#pragma once
// A unique temporary folder for one test, removed when it goes out of scope
// (the one scratch-folder helper of every test executable). Lives under
// $DISTDIFF_TEST_TMP when set, else the system temp folder.
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <system_error>

#include <unistd.h>

namespace distdiff::test {

struct TempDir {
  std::filesystem::path path;

  explicit TempDir(const std::string& tag = "distdiff") {
    static std::atomic<unsigned> counter{0};
    std::filesystem::path base = std::filesystem::temp_directory_path();
    if (const char* env = std::getenv("DISTDIFF_TEST_TMP")) base = env;
    std::random_device rd;
    path = base / (tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
                   std::to_string(rd()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::permissions(path, std::filesystem::perms::owner_all, std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::filesystem::path operator/(const std::filesystem::path& p) const { return path / p; }
};

}  // namespace distdiff::test
