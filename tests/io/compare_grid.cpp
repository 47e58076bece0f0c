// compare_grid: rows of seed images common to several runs, their cells pixel
// for pixel, and the errors that name a run folder.
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "distdiff/data/in_memory.hpp"
#include "distdiff/io/compare_grid.hpp"
#include "distdiff/io/image_io.hpp"
#include "support/fake_run.hpp"
#include "support/temp_dir.hpp"

using namespace distdiff;
using Catch::Contains;
namespace fs = std::filesystem;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {

// Six 4x4 seed images, two per class a, b, c (labels 0, 1, 2), sources "memory:<i>".
InMemoryDataset seed_set() {
  std::mt19937 rng(1);
  InMemoryDataset ds;
  ds.classes = {"a", "b", "c"};
  for (int i = 0; i < 6; ++i) ds.add(test::noise_image(rng, 4, 4), i / 2);
  return ds;
}

// A run of the seeds [0, seeds) with `samples` expansions each, written in
// sample-descending order (the grid must sort them).
void write_run(const fs::path& run, const InMemoryDataset& ds, int seeds, int samples, unsigned seed) {
  std::mt19937 rng(seed);
  for (int s = 0; s < seeds; ++s)
    for (int i = samples - 1; i >= 0; --i)
      test::add_generated(run, ds.classes[std::size_t(ds.label(std::size_t(s)))], ds.label(std::size_t(s)), s, i,
                          ds.source(std::size_t(s)), test::noise_image(rng, 4, 4));
}

// Cell (row, col) of a sheet with `cell`-px cells and 2 px padding equals
// `expected` enlarged `factor` times by nearest neighbour.
void check_cell(const Image& sheet, int row, int col, int cell, int factor, const Image& expected) {
  const int x0 = 2 + col * (cell + 2), y0 = 2 + row * (cell + 2);
  for (int y = 0; y < cell; ++y)
    for (int x = 0; x < cell; ++x)
      for (int c = 0; c < 3; ++c)
        if (sheet.at(x0 + x, y0 + y, c) != expected.at(x / factor, y / factor, c)) {
          FAIL("row " << row << " column " << col << " pixel (" << x << ", " << y << ") channel " << c);
        }
}

}  // namespace

TEST_CASE("compare_grid: a row per class, the seed then each run's first expansions", "[io][compare_grid]") {
  test::TempDir tmp;
  const auto ds = seed_set();
  write_run(tmp / "run_a", ds, 6, 3, 2);
  write_run(tmp / "run_b", ds, 5, 2, 3);   // lacks seed 5
  write_png(tmp / "run_a" / "grid.png", Image(30, 30, 3));   // not an expansion
  const std::vector<CompareRun> runs{CompareRun::read(tmp / "run_a"), CompareRun::read(tmp / "run_b")};
  REQUIRE(runs[0].entries.size() == 18);

  const auto rows = plan_compare_rows(runs, {});
  REQUIRE(rows.size() == 3);   // one seed per class, class order
  CHECK(rows[0].class_name == "a");
  CHECK(rows[0].seed.seed_index == 0);
  CHECK(rows[1].seed.seed_index == 2);
  CHECK(rows[2].seed.seed_index == 4);
  CHECK(rows[2].seed_key == "memory:4");
  REQUIRE(rows[1].expansions.size() == 2);
  CHECK(rows[1].expansions[0][0].sample == 0);
  CHECK(rows[1].expansions[0][1].sample == 1);

  const SeedImageFinder seeds(ds);
  const auto g = render_compare_grid(rows, runs.size(), 2,
                                     [&](const CompareRow& r) { return seeds.find(r.seed.seed_source).value(); }, 3);
  CHECK(g.missing.empty());
  CHECK(g.upscale == 3);
  REQUIRE(g.columns == 5);
  REQUIRE(g.sheet.width == 5 * (12 + 2) + 2);
  REQUIRE(g.sheet.height == 3 * (12 + 2) + 2);
  CHECK(int(g.sheet.at(1, 1, 0)) == 255);   // white padding
  CHECK(int(g.sheet.at(14, 20, 2)) == 255);
  for (int r = 0; r < 3; ++r) {
    check_cell(g.sheet, r, 0, 12, 3, ds.load(std::size_t(2 * r)));
    for (int k = 0; k < 2; ++k)
      for (int i = 0; i < 2; ++i)
        check_cell(g.sheet, r, 1 + 2 * k + i, 12, 3,
                   read_image(runs[std::size_t(k)].folder / ds.classes[std::size_t(r)] /
                              (std::to_string(2 * r) + "_" + std::to_string(i) + ".png")));
  }

  const auto text = describe_compare_grid(runs, {"A", ""}, rows, 2, g);
  CHECK_THAT(text, Contains("1: seed image"));
  CHECK_THAT(text, Contains("2: " + (tmp / "run_a").string() + " [A], expansion 1"));
  CHECK_THAT(text, Contains("5: " + (tmp / "run_b").string() + ", expansion 2"));
  CHECK_THAT(text, Contains("3: class 'c' (label 2), seed_index 4, seed memory:4"));

  // Without a seed column, automatic upscaling: 4 px cells become 64 px.
  const auto plain = render_compare_grid(rows, runs.size(), 1, {});
  CHECK(plain.upscale == 16);
  CHECK(plain.columns == 2);
  CHECK(plain.sheet.width == 2 * (64 + 2) + 2);
  check_cell(plain.sheet, 0, 1, 64, 16, read_image(tmp / "run_b" / "a" / "0_0.png"));
}

TEST_CASE("compare_grid: classes, seeds per class and missing expansions", "[io][compare_grid]") {
  test::TempDir tmp;
  const auto ds = seed_set();
  write_run(tmp / "run_a", ds, 6, 3, 2);
  write_run(tmp / "run_b", ds, 5, 2, 3);
  const std::vector<CompareRun> runs{CompareRun::read(tmp / "run_a"), CompareRun::read(tmp / "run_b")};

  // Rows stay in class order; seed 5 (class c) is not in run_b.
  const auto rows = plan_compare_rows(runs, {.classes = {"c", "a"}, .per_class = 2, .per_seed = 3});
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].seed.seed_index == 0);
  CHECK(rows[1].seed.seed_index == 1);
  CHECK(rows[2].seed.seed_index == 4);
  CHECK(rows[0].expansions[0].size() == 3);
  CHECK(rows[0].expansions[1].size() == 2);

  const auto g = render_compare_grid(rows, runs.size(), 3, {}, 1);
  REQUIRE(g.missing.size() == 3);
  CHECK_THAT(g.missing[0], Contains("row 1, run 2: only 2 of 3"));
  Image grey(4, 4, 3);
  std::fill(grey.pixels.begin(), grey.pixels.end(), std::uint8_t{128});
  check_cell(g.sheet, 0, 5, 4, 1, grey);
  check_cell(g.sheet, 0, 4, 4, 1, read_image(tmp / "run_b" / "a" / "0_1.png"));
}

TEST_CASE("compare_grid errors name the run folder", "[io][compare_grid]") {
  test::TempDir tmp;
  const auto ds = seed_set();
  write_run(tmp / "run_a", ds, 2, 1, 2);
  fs::create_directories(tmp / "empty");
  CHECK_THROWS_WITH(CompareRun::read(tmp / "empty"),
                    Contains((tmp / "empty").string()) && Contains("no manifest.jsonl"));
  CHECK_THROWS_WITH(CompareRun::read(tmp / "absent"), Contains((tmp / "absent").string()) && Contains("not a folder"));

  // Other seed images: nothing in common.
  std::mt19937 rng(5);
  test::add_generated(tmp / "run_c", "a", 0, 0, 0, "elsewhere:0", test::noise_image(rng, 4, 4));
  const std::vector<CompareRun> runs{CompareRun::read(tmp / "run_a"), CompareRun::read(tmp / "run_c")};
  CHECK_THROWS_WITH(plan_compare_rows(runs, {}), Contains("no seed image is common to all runs") &&
                                                     Contains((tmp / "run_c").string() + " (1 seed images)"));

  const std::vector<CompareRun> one{CompareRun::read(tmp / "run_a")};
  CHECK_THROWS_WITH(plan_compare_rows(one, {.classes = {"zebra"}}),
                    Contains("no run has class 'zebra'") && Contains("'a'"));
  CHECK_THROWS_WITH(plan_compare_rows(one, {.per_seed = 0}), Contains("per_seed must be >= 1"));
}

TEST_CASE("SeedImageFinder: image files directly, dataset sources by resolved path", "[io][compare_grid]") {
  test::TempDir tmp;
  std::mt19937 rng(6);
  const auto img = test::noise_image(rng, 3, 2);
  write_png(tmp / "seed.png", img);
  const SeedImageFinder files;
  CHECK_FALSE(files.has_dataset());
  CHECK(files.find((tmp / "seed.png").string()).value().pixels == img.pixels);
  CHECK_FALSE(files.find("memory:0").has_value());

  // A dataset whose sources are "<file>#<record>" under another spelling of the folder.
  fs::create_directories(tmp / "sub");
  { std::ofstream(tmp / "records.bin") << "x"; }
  InMemoryDataset ds;
  ds.classes = {"a"};
  const auto other = test::noise_image(rng, 3, 2);
  ds.add(img, 0, (tmp / "sub" / ".." / "records.bin").string() + "#0");
  ds.add(other, 0, (tmp / "sub" / ".." / "records.bin").string() + "#1");
  const SeedImageFinder finder(ds);
  CHECK(finder.has_dataset());
  CHECK(finder.find((tmp / "records.bin").string() + "#1").value().pixels == other.pixels);
  CHECK_FALSE(finder.find((tmp / "records.bin").string() + "#2").has_value());
}

TEST_CASE("upscale_nearest and default_upscale", "[io][compare_grid]") {
  Image img(2, 1, 1);
  img.pixels = {10, 20};
  const auto up = upscale_nearest(img, 3);
  REQUIRE(up.width == 6);
  REQUIRE(up.height == 3);
  CHECK(int(up.at(2, 2, 0)) == 10);
  CHECK(int(up.at(3, 0, 0)) == 20);
  CHECK(default_upscale(32, 32) == 2);
  CHECK(default_upscale(28, 30) == 3);
  CHECK(default_upscale(512, 512) == 1);
  CHECK_THROWS_AS(upscale_nearest(img, 0), std::invalid_argument);
}

}  // namespace DISTDIFF_UNITY_ID
