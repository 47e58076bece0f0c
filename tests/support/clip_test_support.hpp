#pragma once
// Test-only helpers for the CLIP tests: a scratch folder and a toy BPE
// vocabulary laid out like CLIP's published vocab.json / merges.txt.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "distdiff/models/clip/tokenizer.hpp"
#include "support/temp_dir.hpp"

namespace clip_test {

using distdiff::test::TempDir;  // scratch folders (tests/support/temp_dir.hpp)

inline void write_text(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out << text;
}

// The 256 byte symbols in CLIP's vocabulary order (printable bytes first, as in
// bytes_to_unicode's dict order), written independently of the tokenizer's table.
inline std::vector<std::string> byte_symbols() {
  std::vector<int> bs;
  for (int b = '!'; b <= '~'; ++b) bs.push_back(b);
  for (int b = 0xA1; b <= 0xAC; ++b) bs.push_back(b);
  for (int b = 0xAE; b <= 0xFF; ++b) bs.push_back(b);
  std::vector<char32_t> cs(bs.begin(), bs.end());
  int n = 0;
  for (int b = 0; b < 256; ++b) {
    if (std::find(bs.begin(), bs.end(), b) == bs.end()) {
      bs.push_back(b);
      cs.push_back(static_cast<char32_t>(256 + n++));
    }
  }
  std::vector<std::string> out;
  for (char32_t c : cs) out.push_back(distdiff::models::detail::clip_utf8_encode(std::u32string(1, c)));
  return out;
}

// The toy merges the tests derive segmentations from by hand (rank = index).
inline std::vector<std::pair<std::string, std::string>> toy_merges() {
  return {
      {"t", "h"},     {"th", "e</w>"},   {"h", "e"},       {"l", "l"},     {"he", "ll"},
      {"hell", "o</w>"}, {"c", "a"},     {"ca", "t</w>"},  {"ca", "t"},    {"cat", "s</w>"},
      {"'", "s</w>"}, {"p", "h"},        {"o", "t"},       {"ph", "ot"},   {"phot", "o</w>"},
      {"o", "f</w>"},
  };
}

// CLIP's vocabulary layout: bytes, bytes + "</w>", one entry per merge, then the two
// special tokens (so with the published 48,894 merges they get ids 49406 and 49407).
inline nlohmann::json toy_vocab_json(const std::vector<std::pair<std::string, std::string>>& merges,
                                     bool with_specials = true) {
  nlohmann::json vocab = nlohmann::json::object();
  std::int64_t id = 0;
  const auto bytes = byte_symbols();
  for (const auto& s : bytes) vocab[s] = id++;
  for (const auto& s : bytes) vocab[s + "</w>"] = id++;
  for (const auto& [a, b] : merges) vocab[a + b] = id++;
  if (with_specials) {
    vocab["<|startoftext|>"] = id++;
    vocab["<|endoftext|>"] = id++;
  }
  return vocab;
}

inline std::string toy_merges_txt(const std::vector<std::pair<std::string, std::string>>& merges) {
  std::string text = "#version: 0.2\n";
  for (const auto& [a, b] : merges) text += a + " " + b + "\n";
  return text;
}

// Writes vocab.json + merges.txt (the tokenizer/ folder of a diffusers checkpoint).
inline void write_toy_tokenizer(const std::filesystem::path& dir, bool with_specials = true) {
  write_text(dir / "vocab.json", toy_vocab_json(toy_merges(), with_specials).dump());
  write_text(dir / "merges.txt", toy_merges_txt(toy_merges()));
}

inline distdiff::models::ClipTokenizer toy_tokenizer() {
  TempDir dir;
  write_toy_tokenizer(dir.path);
  return distdiff::models::ClipTokenizer::from_dir(dir.path);
}

}  // namespace clip_test
