// The generator's manifest on its own: append, read back, torn and malformed lines.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "distdiff/io/manifest.hpp"
#include "support/data_writers.hpp"
#include "support/temp_dir.hpp"

using Catch::Contains;
using distdiff::test::write_text;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {

distdiff::ManifestEntry entry(int i) {
  distdiff::ManifestEntry e;
  e.file = "c" + std::to_string(i % 2) + "/" + std::to_string(i) + "_0.png";
  e.class_name = "c" + std::to_string(i % 2);
  e.label = i % 2;
  e.seed_index = i;
  e.sample = 0;
  e.random_seed = 1000u + unsigned(i);
  e.energy_before = 0.5 + i;
  return e;
}

}  // namespace

TEST_CASE("manifest: append and read back, missing file is empty", "[pipeline][manifest]") {
  distdiff::test::TempDir tmp("manifest");
  const auto jsonl = tmp / "manifest.jsonl";
  CHECK(distdiff::read_manifest(jsonl).empty());
  distdiff::append_manifest(jsonl, {entry(0), entry(1)});
  distdiff::append_manifest(jsonl, {entry(2)});
  const auto back = distdiff::read_manifest(jsonl);
  REQUIRE(back.size() == 3);
  for (int i = 0; i < 3; ++i) {
    CHECK(back[std::size_t(i)].file == entry(i).file);
    CHECK(back[std::size_t(i)].seed_index == i);
    CHECK(back[std::size_t(i)].random_seed == 1000u + unsigned(i));
    CHECK(back[std::size_t(i)].energy_before == entry(i).energy_before);
    CHECK(!back[std::size_t(i)].energy_after.has_value());
  }
}

TEST_CASE("manifest: a torn last line is skipped and cut before appending", "[pipeline][manifest]") {
  distdiff::test::TempDir tmp("manifest-torn");
  const auto jsonl = tmp / "manifest.jsonl";
  write_text(jsonl, entry(0).to_json().dump() + "\n" + entry(1).to_json().dump().substr(0, 12));
  CHECK(distdiff::read_manifest(jsonl).size() == 1);
  distdiff::append_manifest(jsonl, {entry(2)});
  const auto back = distdiff::read_manifest(jsonl);
  REQUIRE(back.size() == 2);
  CHECK(back[1].seed_index == 2);
}

TEST_CASE("manifest: a malformed line is one error naming the line", "[pipeline][manifest]") {
  distdiff::test::TempDir tmp("manifest-bad");
  const auto jsonl = tmp / "manifest.jsonl";
  const std::string good = entry(0).to_json().dump() + "\n";
  write_text(jsonl, good + "{not json\n" + good);
  CHECK_THROWS_WITH(distdiff::read_manifest(jsonl), Contains("line 2") && Contains("invalid JSON"));
  write_text(jsonl, good + R"({"file": "a.png", "class": "c0"})" + "\n");
  CHECK_THROWS_WITH(distdiff::read_manifest(jsonl), Contains("line 2") && Contains("missing field \"label\""));
  write_text(jsonl, R"({"file": "a.png", "class": "c0", "label": "zero"})" "\n");
  CHECK_THROWS_WITH(distdiff::read_manifest(jsonl), Contains("line 1") && Contains("wrong type"));
  write_text(jsonl, "[1, 2]\n");
  CHECK_THROWS_WITH(distdiff::read_manifest(jsonl), Contains("expected a JSON object"));
}

TEST_CASE("manifest: integers are strict, keys unique, files inside the folder", "[pipeline][manifest]") {
  distdiff::test::TempDir tmp("manifest-strict");
  const auto jsonl = tmp / "manifest.jsonl";
  // Each case replaces one field of a good line; the error names the file, line 2 and the key.
  auto with = [&](const std::string& key, const nlohmann::json& value) {
    auto j = entry(1).to_json();
    j[key] = value;
    return j.dump();
  };
  struct Case {
    std::string key, text;
  };
  const std::vector<Case> bad = {
      {"label", R"({"file": "c1/1_0.png", "class": "c1", "label": 0.9})"},
      {"label", R"({"file": "c1/1_0.png", "class": "c1", "label": true})"},
      {"seed_index", with("seed_index", 1.99)},
      {"sample", R"({"file": "c1/1_0.png", "class": "c1", "label": 1, "sample": 1e30})"},
      {"batch", with("batch", 2.5)},
      {"seed_index", R"({"file": "c1/1_0.png", "class": "c1", "label": 1, "seed_index": 9223372036854775808})"},
      {"random_seed", with("random_seed", -1)},
      {"random_seed", with("random_seed", 1.0)},
      {"random_seed", R"({"file": "c1/1_0.png", "class": "c1", "label": 1, "random_seed": 18446744073709551616})"},
      {"guided_timesteps[1]", with("guided_timesteps", {981, 961.5})},
      {"energy_before", with("energy_before", "0.5")},
  };
  const std::string good = entry(0).to_json().dump() + "\n";
  for (const auto& c : bad) {
    INFO(c.text);
    write_text(jsonl, good + c.text + "\n");
    CHECK_THROWS_WITH(distdiff::read_manifest(jsonl), Contains(jsonl.string()) && Contains("line 2") &&
                                                          Contains("field \"" + c.key + "\"") && Contains("wrong type"));
  }
  // The extremes that do fit are kept exactly.
  write_text(jsonl, R"({"file": "a.png", "class": "c", "label": -9223372036854775808, )"
                    R"("seed_index": 9223372036854775807, "random_seed": 18446744073709551615})" "\n");
  const auto back = distdiff::read_manifest(jsonl);
  REQUIRE(back.size() == 1);
  CHECK(back[0].label == INT64_MIN);
  CHECK(back[0].seed_index == INT64_MAX);
  CHECK(back[0].random_seed == UINT64_MAX);

  // nlohmann would keep the last value of a repeated key, and stop at a NUL byte.
  write_text(jsonl, good + R"({"file": "c1/1_0.png", "class": "c1", "label": 1, "label": 0})" "\n");
  CHECK_THROWS_WITH(distdiff::read_manifest(jsonl), Contains("line 2") && Contains("duplicate key \"label\""));
  write_text(jsonl, R"({"file": "a.png", "class": "c", "label": 0, "x": {"k": 1, "k": 2}})" "\n");
  CHECK_THROWS_WITH(distdiff::read_manifest(jsonl), Contains("line 1") && Contains("duplicate key \"k\""));
  write_text(jsonl, good + R"({"file": "c1/1_0.png", "class": "c1", "label": 1})" + std::string(1, '\0') + "{}\n");
  CHECK_THROWS_WITH(distdiff::read_manifest(jsonl), Contains("line 2") && Contains("NUL byte"));

  // A path leaving the output folder, lexically.
  for (const char* file : {"../outside.png", "c1/../../outside.png", "/tmp/abs.png", ""}) {
    INFO(file);
    write_text(jsonl, good + with("file", file) + "\n");
    CHECK_THROWS_WITH(distdiff::read_manifest(jsonl),
                      Contains("line 2") && Contains("\"file\" must be a relative path inside the output folder"));
  }
  write_text(jsonl, with("file", "c1/../c0/./0_0.png") + "\n");  // stays inside: allowed
  CHECK(distdiff::read_manifest(jsonl).size() == 1);
}

}  // namespace DISTDIFF_UNITY_ID
