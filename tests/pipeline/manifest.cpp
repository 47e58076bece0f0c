// The generator's manifest on its own: append, read back, torn and malformed lines.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "distdiff/pipeline/manifest.hpp"
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

}  // namespace DISTDIFF_UNITY_ID
