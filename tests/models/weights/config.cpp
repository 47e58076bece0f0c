// JSON config helpers: file errors and strictly typed lookups.
#include <catch2/catch.hpp>

#include "distdiff/models/weights/config.hpp"
#include "support/temp_dir.hpp"

#include <fstream>

using namespace distdiff::models;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("config: read_json_file", "[weights][config]") {
  distdiff::test::TempDir dir;
  const auto good = dir / "config.json";
  std::ofstream(good) << R"({"_class_name": "UNet2DConditionModel", "in_channels": 4,
                             "block_out_channels": [320, 640, 1280, 1280], "sample_size": null})";
  const auto j = read_json_file(good);
  REQUIRE(j["_class_name"] == "UNet2DConditionModel");

  const auto bad = dir / "bad.json";
  std::ofstream(bad) << R"({"in_channels": 4,, })";
  REQUIRE_THAT(error_of([&] { read_json_file(bad); }),
               StartsWith(bad.string() + ": JSON parse error:") && Contains("line 1"));
  REQUIRE_THAT(error_of([&] { read_json_file(dir / "missing.json"); }),
               StartsWith((dir / "missing.json").string() + ": no such file"));
  REQUIRE_THAT(error_of([&] { read_json_file(dir.path); }), Contains("is a folder"));
}

TEST_CASE("config: json_int takes an allowed range and shows the value as written", "[weights][config]") {
  const auto j = nlohmann::json::parse(R"({
    "layers": 2, "layers_huge": 1000000000, "channels": 4.6e18, "channels_int": 4600000000000000000,
    "wraps": 18446744073709551615, "neg": -1, "frac": 2.5})");
  REQUIRE(json_int(j, "layers", 1, 1, kConfigMaxLayers) == 2);
  REQUIRE(json_int(j, "absent", 7, 1, kConfigMaxLayers) == 7);
  REQUIRE(json_int(j, "neg", 0, -1, 1) == -1);
  REQUIRE_THAT(error_of([&] { json_int(j, "layers_huge", 1, 1, kConfigMaxLayers); }),
               Contains("config key 'layers_huge': expected an integer in [1, 64], got 1000000000"));
  REQUIRE_THAT(error_of([&] { json_int(j, "channels", 1, 1, kConfigMaxChannels); }),
               Contains("'channels': expected an integer in [1, 65536], got 4.6e+18"));
  REQUIRE_THAT(error_of([&] { json_int(j, "channels_int", 1, 1, kConfigMaxChannels); }),
               Contains("got 4600000000000000000"));
  // 2^64 - 1 does not fit int64: reported as written, not wrapped to -1.
  REQUIRE_THAT(error_of([&] { json_int(j, "wraps", 1, 1, kConfigMaxChannels); }),
               Contains("got 18446744073709551615"));
  REQUIRE_THAT(error_of([&] { json_int(j, "neg", 1, 0, kConfigMaxChannels); }), Contains("'neg'") && Contains("got -1"));
  REQUIRE_THAT(error_of([&] { json_int(j, "frac", 1, 0, kConfigMaxChannels); }), Contains("'frac'") && Contains("got 2.5"));
}

TEST_CASE("config: json_value is typed and names the key", "[weights][config]") {
  const auto j = nlohmann::json::parse(R"({
    "in_channels": 4, "scale": 0.18215, "eps": 1, "act_fn": "silu", "flip": true,
    "blocks": [320, 640], "names": ["a", "b"], "big": 5000000000, "neg": -3, "frac": 3.5,
    "nothing": null, "maybe": 7, "nested": {"x": 1, "y": 2}})");

  REQUIRE(json_value(j, "in_channels", 0) == 4);
  REQUIRE(json_value<std::int64_t>(j, "big", 0) == 5000000000LL);
  REQUIRE(json_value(j, "scale", 1.0) == Approx(0.18215));
  REQUIRE(json_value(j, "eps", 0.5) == 1.0);  // integers are valid floats
  REQUIRE(json_value(j, "act_fn", "gelu") == "silu");
  REQUIRE(json_value(j, "flip", false));
  REQUIRE(json_value<std::vector<std::int64_t>>(j, "blocks", {}) == std::vector<std::int64_t>{320, 640});
  REQUIRE(json_value<std::vector<std::string>>(j, "names", {}) == std::vector<std::string>{"a", "b"});
  REQUIRE(json_value<std::optional<int>>(j, "maybe", std::nullopt) == 7);
  REQUIRE(json_value<std::map<std::string, int>>(j, "nested", {}) == std::map<std::string, int>{{"x", 1}, {"y", 2}});
  REQUIRE(json_value<nlohmann::json>(j, "nested", {})["y"] == 2);

  // Absent or null keys give the fallback.
  REQUIRE(json_value(j, "absent", 42) == 42);
  REQUIRE(json_value(j, "nothing", 42) == 42);
  REQUIRE(json_value(j, "absent", "dflt") == "dflt");
  REQUIRE(json_required<int>(j, "in_channels") == 4);
  REQUIRE_THAT(error_of([&] { json_required<int>(j, "absent"); }),
               Contains("config key 'absent' is required but missing"));

  // Wrong types name the key, the expected and the actual type.
  REQUIRE_THAT(error_of([&] { json_value(j, "act_fn", 0); }),
               Contains("config key 'act_fn': expected an integer, got string \"silu\""));
  REQUIRE_THAT(error_of([&] { json_value(j, "frac", 0); }),
               Contains("config key 'frac': expected an integer, got number 3.5"));
  REQUIRE_THAT(error_of([&] { json_value(j, "big", 0); }), Contains("'big': expected an integer in range"));
  REQUIRE_THAT(error_of([&] { json_value<std::uint32_t>(j, "neg", 0u); }),
               Contains("'neg': expected a non-negative integer"));
  REQUIRE_THAT(error_of([&] { json_value<std::int8_t>(j, "blocks", 0); }), Contains("expected an integer"));
  REQUIRE_THAT(error_of([&] { json_value(j, "in_channels", std::string("x")); }),
               Contains("'in_channels': expected a string, got number 4"));
  REQUIRE_THAT(error_of([&] { json_value(j, "in_channels", true); }), Contains("expected a boolean"));
  REQUIRE_THAT(error_of([&] { json_value<std::vector<std::int64_t>>(j, "names", {}); }),
               Contains("config key 'names[0]': expected an integer"));
  REQUIRE_THAT(error_of([&] { json_value(nlohmann::json::array(), "k", 1); }),
               Contains("'k': looked up in a JSON array, not an object"));
}

}  // namespace DISTDIFF_UNITY_ID
