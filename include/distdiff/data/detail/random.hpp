#pragma once
// Deterministic, platform-independent randomness for splits and shuffles.
// std::mt19937_64's output sequence is fixed by the standard, but
// std::shuffle and the std distributions are not, so they are avoided here.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace distdiff::detail {

// SplitMix64 finaliser: a well-mixed 64-bit value from any 64-bit value.
inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// One seed from several numbers (order matters).
inline std::uint64_t mix_seed(std::initializer_list<std::uint64_t> parts) {
  std::uint64_t h = 0x6A09E667F3BCC909ULL;
  for (std::uint64_t p : parts) h = splitmix64(h ^ splitmix64(p));
  return h;
}

// Uniform integer in [0, n) by rejection (unbiased, platform-independent).
inline std::uint64_t uniform_index(std::mt19937_64& rng, std::uint64_t n) {
  if (n == 0) throw std::invalid_argument("distdiff::detail::uniform_index: empty range");
  const std::uint64_t limit = std::uint64_t(-1) - (std::uint64_t(-1) % n + 1) % n;  // largest multiple-1
  std::uint64_t r;
  do r = rng();
  while (r > limit);
  return r % n;
}

// Fisher-Yates shuffle.
template <class T>
void shuffle(std::vector<T>& v, std::mt19937_64& rng) {
  for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[uniform_index(rng, i)]);
}

// A permutation of 0..n-1 determined by `seed`.
inline std::vector<std::size_t> permutation(std::size_t n, std::uint64_t seed) {
  std::vector<std::size_t> p(n);
  for (std::size_t i = 0; i < n; ++i) p[i] = i;
  std::mt19937_64 rng(seed);
  shuffle(p, rng);
  return p;
}

// For each class, `per_class` indices drawn without replacement (seeded);
// returned in ascending order. Throws if a class has fewer samples.
inline std::vector<std::size_t> sample_per_class(const std::vector<std::int64_t>& labels, std::size_t num_classes,
                                                 std::size_t per_class, std::uint64_t seed,
                                                 const std::string& who) {
  std::vector<std::vector<std::size_t>> by_class(num_classes);
  for (std::size_t i = 0; i < labels.size(); ++i) by_class.at(static_cast<std::size_t>(labels[i])).push_back(i);
  std::vector<std::size_t> out;
  out.reserve(per_class * num_classes);
  for (std::size_t c = 0; c < num_classes; ++c) {
    auto& idx = by_class[c];
    if (idx.size() < per_class)
      throw std::invalid_argument(who + ": class " + std::to_string(c) + " has " + std::to_string(idx.size()) +
                                  " samples, fewer than per_class = " + std::to_string(per_class));
    std::mt19937_64 rng(mix_seed({seed, c}));
    shuffle(idx, rng);
    out.insert(out.end(), idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(per_class));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace distdiff::detail
