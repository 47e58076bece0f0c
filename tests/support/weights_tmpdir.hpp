#pragma once
// A unique temporary folder for a test, removed at scope exit. Lives under
// $DISTDIFF_TEST_TMP when set, else the system temporary directory.
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <system_error>

#include <unistd.h>

namespace distdiff::test {

class WeightsTmpDir {
 public:
  explicit WeightsTmpDir(const std::string& tag = "weights") {
    const char* env = std::getenv("DISTDIFF_TEST_TMP");
    const std::filesystem::path root = env ? std::filesystem::path(env)
                                           : std::filesystem::temp_directory_path();
    static std::atomic<unsigned> counter{0};
    std::random_device rd;
    path_ = root / ("distdiff-" + tag + "-" + std::to_string(::getpid()) + "-" +
                    std::to_string(counter++) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  WeightsTmpDir(const WeightsTmpDir&) = delete;
  WeightsTmpDir& operator=(const WeightsTmpDir&) = delete;
  ~WeightsTmpDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace distdiff::test
