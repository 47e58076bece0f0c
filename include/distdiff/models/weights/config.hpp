#pragma once
// Reading model configuration files (diffusers config.json, transformers
// config.json, scheduler_config.json) with errors that name the file and key.
//
//   auto cfg = distdiff::models::read_json_file(dir / "config.json");
//   auto channels = distdiff::models::json_value<std::int64_t>(cfg, "in_channels", 4);
//   auto blocks = distdiff::models::json_value<std::vector<std::int64_t>>(
//       cfg, "block_out_channels", {320, 640, 1280, 1280});
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace distdiff::models {

// Parses a JSON file. Throws std::runtime_error naming the file when it is
// missing, unreadable or not valid JSON (with the parser's byte position).
inline nlohmann::json read_json_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw std::runtime_error(path.string() + ": no such file");
  if (std::filesystem::is_directory(path, ec)) {
    throw std::runtime_error(path.string() + ": is a folder, expected a JSON file");
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error(path.string() + ": cannot open");
  try {
    return nlohmann::json::parse(f);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path.string() + ": JSON parse error: " + e.what());
  }
}

// Ceilings of the structural integers of model configs (UNet, VAE, CLIP
// towers). Every published model lies far below them (SD 1.x/2.x/XL: at most 4
// levels, 10 transformer layers per block, 2048 channels, 128-latent samples;
// CLIP ViT-bigG: 48 layers, width 1664, 49408 tokens), and sizes above them
// would only fail later in an allocation or overflow a product of sizes: a
// typo or a corrupt file is rejected here, naming the key.
inline constexpr std::int64_t kConfigMaxLayers = 64;          // layers / blocks / levels / kernel sides
inline constexpr std::int64_t kConfigMaxChannels = 65536;     // channels, widths, dims, heads, groups
inline constexpr std::int64_t kConfigMaxSampleSize = 16384;   // image/latent/patch sides, position tables
inline constexpr std::int64_t kConfigMaxVocab = 1 << 20;      // vocabulary size

namespace detail {

// `v` as an integer in [lo, hi]; otherwise std::runtime_error naming the key,
// the range and the value as written (2^64 - 1 stays 18446744073709551615).
inline std::int64_t json_int_in(const nlohmann::json& v, const std::string& key, std::int64_t lo,
                                std::int64_t hi) {
  bool fits = false;
  if (v.is_number_unsigned()) {  // compared unsigned: no wrap of values above INT64_MAX
    const auto u = v.get<std::uint64_t>();
    fits = hi >= 0 && u <= static_cast<std::uint64_t>(hi) && (lo <= 0 || u >= static_cast<std::uint64_t>(lo));
  } else if (v.is_number_integer()) {
    const auto i = v.get<std::int64_t>();
    fits = lo <= i && i <= hi;
  }
  if (!fits) {
    std::string shown = v.dump();
    if (shown.size() > 80) shown = shown.substr(0, 77) + "...";
    throw std::runtime_error("config key '" + key + "': expected an integer in [" + std::to_string(lo) + ", " +
                             std::to_string(hi) + "], got " + shown);
  }
  return v.get<std::int64_t>();
}

// json_int_in for a model config reader: the error is std::invalid_argument
// prefixed with `who` (the reader or the file), as the readers' other errors.
inline std::int64_t config_int_in(const std::string& who, const nlohmann::json& v, const std::string& key,
                                  std::int64_t lo, std::int64_t hi) {
  try {
    return json_int_in(v, key, lo, hi);
  } catch (const std::runtime_error& e) {
    throw std::invalid_argument(who + ": " + e.what());
  }
}

template <class T>
struct json_is_vector : std::false_type {};
template <class T, class A>
struct json_is_vector<std::vector<T, A>> : std::true_type {};

template <class T>
struct json_is_optional : std::false_type {};
template <class T>
struct json_is_optional<std::optional<T>> : std::true_type {};

template <class T>
struct json_is_string_map : std::false_type {};
template <class T, class C, class A>
struct json_is_string_map<std::map<std::string, T, C, A>> : std::true_type {};

[[noreturn]] inline void json_type_error(const std::string& key, const char* expected,
                                         const nlohmann::json& v) {
  std::string shown = v.dump();
  if (shown.size() > 80) shown = shown.substr(0, 77) + "...";
  throw std::runtime_error("config key '" + key + "': expected " + expected + ", got " +
                           v.type_name() + " " + shown);
}

// Converts `v` to T, strictly: no float-to-int truncation, no out-of-range
// integers, no number-to-string or string-to-number conversion.
template <class T>
T json_convert(const nlohmann::json& v, const std::string& key) {
  if constexpr (std::is_same_v<T, nlohmann::json>) {
    return v;
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!v.is_boolean()) json_type_error(key, "a boolean", v);
    return v.get<bool>();
  } else if constexpr (std::is_integral_v<T>) {
    if (!v.is_number_integer()) json_type_error(key, "an integer", v);
    if (v.is_number_unsigned()) {
      const auto u = v.get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) {
        json_type_error(key, "an integer in range", v);
      }
      return static_cast<T>(u);
    }
    const auto i = v.get<std::int64_t>();
    if constexpr (std::is_unsigned_v<T>) {
      if (i < 0) json_type_error(key, "a non-negative integer", v);
      if (static_cast<std::uint64_t>(i) > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) {
        json_type_error(key, "an integer in range", v);
      }
    } else {
      if (i < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
          i > static_cast<std::int64_t>(std::numeric_limits<T>::max())) {
        json_type_error(key, "an integer in range", v);
      }
    }
    return static_cast<T>(i);
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!v.is_number()) json_type_error(key, "a number", v);
    return v.get<T>();
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!v.is_string()) json_type_error(key, "a string", v);
    return v.get<std::string>();
  } else if constexpr (json_is_optional<T>::value) {
    if (v.is_null()) return T{};
    return T{json_convert<typename T::value_type>(v, key)};
  } else if constexpr (json_is_vector<T>::value) {
    if (!v.is_array()) json_type_error(key, "an array", v);
    T out;
    out.reserve(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) {
      out.push_back(json_convert<typename T::value_type>(v[i], key + "[" + std::to_string(i) + "]"));
    }
    return out;
  } else if constexpr (json_is_string_map<T>::value) {
    if (!v.is_object()) json_type_error(key, "an object", v);
    T out;
    for (const auto& [k, item] : v.items()) {
      out.emplace(k, json_convert<typename T::mapped_type>(item, key + "." + k));
    }
    return out;
  } else {
    try {
      return v.get<T>();
    } catch (const nlohmann::json::exception& e) {
      throw std::runtime_error("config key '" + key + "': " + e.what());
    }
  }
}

inline const nlohmann::json* json_find(const nlohmann::json& j, const std::string& key) {
  if (!j.is_object()) {
    throw std::runtime_error("config key '" + key + "': looked up in a JSON " + j.type_name() +
                             ", not an object");
  }
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return nullptr;
  return &*it;
}

}  // namespace detail

// j[key] as T, or `fallback` when the key is absent or null. A present value of
// the wrong type (a string for an integer, 3.5 for an integer, an integer out of
// T's range, ...) throws std::runtime_error naming the key. T may be bool, any
// integer or floating type, std::string, std::vector<U>, std::optional<U>,
// std::map<std::string, U>, nlohmann::json, or any type nlohmann can convert to.
template <class T>
T json_value(const nlohmann::json& j, const std::string& key, const T& fallback) {
  const nlohmann::json* v = detail::json_find(j, key);
  return v ? detail::json_convert<T>(*v, key) : fallback;
}

// String keys with a literal fallback: json_value(cfg, "act_fn", "silu").
inline std::string json_value(const nlohmann::json& j, const std::string& key, const char* fallback) {
  return json_value<std::string>(j, key, std::string(fallback));
}

// j[key] as an integer in [lo, hi] (see the kConfigMax* ceilings), or
// `fallback` when the key is absent or null; a value outside the range or not
// an integer throws std::runtime_error naming the key and the value.
inline std::int64_t json_int(const nlohmann::json& j, const std::string& key, std::int64_t fallback,
                             std::int64_t lo, std::int64_t hi) {
  const nlohmann::json* v = detail::json_find(j, key);
  return v ? detail::json_int_in(*v, key, lo, hi) : fallback;
}

// j[key] as T; throws std::runtime_error naming the key when absent or null.
template <class T>
T json_required(const nlohmann::json& j, const std::string& key) {
  const nlohmann::json* v = detail::json_find(j, key);
  if (!v) throw std::runtime_error("config key '" + key + "' is required but missing");
  return detail::json_convert<T>(*v, key);
}

}  // namespace distdiff::models
