#pragma once
// Small filesystem helpers shared by the dataset readers: layout checks with
// one clear error naming the missing path, sorted listings, text lines.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace distdiff::detail {

inline std::string quoted(const std::filesystem::path& p) {
  std::string s(1, '\'');  // appended piecewise: `"'" + std::string&&` trips a false g++ 12 warning
  s.append(p.string());
  s.push_back('\'');
  return s;
}

// Throws "<who>: missing <what> <path>" unless `p` is an existing folder.
inline void require_dir(const std::filesystem::path& p, std::string_view who, std::string_view what = "folder") {
  std::error_code ec;
  if (!std::filesystem::is_directory(p, ec))
    throw std::runtime_error(std::string(who) + ": missing " + std::string(what) + " " + quoted(p) +
                             (std::filesystem::exists(p, ec) ? " (exists but is not a folder)" : ""));
}

// Throws "<who>: missing <what> <path>" unless `p` is an existing regular file.
inline void require_file(const std::filesystem::path& p, std::string_view who, std::string_view what = "file") {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(p, ec))
    throw std::runtime_error(std::string(who) + ": missing " + std::string(what) + " " + quoted(p) +
                             (std::filesystem::exists(p, ec) ? " (exists but is not a regular file)" : ""));
}

inline std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

inline bool has_image_extension(const std::filesystem::path& p) {
  const std::string ext = lowercase(p.extension().string());
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp";
}

// Names of the entries of `dir` (not starting with '.') that are folders
// (want_dirs) or regular files, sorted bytewise like Python's sorted().
inline std::vector<std::string> sorted_entries(const std::filesystem::path& dir, bool want_dirs) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string n = e.path().filename().string();
    if (n.empty() || n[0] == '.') continue;
    if (want_dirs ? e.is_directory() : e.is_regular_file()) out.push_back(n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

// The lines of a text file, trimmed; empty lines dropped.
inline std::vector<std::string> read_lines(const std::filesystem::path& p, std::string_view who) {
  require_file(p, who);
  std::ifstream in(p);
  if (!in) throw std::runtime_error(std::string(who) + ": cannot open " + quoted(p));
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    std::string t = trim(line);
    if (!t.empty()) out.push_back(std::move(t));
  }
  return out;
}

// Whitespace-separated fields of a line.
inline std::vector<std::string> split_ws(std::string_view s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    std::size_t j = i;
    while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))) ++j;
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

// Parses a whole decimal integer or throws naming `where`.
inline long long parse_int(std::string_view s, const std::string& where) {
  const std::string t = trim(s);
  std::size_t pos = 0;
  long long v = 0;
  try {
    v = std::stoll(t, &pos);
  } catch (const std::exception&) {
    pos = 0;
  }
  if (t.empty() || pos != t.size()) throw std::runtime_error(where + ": expected an integer, got '" + t + "'");
  return v;
}

}  // namespace distdiff::detail
