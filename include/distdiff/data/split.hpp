#pragma once
// Which part of a dataset a reader exposes.
#include <stdexcept>
#include <string>
#include <string_view>

namespace distdiff {

enum class Split { train, val, test };

inline std::string to_string(Split s) {
  switch (s) {
    case Split::train: return "train";
    case Split::val: return "val";
    case Split::test: return "test";
  }
  return "?";
}

// "train", "val"/"validation" or "test".
inline Split parse_split(std::string_view s) {
  if (s == "train") return Split::train;
  if (s == "val" || s == "validation") return Split::val;
  if (s == "test") return Split::test;
  throw std::invalid_argument("distdiff::parse_split: unknown split '" + std::string(s) +
                              "' (expected train, val or test)");
}

}  // namespace distdiff
