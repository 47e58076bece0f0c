#pragma once
// Writing a file so that readers never see a half-written one: the bytes go
// to a temporary file in the same folder, which is then renamed over the
// destination (rename within one filesystem is atomic on POSIX).
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace distdiff::detail {

// A fresh temporary name next to `path`: ".<name>.tmp-<random>-<counter>".
inline std::filesystem::path temporary_sibling(const std::filesystem::path& path) {
  static std::atomic<std::uint64_t> counter{0};
  static const std::uint64_t salt = [] {
    std::random_device rd;
    return (std::uint64_t(rd()) << 32) ^ rd();
  }();
  const std::uint64_t n = counter.fetch_add(1);
  // Built by appending: `"." + std::string&&` trips a false -Wstringop-overflow in g++ 12.
  std::string name(1, '.');
  name.append(path.filename().string());
  name.append(".tmp-");
  name.append(std::to_string(salt % 1000000007ULL));
  name.push_back('-');
  name.append(std::to_string(n));
  return path.parent_path() / name;
}

// True for a name temporary_sibling() makes: ".<name>.tmp-<digits>-<digits>".
inline bool is_temporary_name(const std::string& name) {
  if (name.size() < 9 || name[0] != '.') return false;
  const auto at = name.rfind(".tmp-");
  if (at == std::string::npos || at < 2) return false;
  const std::string rest = name.substr(at + 5);
  const auto dash = rest.find('-');
  auto digits = [](const std::string& s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
  };
  return dash != std::string::npos && digits(rest.substr(0, dash)) && digits(rest.substr(dash + 1));
}

// Removes the temporaries that a process killed inside write_file_atomic()
// leaves behind, in `dir` and (with `subfolders`) the folders directly below
// it (a run folder and its class folders). Returns how many were removed. Only
// for folders one process writes at a time (a resumed run).
inline std::size_t remove_stale_temporaries(const std::filesystem::path& dir, bool subfolders = true) {
  namespace fs = std::filesystem;
  std::size_t removed = 0;
  std::error_code ec;
  auto sweep = [&](const fs::path& d) {
    for (fs::directory_iterator it(d, ec), end; !ec && it != end; it.increment(ec))
      if (it->is_regular_file(ec) && is_temporary_name(it->path().filename().string()) && fs::remove(it->path(), ec))
        ++removed;
  };
  if (!fs::is_directory(dir, ec)) return 0;
  sweep(dir);
  if (!subfolders) return removed;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_directory(ec)) sweep(it->path());
  return removed;
}

// Writes `bytes` to `path` atomically, creating the parent folders. On any
// failure the temporary file is removed and std::runtime_error names `path`.
inline void write_file_atomic(const std::filesystem::path& path, std::string_view bytes,
                              std::string_view who = "distdiff::write_file_atomic") {
  namespace fs = std::filesystem;
  const std::string where = std::string(who) + ": '" + path.string() + "'";
  if (path.empty() || path.filename().empty())
    throw std::invalid_argument(where + ": not a file name");
  std::error_code ec;
  const fs::path parent = path.parent_path();
  if (!parent.empty()) {
    fs::create_directories(parent, ec);
    if (ec) throw std::runtime_error(where + ": cannot create folder '" + parent.string() + "': " + ec.message());
  }
  if (fs::is_directory(path, ec)) throw std::runtime_error(where + ": is a folder");
  const fs::path tmp = temporary_sibling(path);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error(where + ": cannot create a file in '" + parent.string() + "'");
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) {
      fs::remove(tmp, ec);
      throw std::runtime_error(where + ": write failed (disk full?)");
    }
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignore;
    fs::remove(tmp, ignore);
    throw std::runtime_error(where + ": cannot rename the temporary file into place: " + ec.message());
  }
}

}  // namespace distdiff::detail
