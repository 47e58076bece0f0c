#pragma once
// The safetensors file format, without LibTorch: dtype table, header parser
// and validator, header serializer.
//
// Layout of a .safetensors file:
//   bytes [0, 8)        N, the header length, unsigned 64-bit little-endian
//   bytes [8, 8 + N)    UTF-8 JSON object:
//                         { "<name>": {"dtype": "F32", "shape": [2, 3],
//                                      "data_offsets": [begin, end]}, ...,
//                           "__metadata__": {"<key>": "<string value>", ...} }
//                       (may be padded with trailing spaces, 0x20, and
//                       nothing else)
//   bytes [8 + N, EOF)  the data buffer; offsets are relative to its start,
//                       little-endian, row-major.
//
// parse_safetensors() accepts exactly the files the reference implementation
// accepts (header length at most 100 000 000 bytes, tensors tiling the buffer
// with no gap or overlap) and additionally rejects duplicate JSON keys, which
// JSON libraries otherwise resolve silently. Each malformed input gives ONE
// std::runtime_error whose message starts with the file name.
//
// This header only needs the standard library and nlohmann/json, so fuzz
// targets can build it with clang without LibTorch (see fuzz/).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace distdiff::models {

enum class StDtype { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL };

struct StTensorInfo {
  std::string name;
  StDtype dtype;
  std::vector<std::int64_t> shape;
  std::uint64_t begin = 0, end = 0;  // byte offsets into the data buffer
};

struct StHeader {
  std::vector<StTensorInfo> tensors;  // sorted by name
  std::map<std::string, std::string> metadata;
  std::uint64_t header_size = 0;      // N: JSON bytes after the 8-byte length
  std::uint64_t data_size = 0;        // bytes of the data buffer
};

// Largest header the reader accepts (the reference implementation's limit).
inline constexpr std::uint64_t kSafetensorsMaxHeaderSize = 100'000'000;
// Reserved JSON key of the free-form string metadata.
inline constexpr std::string_view kSafetensorsMetadataKey = "__metadata__";

// Bytes per element.
inline constexpr std::size_t st_itemsize(StDtype d) {
  switch (d) {
    case StDtype::F64: case StDtype::I64: return 8;
    case StDtype::F32: case StDtype::I32: return 4;
    case StDtype::F16: case StDtype::BF16: case StDtype::I16: return 2;
    case StDtype::I8: case StDtype::U8: case StDtype::BOOL: return 1;
  }
  return 0;
}

// The dtype's spelling in the header ("F32", "BF16", "BOOL", ...).
inline constexpr std::string_view st_dtype_name(StDtype d) {
  switch (d) {
    case StDtype::F64: return "F64";
    case StDtype::F32: return "F32";
    case StDtype::F16: return "F16";
    case StDtype::BF16: return "BF16";
    case StDtype::I64: return "I64";
    case StDtype::I32: return "I32";
    case StDtype::I16: return "I16";
    case StDtype::I8: return "I8";
    case StDtype::U8: return "U8";
    case StDtype::BOOL: return "BOOL";
  }
  return "?";
}

inline std::optional<StDtype> st_dtype_from_name(std::string_view s) {
  for (StDtype d : {StDtype::F64, StDtype::F32, StDtype::F16, StDtype::BF16, StDtype::I64,
                    StDtype::I32, StDtype::I16, StDtype::I8, StDtype::U8, StDtype::BOOL}) {
    if (st_dtype_name(d) == s) return d;
  }
  return std::nullopt;
}

namespace detail {

// Deepest nesting a valid header needs: root object > entry object > shape array.
inline constexpr int kSafetensorsMaxDepth = 3;

inline std::string st_shape_string(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

// Quotes a name for an error message; names come from untrusted files.
inline std::string st_quote(std::string_view name) {
  constexpr std::size_t kMax = 200;
  std::string out = "'";
  for (std::size_t i = 0; i < name.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c == 0x7f) {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (name.size() > kMax) out += "...";
  return out + "'";
}

// Non-negative integer JSON value, or nullopt (negative, fractional, not a number).
inline std::optional<std::uint64_t> st_unsigned(const nlohmann::json& v) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer()) {
    const auto i = v.get<std::int64_t>();
    if (i >= 0) return static_cast<std::uint64_t>(i);
  }
  return std::nullopt;
}

}  // namespace detail

// Parses and validates a whole safetensors file held in memory ([data, data + size)).
// `filename` only prefixes error messages.
inline StHeader parse_safetensors(const std::uint8_t* data, std::size_t size,
                                  const std::string& filename) {
  using nlohmann::json;
  auto fail = [&](const std::string& what) -> std::runtime_error {
    return std::runtime_error(filename + ": invalid safetensors file: " + what);
  };
  if (size < 8) {
    throw fail("file is " + std::to_string(size) +
               " bytes long, too short for the 8-byte header length");
  }
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | data[i];
  if (n > kSafetensorsMaxHeaderSize) {
    throw fail("header length " + std::to_string(n) + " exceeds the limit of " +
               std::to_string(kSafetensorsMaxHeaderSize) + " bytes");
  }
  if (n > size - 8) {
    throw fail("header length " + std::to_string(n) + " exceeds the " +
               std::to_string(size - 8) + " bytes that follow it (file truncated?)");
  }

  // The JSON object fills the declared length, padded only with spaces (0x20).
  // Other bytes after it are an error: nlohmann's lexer would stop at a NUL and
  // skip other whitespace, so `{...}\0anything` or `{...}\n` would load.
  std::uint64_t json_end = n;
  while (json_end > 0 && data[8 + json_end - 1] == ' ') --json_end;
  if (const void* nul = std::memchr(data + 8, 0, json_end)) {
    throw fail("header has a NUL byte at offset " +
               std::to_string(static_cast<const std::uint8_t*>(nul) - (data + 8)) + " of its " +
               std::to_string(n) + " bytes (only spaces may follow the JSON object)");
  }

  // Parse, rejecting duplicate keys and nesting deeper than the format allows.
  std::vector<std::set<std::string>> open_objects;
  int depth = 0;
  auto callback = [&](int, json::parse_event_t event, json& parsed) -> bool {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        if (++depth > detail::kSafetensorsMaxDepth) {
          throw fail("header JSON is nested deeper than " +
                     std::to_string(detail::kSafetensorsMaxDepth) + " levels");
        }
        if (event == json::parse_event_t::object_start) open_objects.emplace_back();
        break;
      case json::parse_event_t::object_end:
        --depth;
        open_objects.pop_back();
        break;
      case json::parse_event_t::array_end:
        --depth;
        break;
      case json::parse_event_t::key: {
        const auto& key = parsed.get_ref<const std::string&>();
        if (!open_objects.back().insert(key).second) {
          throw fail("duplicate key " + detail::st_quote(key) + " in the header");
        }
        break;
      }
      case json::parse_event_t::value:
        break;
    }
    return true;
  };
  json j;
  try {
    j = json::parse(data + 8, data + 8 + json_end, callback);
  } catch (const json::exception& e) {
    throw fail(std::string("header is not valid JSON: ") + e.what());
  }
  if (!j.is_object()) {
    throw fail(std::string("header must be a JSON object, got ") + j.type_name());
  }
  if (data[8 + json_end - 1] != '}') {
    throw fail("header does not end with its JSON object: byte " + std::to_string(json_end - 1) +
               " of " + std::to_string(n) + " is " +
               detail::st_quote(std::string_view(reinterpret_cast<const char*>(data + 8 + json_end - 1), 1)) +
               " (only spaces may follow the JSON object)");
  }

  StHeader header;
  header.header_size = n;
  header.data_size = size - 8 - n;
  for (const auto& [name, entry] : j.items()) {
    const std::string where = "tensor " + detail::st_quote(name);
    if (name == kSafetensorsMetadataKey) {
      if (!entry.is_object()) {
        throw fail(std::string("__metadata__ must be an object of strings, got ") +
                   entry.type_name());
      }
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string()) {
          throw fail("__metadata__ value of " + detail::st_quote(key) + " must be a string, got " +
                     value.type_name());
        }
        header.metadata.emplace(key, value.get<std::string>());
      }
      continue;
    }
    if (!entry.is_object()) {
      throw fail(where + ": entry must be an object, got " + entry.type_name());
    }
    if (entry.size() != 3 || !entry.contains("dtype") || !entry.contains("shape") ||
        !entry.contains("data_offsets")) {
      std::string keys;
      for (const auto& [k, v] : entry.items()) keys += (keys.empty() ? "" : ", ") + detail::st_quote(k);
      throw fail(where + ": entry must have exactly the keys dtype, shape, data_offsets; has {" +
                 keys + "}");
    }
    StTensorInfo info;
    info.name = name;

    const json& dtype = entry["dtype"];
    if (!dtype.is_string()) throw fail(where + ": dtype must be a string");
    const auto parsed_dtype = st_dtype_from_name(dtype.get_ref<const std::string&>());
    if (!parsed_dtype) {
      throw fail(where + ": unknown dtype " + detail::st_quote(dtype.get_ref<const std::string&>()) +
                 " (known: F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL)");
    }
    info.dtype = *parsed_dtype;

    const json& shape = entry["shape"];
    if (!shape.is_array()) throw fail(where + ": shape must be an array of integers");
    std::uint64_t numel = 1;
    bool overflow = false;
    for (const json& dim : shape) {
      if (!dim.is_number_integer()) throw fail(where + ": shape entries must be integers");
      const auto d = detail::st_unsigned(dim);
      if (!d) throw fail(where + ": negative dimension " + dim.dump() + " in shape");
      if (*d > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        throw fail(where + ": dimension " + dim.dump() + " is too large");
      }
      info.shape.push_back(static_cast<std::int64_t>(*d));
      if (*d != 0 && numel > std::numeric_limits<std::uint64_t>::max() / *d) overflow = true;
      numel *= *d;
    }
    const std::uint64_t item = st_itemsize(info.dtype);
    if (numel > std::numeric_limits<std::uint64_t>::max() / item) overflow = true;
    const bool empty = std::find(info.shape.begin(), info.shape.end(), 0) != info.shape.end();
    if (overflow && !empty) throw fail(where + ": shape " + detail::st_shape_string(info.shape) +
                                       " has too many elements");
    const std::uint64_t nbytes = empty ? 0 : numel * item;

    const json& offsets = entry["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2) {
      throw fail(where + ": data_offsets must be an array [begin, end]");
    }
    const auto begin = detail::st_unsigned(offsets[0]);
    const auto end = detail::st_unsigned(offsets[1]);
    if (!begin || !end) throw fail(where + ": data_offsets must be non-negative integers");
    if (*begin > *end) {
      throw fail(where + ": data_offsets begin " + std::to_string(*begin) + " > end " +
                 std::to_string(*end));
    }
    info.begin = *begin;
    info.end = *end;
    if (info.end - info.begin != nbytes) {
      throw fail(where + ": data_offsets span " + std::to_string(info.end - info.begin) +
                 " bytes but dtype " + std::string(st_dtype_name(info.dtype)) + " with shape " +
                 detail::st_shape_string(info.shape) + " needs " + std::to_string(nbytes));
    }
    header.tensors.push_back(std::move(info));
  }

  // The tensors must tile [0, data_size) exactly.
  std::vector<const StTensorInfo*> by_offset;
  by_offset.reserve(header.tensors.size());
  for (const auto& t : header.tensors) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(), [](const StTensorInfo* a, const StTensorInfo* b) {
    return std::pair(a->begin, a->end) < std::pair(b->begin, b->end);
  });
  std::uint64_t expected = 0;
  const StTensorInfo* previous = nullptr;
  for (const StTensorInfo* t : by_offset) {
    if (t->begin > expected) {
      throw fail("gap in the data buffer: bytes [" + std::to_string(expected) + ", " +
                 std::to_string(t->begin) + ") before tensor " + detail::st_quote(t->name) +
                 " belong to no tensor");
    }
    if (t->begin < expected) {
      throw fail("tensor " + detail::st_quote(t->name) + " (bytes [" + std::to_string(t->begin) +
                 ", " + std::to_string(t->end) + ")) overlaps tensor " +
                 detail::st_quote(previous->name) + " (ends at byte " + std::to_string(expected) +
                 ")");
    }
    expected = t->end;
    previous = t;
  }
  if (expected != header.data_size) {
    throw fail("tensors end at byte " + std::to_string(expected) + " of the data buffer but it has " +
               std::to_string(header.data_size) + " bytes" +
               (expected > header.data_size ? " (file truncated?)" : ""));
  }
  return header;
}

// The header bytes of a file holding `tensors` (whose begin/end must already
// tile the buffer) and `metadata`: the 8-byte little-endian length followed by
// the JSON, padded with spaces so the data buffer starts at a multiple of 8.
// Metadata comes first, then the tensors in the given order. Throws
// std::invalid_argument for names that are not valid UTF-8 or are reserved.
inline std::string serialize_safetensors_header(const std::vector<StTensorInfo>& tensors,
                                                const std::map<std::string, std::string>& metadata) {
  using nlohmann::json;
  auto quoted = [](const std::string& s, const char* what) {
    try {
      return json(s).dump();
    } catch (const json::exception&) {
      throw std::invalid_argument(std::string("safetensors: ") + what + " " + detail::st_quote(s) +
                                  " is not valid UTF-8");
    }
  };
  std::string body = "{";
  bool first = true;
  if (!metadata.empty()) {
    body += "\"__metadata__\":{";
    bool first_meta = true;
    for (const auto& [k, v] : metadata) {
      if (!first_meta) body += ',';
      body += quoted(k, "metadata key") + ':' + quoted(v, "metadata value");
      first_meta = false;
    }
    body += '}';
    first = false;
  }
  for (const auto& t : tensors) {
    if (t.name == kSafetensorsMetadataKey) {
      throw std::invalid_argument("safetensors: tensor name '__metadata__' is reserved");
    }
    if (!first) body += ',';
    first = false;
    body += quoted(t.name, "tensor name") + ":{\"dtype\":\"" + std::string(st_dtype_name(t.dtype)) +
            "\",\"shape\":[";
    for (std::size_t i = 0; i < t.shape.size(); ++i) {
      if (i) body += ',';
      body += std::to_string(t.shape[i]);
    }
    body += "],\"data_offsets\":[" + std::to_string(t.begin) + ',' + std::to_string(t.end) + "]}";
  }
  body += '}';
  body.append((8 - body.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  std::uint64_t n = body.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out + body;
}

}  // namespace distdiff::models
