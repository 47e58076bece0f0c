#pragma once
// ClipTokenizer — CLIP's byte-level BPE tokenizer (OpenAI SimpleTokenizer /
// transformers CLIPTokenizer), read from a tokenizer folder's vocab.json and
// merges.txt.
//
//   auto tok = distdiff::models::ClipTokenizer::from_dir(sd_dir / "tokenizer");
//   torch::Tensor ids = tok.batch_encode({"a photo of a dog"});   // [1, 77] int64
//
// Pipeline of encode(): collapse whitespace runs to one space and strip, lower-case,
// split with CLIP's pattern
//   <|startoftext|> | <|endoftext|> | 's|'t|'re|'ve|'m|'ll|'d | \p{L}+ | \p{N} | [^\s\p{L}\p{N}]+
// map every piece's UTF-8 bytes to printable code points (byte_to_unicode), then
// apply the BPE merges by rank, the last symbol of a word carrying "</w>".
//
// Unicode: the character classes (letter, number, whitespace, other) are exact for
// ASCII and Latin-1 and follow a table of the common punctuation, symbol, digit,
// emoji and combining-mark blocks elsewhere; any other code point counts as a letter.
// Lower-casing covers ASCII, Latin-1, Latin Extended-A, basic Greek and Cyrillic
// and full-width Latin letters; other code points are kept. ftfy repairs and HTML
// unescaping (which the Python tokenizer applies when ftfy is installed) are not
// done.
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace distdiff::models {

namespace detail {

enum class ClipCharClass { Letter, Number, Space, Other };

// Unicode White_Space plus the separators U+001C..U+001F that Python's str.isspace accepts.
inline bool clip_is_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
         c == 0x202F || c == 0x205F || c == 0x3000;
}

inline ClipCharClass clip_char_class(char32_t c) {
  using K = ClipCharClass;
  if (clip_is_space(c)) return K::Space;
  if (c < 0x80) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return K::Letter;
    if (c >= '0' && c <= '9') return K::Number;
    return K::Other;
  }
  if (c < 0xA0) return K::Other;  // C1 controls
  if (c < 0x100) {                // Latin-1 supplement
    if (c == 0xAA || c == 0xB5 || c == 0xBA) return K::Letter;
    if (c == 0xB2 || c == 0xB3 || c == 0xB9 || (c >= 0xBC && c <= 0xBE)) return K::Number;
    if (c < 0xC0 || c == 0xD7 || c == 0xF7) return K::Other;
    return K::Letter;
  }
  struct Range {
    char32_t lo, hi;
    K cls;
  };
  // Sorted, non-overlapping; code points outside every range are letters.
  static constexpr Range kTable[] = {
      {0x02C2, 0x02C5, K::Other}, {0x02D2, 0x02DF, K::Other}, {0x02E5, 0x02EB, K::Other},
      {0x0300, 0x036F, K::Other},  // combining diacritics
      {0x0660, 0x0669, K::Number}, {0x06F0, 0x06F9, K::Number}, {0x0966, 0x096F, K::Number},
      {0x200B, 0x200F, K::Other},  {0x2010, 0x2027, K::Other},  {0x202A, 0x202E, K::Other},
      {0x2030, 0x205E, K::Other},  {0x2060, 0x206F, K::Other},  {0x2070, 0x2070, K::Number},
      {0x2074, 0x2079, K::Number}, {0x207A, 0x207E, K::Other},  {0x2080, 0x2089, K::Number},
      {0x208A, 0x208E, K::Other},  {0x20A0, 0x20FF, K::Other},  // currency, combining marks for symbols
      {0x2103, 0x2103, K::Other},  {0x2109, 0x2109, K::Other},  {0x2116, 0x2117, K::Other},
      {0x2120, 0x2122, K::Other},  {0x212E, 0x212E, K::Other},  {0x2150, 0x2182, K::Number},
      {0x2185, 0x2189, K::Number}, {0x2190, 0x245F, K::Other},  {0x2460, 0x249B, K::Number},
      {0x249C, 0x24E9, K::Other},  {0x24EA, 0x24FF, K::Number}, {0x2500, 0x2775, K::Other},
      {0x2776, 0x2793, K::Number}, {0x2794, 0x2BFF, K::Other},  {0x2E00, 0x2E7F, K::Other},
      {0x3001, 0x3004, K::Other},  {0x3007, 0x3007, K::Number}, {0x3008, 0x3020, K::Other},
      {0x3021, 0x3029, K::Number}, {0x302A, 0x3030, K::Other},  {0x3036, 0x3037, K::Other},
      {0x3038, 0x303A, K::Number}, {0x303D, 0x303F, K::Other},  {0xFE00, 0xFE1F, K::Other},
      {0xFE30, 0xFE6F, K::Other},  {0xFF01, 0xFF0F, K::Other},  {0xFF10, 0xFF19, K::Number},
      {0xFF1A, 0xFF20, K::Other},  {0xFF3B, 0xFF40, K::Other},  {0xFF5B, 0xFF65, K::Other},
      {0xFFE0, 0xFFFF, K::Other},  {0x1F000, 0x1FAFF, K::Other}, {0xE0000, 0xE007F, K::Other},
  };
  const auto* end = std::end(kTable);
  const auto* it = std::upper_bound(std::begin(kTable), end, c,
                                    [](char32_t v, const Range& r) { return v < r.lo; });
  if (it != std::begin(kTable)) {
    --it;
    if (c <= it->hi) return it->cls;
  }
  return K::Letter;
}

// Lower-cases one code point into `out` (İ becomes two code points, as in Python).
inline void clip_lower(char32_t c, std::u32string& out) {
  if (c < 0x80) {
    out.push_back((c >= 'A' && c <= 'Z') ? c + 32 : c);
    return;
  }
  if ((c >= 0xC0 && c <= 0xDE && c != 0xD7) || (c >= 0x391 && c <= 0x3AB && c != 0x3A2) ||
      (c >= 0x410 && c <= 0x42F) || (c >= 0xFF21 && c <= 0xFF3A)) {
    out.push_back(c + 32);
    return;
  }
  if (c >= 0x400 && c <= 0x40F) {
    out.push_back(c + 80);
    return;
  }
  if (c == 0x130) {
    out.push_back(U'i');
    out.push_back(0x307);
    return;
  }
  if (c >= 0x100 && c <= 0x17F) {
    const bool even_upper = (c <= 0x12F) || (c >= 0x132 && c <= 0x137) || (c >= 0x14A && c <= 0x177);
    const bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
    if ((even_upper && c % 2 == 0) || (odd_upper && c % 2 == 1)) c += 1;
    else if (c == 0x178) c = 0xFF;
    out.push_back(c);
    return;
  }
  if (c == 0x386) c = 0x3AC;
  else if (c >= 0x388 && c <= 0x38A) c += 37;
  else if (c == 0x38C) c = 0x3CC;
  else if (c == 0x38E || c == 0x38F) c += 63;
  out.push_back(c);
}

// Length of the valid UTF-8 sequence starting at s[i] (its code point in cp), or 0.
inline std::size_t clip_utf8_next(std::string_view s, std::size_t i, char32_t& cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t len = 0;
  if (b0 < 0x80) len = 1, cp = b0;
  else if (b0 >= 0xC2 && b0 <= 0xDF) len = 2, cp = b0 & 0x1F;
  else if (b0 >= 0xE0 && b0 <= 0xEF) len = 3, cp = b0 & 0x0F;
  else if (b0 >= 0xF0 && b0 <= 0xF4) len = 4, cp = b0 & 0x07;
  if (len == 0 || i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
      (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
    return 0;
  return len;
}

// Strict UTF-8 decoding; throws naming the byte offset of the first bad sequence.
inline std::u32string clip_utf8_decode(std::string_view s, const char* who) {
  std::u32string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    const std::size_t len = clip_utf8_next(s, i, cp);
    if (len == 0)
      throw std::invalid_argument(std::string(who) + ": invalid UTF-8 at byte " + std::to_string(i));
    out.push_back(cp);
    i += len;
  }
  return out;
}

inline void clip_utf8_append(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

inline std::string clip_utf8_encode(std::u32string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : s) clip_utf8_append(c, out);
  return out;
}

// Lenient decoding for decode(): each byte that starts no valid sequence becomes U+FFFD.
inline std::string clip_utf8_sanitize(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    const std::size_t len = clip_utf8_next(s, i, cp);
    if (len == 0) {
      clip_utf8_append(0xFFFD, out);
      i += 1;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  return out;
}

// GPT-2/CLIP byte_to_unicode: printable bytes map to themselves, the others to 256+n.
inline const std::array<char32_t, 256>& clip_byte_to_unicode() {
  static const std::array<char32_t, 256> table = [] {
    std::array<char32_t, 256> t{};
    auto printable = [](int b) {
      return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    };
    char32_t n = 0;
    for (int b = 0; b < 256; ++b) t[b] = printable(b) ? char32_t(b) : char32_t(256 + n++);
    return t;
  }();
  return table;
}

inline std::string clip_read_text_file(const std::filesystem::path& p, const char* what) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error(std::string("ClipTokenizer: cannot open ") + what + " " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct ClipBpeCache {
  std::mutex mutex;
  std::unordered_map<std::string, std::vector<std::string>> pieces;
};

}  // namespace detail

class ClipTokenizer {
 public:
  // transformers reads at most 49152 - 256 - 2 merges (the published file has exactly that many).
  static constexpr std::size_t kMaxMerges = 49152 - 256 - 2;
  static constexpr std::int64_t kDefaultStartId = 49406;
  static constexpr std::int64_t kDefaultEndId = 49407;

  std::int64_t start_id = kDefaultStartId;   // <|startoftext|>
  std::int64_t end_id = kDefaultEndId;       // <|endoftext|>, also the unknown token
  std::int64_t pad_id = kDefaultEndId;       // SD v1-4 pads with <|endoftext|>

  ClipTokenizer() = default;

  // vocab: token -> id; merges: ranked pairs (rank = position).
  ClipTokenizer(std::unordered_map<std::string, std::int64_t> vocab,
                std::vector<std::pair<std::string, std::string>> merges)
      : encoder_(std::move(vocab)), cache_(std::make_shared<detail::ClipBpeCache>()) {
    if (encoder_.empty()) throw std::invalid_argument("ClipTokenizer: empty vocabulary");
    for (const auto& [tok, id] : encoder_) {
      if (id < 0) throw std::invalid_argument("ClipTokenizer: negative id for token \"" + tok + "\"");
      if (!decoder_.emplace(id, tok).second)
        throw std::invalid_argument("ClipTokenizer: id " + std::to_string(id) + " is used twice");
    }
    for (std::size_t r = 0; r < merges.size() && r < kMaxMerges; ++r)
      ranks_.emplace(merges[r].first + ' ' + merges[r].second, static_cast<int>(r));
    if (auto it = encoder_.find("<|startoftext|>"); it != encoder_.end()) start_id = it->second;
    if (auto it = encoder_.find("<|endoftext|>"); it != encoder_.end()) end_id = pad_id = it->second;
  }

  // vocab.json (JSON object token -> id) and merges.txt (one "a b" pair per line; a
  // first line starting with '#', the "#version" header, is skipped).
  static ClipTokenizer from_files(const std::filesystem::path& vocab_json,
                                  const std::filesystem::path& merges_txt) {
    std::unordered_map<std::string, std::int64_t> vocab;
    {
      const std::string text = detail::clip_read_text_file(vocab_json, "vocab file");
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(text);
      } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error("ClipTokenizer: " + vocab_json.string() + " is not valid JSON (" +
                                 e.what() + ")");
      }
      if (!j.is_object())
        throw std::runtime_error("ClipTokenizer: " + vocab_json.string() +
                                 " must hold a JSON object token -> id");
      for (const auto& [k, v] : j.items()) {
        if (!v.is_number_integer())
          throw std::runtime_error("ClipTokenizer: " + vocab_json.string() + ": id of \"" + k +
                                   "\" is not an integer");
        vocab.emplace(k, v.get<std::int64_t>());
      }
    }
    std::vector<std::pair<std::string, std::string>> merges;
    {
      std::istringstream in(detail::clip_read_text_file(merges_txt, "merges file"));
      std::string line;
      std::size_t lineno = 0;
      while (std::getline(in, line)) {
        ++lineno;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (lineno == 1 && !line.empty() && line[0] == '#') continue;
        if (line.empty()) continue;
        const auto sp = line.find(' ');
        if (sp == std::string::npos || sp == 0 || sp + 1 == line.size() ||
            line.find(' ', sp + 1) != std::string::npos)
          throw std::runtime_error("ClipTokenizer: " + merges_txt.string() + " line " +
                                   std::to_string(lineno) + " is not a pair \"a b\": \"" + line + "\"");
        merges.emplace_back(line.substr(0, sp), line.substr(sp + 1));
      }
    }
    try {
      return ClipTokenizer(std::move(vocab), std::move(merges));
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(std::string(e.what()) + " (" + vocab_json.string() + ")");
    }
  }

  // A transformers/diffusers tokenizer folder: vocab.json + merges.txt, and the pad
  // token from special_tokens_map.json when that file names one in the vocabulary.
  static ClipTokenizer from_dir(const std::filesystem::path& dir) {
    if (!std::filesystem::is_directory(dir))
      throw std::runtime_error("ClipTokenizer: tokenizer folder " + dir.string() + " does not exist");
    ClipTokenizer t = from_files(dir / "vocab.json", dir / "merges.txt");
    const auto special = dir / "special_tokens_map.json";
    if (std::filesystem::exists(special)) {
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(detail::clip_read_text_file(special, "special tokens file"));
      } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error("ClipTokenizer: " + special.string() + " is not valid JSON (" +
                                 e.what() + ")");
      }
      if (auto it = j.find("pad_token"); it != j.end()) {
        std::string pad;
        if (it->is_string()) pad = it->get<std::string>();
        else if (it->is_object() && it->contains("content") && (*it)["content"].is_string())
          pad = (*it)["content"].get<std::string>();
        if (auto v = t.encoder_.find(pad); !pad.empty() && v != t.encoder_.end()) t.pad_id = v->second;
      }
    }
    return t;
  }

  std::size_t vocab_size() const { return encoder_.size(); }
  std::size_t num_merges() const { return ranks_.size(); }
  std::string name() const { return "clip-bpe(vocab=" + std::to_string(vocab_size()) + ")"; }

  // Id of a vocabulary entry (e.g. "a</w>"), or nullopt.
  std::optional<std::int64_t> token_id(const std::string& token) const {
    auto it = encoder_.find(token);
    if (it == encoder_.end()) return std::nullopt;
    return it->second;
  }

  // Text cleanup as encode() applies it: whitespace runs -> one space, stripped, lower-cased.
  static std::string normalize(const std::string& text) {
    return detail::clip_utf8_encode(normalize32(detail::clip_utf8_decode(text, "ClipTokenizer")));
  }

  // The pre-tokenised pieces of (already normalised) text, as UTF-8 strings.
  static std::vector<std::string> pre_tokenize(const std::string& text) {
    std::vector<std::string> out;
    for (auto& w : pre_tokenize32(normalize32(detail::clip_utf8_decode(text, "ClipTokenizer"))))
      out.push_back(detail::clip_utf8_encode(w));
    return out;
  }

  // BPE symbols of text (vocabulary strings such as "photo</w>"), no special tokens.
  std::vector<std::string> tokenize(const std::string& text) const {
    check_loaded("tokenize");
    std::vector<std::string> out;
    for (const auto& word : pre_tokenize32(normalize32(detail::clip_utf8_decode(text, "ClipTokenizer")))) {
      std::string utf8 = detail::clip_utf8_encode(word);
      if (utf8 == "<|startoftext|>" || utf8 == "<|endoftext|>") {
        out.push_back(std::move(utf8));
        continue;
      }
      std::string mapped;
      for (unsigned char b : utf8) detail::clip_utf8_append(detail::clip_byte_to_unicode()[b], mapped);
      auto pieces = bpe(mapped);
      out.insert(out.end(), pieces.begin(), pieces.end());
    }
    return out;
  }

  // Token ids of text without start/end tokens. Pieces missing from the vocabulary
  // map to <|endoftext|> (CLIP's unknown token).
  std::vector<std::int64_t> encode(const std::string& text) const {
    check_loaded("encode");
    std::vector<std::int64_t> ids;
    for (const auto& piece : tokenize(text)) {
      auto it = encoder_.find(piece);
      ids.push_back(it == encoder_.end() ? end_id : it->second);
    }
    return ids;
  }

  // [B, max_len] int64 (CPU): <|startoftext|>, at most max_len - 2 tokens, <|endoftext|>,
  // then pad_id up to max_len.
  torch::Tensor batch_encode(const std::vector<std::string>& texts, std::int64_t max_len = 77) const {
    if (max_len < 2)
      throw std::invalid_argument("ClipTokenizer::batch_encode: max_len must be at least 2, got " +
                                  std::to_string(max_len));
    auto out = torch::full({static_cast<std::int64_t>(texts.size()), max_len}, pad_id, torch::kLong);
    auto acc = out.accessor<std::int64_t, 2>();
    for (std::size_t b = 0; b < texts.size(); ++b) {
      auto ids = encode(texts[b]);
      const auto n = std::min<std::int64_t>(static_cast<std::int64_t>(ids.size()), max_len - 2);
      acc[b][0] = start_id;
      for (std::int64_t i = 0; i < n; ++i) acc[b][i + 1] = ids[static_cast<std::size_t>(i)];
      acc[b][n + 1] = end_id;
    }
    return out;
  }

  // Inverse mapping: concatenate the tokens, map code points back to bytes, turn
  // "</w>" into a space and strip (as CLIP's decode). With skip_special_tokens,
  // start/end/pad ids are dropped first. Throws std::out_of_range for unknown ids.
  std::string decode(const std::vector<std::int64_t>& ids, bool skip_special_tokens = false) const {
    check_loaded("decode");
    std::string joined;
    for (auto id : ids) {
      if (skip_special_tokens && (id == start_id || id == end_id || id == pad_id)) continue;
      auto it = decoder_.find(id);
      if (it == decoder_.end())
        throw std::out_of_range("ClipTokenizer::decode: id " + std::to_string(id) +
                                " is not in the vocabulary");
      joined += it->second;
    }
    static const auto byte_decoder = [] {
      std::unordered_map<char32_t, unsigned char> m;
      for (int b = 0; b < 256; ++b) m.emplace(detail::clip_byte_to_unicode()[b], static_cast<unsigned char>(b));
      return m;
    }();
    std::string bytes;
    for (char32_t c : detail::clip_utf8_decode(joined, "ClipTokenizer::decode")) {
      auto it = byte_decoder.find(c);
      if (it == byte_decoder.end())
        throw std::invalid_argument("ClipTokenizer::decode: vocabulary entry holds code point U+" +
                                    hex(c) + " outside the byte alphabet");
      bytes.push_back(static_cast<char>(it->second));
    }
    std::string text = detail::clip_utf8_sanitize(bytes);
    std::string out;
    for (std::size_t i = 0; i < text.size();) {
      if (text.compare(i, 4, "</w>") == 0) {
        out.push_back(' ');
        i += 4;
      } else {
        out.push_back(text[i++]);
      }
    }
    auto is_ws = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
    std::size_t a = 0, b = out.size();
    while (a < b && is_ws(out[a])) ++a;
    while (b > a && is_ws(out[b - 1])) --b;
    return out.substr(a, b - a);
  }

  std::string decode(const torch::Tensor& ids, bool skip_special_tokens = false) const {
    auto flat = ids.to(torch::kCPU, torch::kLong).contiguous().view(-1);
    return decode(std::vector<std::int64_t>(flat.data_ptr<std::int64_t>(),
                                            flat.data_ptr<std::int64_t>() + flat.numel()),
                  skip_special_tokens);
  }

 private:
  std::unordered_map<std::string, std::int64_t> encoder_;
  std::unordered_map<std::int64_t, std::string> decoder_;
  std::unordered_map<std::string, int> ranks_;
  std::shared_ptr<detail::ClipBpeCache> cache_;

  static constexpr std::size_t kMaxCacheEntries = 1u << 16;

  static std::string hex(char32_t c) {
    std::ostringstream s;
    s << std::hex << std::uppercase << static_cast<std::uint32_t>(c);
    return s.str();
  }

  void check_loaded(const char* what) const {
    if (encoder_.empty())
      throw std::logic_error(std::string("ClipTokenizer::") + what + ": tokenizer has no vocabulary");
  }

  static std::u32string normalize32(const std::u32string& text) {
    std::u32string collapsed;
    bool pending_space = false;
    for (char32_t c : text) {
      if (detail::clip_is_space(c)) {
        pending_space = !collapsed.empty();
        continue;
      }
      if (pending_space) collapsed.push_back(U' ');
      pending_space = false;
      collapsed.push_back(c);
    }
    std::u32string lowered;
    lowered.reserve(collapsed.size());
    for (char32_t c : collapsed) detail::clip_lower(c, lowered);
    return lowered;
  }

  // The CLIP pattern applied left to right (alternatives in the pattern's order).
  static std::vector<std::u32string> pre_tokenize32(const std::u32string& s) {
    using detail::ClipCharClass;
    static const std::u32string kLiterals[] = {U"<|startoftext|>", U"<|endoftext|>", U"'s", U"'t",
                                               U"'re", U"'ve", U"'m", U"'ll", U"'d"};
    std::vector<std::u32string> out;
    std::size_t i = 0;
    const std::size_t n = s.size();
    while (i < n) {
      const auto lit = std::find_if(std::begin(kLiterals), std::end(kLiterals),
                                    [&](const std::u32string& l) { return s.compare(i, l.size(), l) == 0; });
      if (lit != std::end(kLiterals)) {
        out.push_back(*lit);
        i += lit->size();
        continue;
      }
      const auto cls = detail::clip_char_class(s[i]);
      if (cls == ClipCharClass::Space) {
        ++i;
        continue;
      }
      if (cls == ClipCharClass::Number) {
        out.emplace_back(1, s[i]);
        ++i;
        continue;
      }
      std::size_t j = i + 1;
      while (j < n && detail::clip_char_class(s[j]) == cls) ++j;
      out.push_back(s.substr(i, j - i));
      i = j;
    }
    return out;
  }

  // BPE of one byte-mapped word; the result is cached.
  std::vector<std::string> bpe(const std::string& token) const {
    {
      std::lock_guard<std::mutex> lock(cache_->mutex);
      if (auto it = cache_->pieces.find(token); it != cache_->pieces.end()) return it->second;
    }
    std::vector<std::string> word;
    for (char32_t c : detail::clip_utf8_decode(token, "ClipTokenizer")) {
      word.emplace_back();
      detail::clip_utf8_append(c, word.back());
    }
    word.back() += "</w>";
    while (word.size() > 1) {
      int best = std::numeric_limits<int>::max();
      std::size_t best_i = 0;
      for (std::size_t i = 0; i + 1 < word.size(); ++i) {
        auto it = ranks_.find(word[i] + ' ' + word[i + 1]);
        if (it != ranks_.end() && it->second < best) best = it->second, best_i = i;
      }
      if (best == std::numeric_limits<int>::max()) break;
      const std::string first = word[best_i], second = word[best_i + 1];
      std::vector<std::string> merged;
      merged.reserve(word.size());
      for (std::size_t i = 0; i < word.size();) {
        if (i + 1 < word.size() && word[i] == first && word[i + 1] == second) {
          merged.push_back(first + second);
          i += 2;
        } else {
          merged.push_back(word[i++]);
        }
      }
      word = std::move(merged);
    }
    std::lock_guard<std::mutex> lock(cache_->mutex);
    if (cache_->pieces.size() >= kMaxCacheEntries) cache_->pieces.clear();
    cache_->pieces.emplace(token, word);
    return word;
  }
};

}  // namespace distdiff::models
