#pragma once
// Published dataset statistics (paper Table 8) and a check that a local copy
// matches them.
//
//     distdiff::Caltech101 train(root, distdiff::Split::train);
//     if (auto msg = distdiff::verify_sizes(train); !msg.empty()) std::cerr << msg << "\n";
#include <concepts>
#include <cstddef>
#include <string>

#include "distdiff/data/split.hpp"

namespace distdiff {

struct PublishedSizes {
  std::size_t classes = 0;
  std::size_t train = 0;
  std::size_t test = 0;
  std::size_t val = 0;  // 0 when the paper uses no validation split

  std::size_t of(Split s) const { return s == Split::train ? train : s == Split::test ? test : val; }
};

// Empty when `d` has the expected number of classes and samples for its
// split, else a one-line message saying what differs.
template <class D>
  requires requires(const D& d) {
    { d.expected_sizes() } -> std::convertible_to<PublishedSizes>;
    { d.split } -> std::convertible_to<Split>;
    d.size();
    d.class_names();
    d.name();
  }
std::string verify_sizes(const D& d) {
  const PublishedSizes want = d.expected_sizes();
  const std::size_t classes = d.class_names().size();
  const std::size_t n = d.size();
  std::string msg;
  if (classes != want.classes)
    msg += std::to_string(classes) + " classes, expected " + std::to_string(want.classes);
  if (n != want.of(d.split)) {
    if (!msg.empty()) msg += "; ";
    msg += std::to_string(n) + " samples, expected " + std::to_string(want.of(d.split));
  }
  if (msg.empty()) return msg;
  return std::string(d.name()) + " (" + to_string(d.split) + "): " + msg;
}

}  // namespace distdiff
