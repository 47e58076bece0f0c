// Split runs (pipeline/expand.hpp with ExpandConfig::shard, pipeline/merge.hpp):
// shards write byte-identical files to a one-process run whatever the split;
// a shard killed mid-run and rerun redoes only its missing units; two
// processes given the same units never record one twice; merge reports what
// is missing by shard, and refuses duplicates and shards with other settings.
// The kills and the concurrent processes are real: fork()ed children.
#include <catch2/catch.hpp>

#include <signal.h>

#include <fstream>
#include <map>
#include <set>

#include "distdiff/composition/named.hpp"
#include "distdiff/data/shapes.hpp"
#include "distdiff/models/stable_diffusion.hpp"
#include "distdiff/pipeline/expand.hpp"
#include "distdiff/pipeline/merge.hpp"
#include "support/child_process.hpp"
#include "support/pinned_threads.hpp"
#include "support/run_files.hpp"

using namespace distdiff;
namespace fs = std::filesystem;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

using distdiff::test::Child;
using distdiff::test::fresh_dir;
using distdiff::test::temporaries_in;
using distdiff::test::read_bytes;

namespace {
ExpandConfig config(const fs::path& out, Shard shard = {}) {
  ExpandConfig c;
  c.output_dir = out;
  c.expansion_factor = 2;
  c.batch_size = 1;  // 8 units
  c.image_size = 32;
  c.seed = 17;
  c.grid_seeds = 2;
  c.max_seed_images = 4;
  c.guidance.num_inference_steps = 8;
  c.guidance.guidance_scale = 5.0;
  c.shard = std::move(shard);
  return c;
}

Paper method() {
  Paper m;
  m.schedule.m = 3;
  m.group_prototypes.k = 1;
  return m;
}

Shard shard(std::int64_t i, std::int64_t n) { return parse_shard(std::to_string(i) + "/" + std::to_string(n)); }

// Every file of a run but run.json and shards/ (a split run's own records).
std::map<std::string, std::string> outputs(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& f : fs::recursive_directory_iterator(dir)) {
    const auto rel = fs::relative(f.path(), dir).string();
    if (f.is_regular_file() && rel != "run.json" && rel.rfind("shards/", 0) != 0) files[rel] = read_bytes(f.path());
  }
  return files;
}

std::vector<std::pair<std::int64_t, std::int64_t>> units_of(const fs::path& jsonl) {
  std::vector<std::pair<std::int64_t, std::int64_t>> u;
  for (const auto& e : read_manifest(jsonl)) u.push_back({e.seed_index, e.sample});
  return u;
}

void check_each_unit_once(const fs::path& out, std::size_t expected) {
  const auto u = units_of(out / "manifest.jsonl");
  CHECK(u.size() == expected);
  CHECK(std::set(u.begin(), u.end()).size() == expected);
}
}  // namespace

TEST_CASE("shards: a split run writes the files of a one-process run, whatever the split", "[pipeline][shards]") {
  const test::PinnedThreads pinned(1);
  const auto base = fresh_dir("shards", "split");
  const auto data = make_shapes_dataset(1, 32, 3);
  const auto models = models::tiny_random_models(RuntimeOptions{}, 11);
  const auto one = expand(method(), models, data, config(base / "one"), nullptr);
  CHECK(one.merged);
  const auto reference = outputs(base / "one");
  REQUIRE(reference.count("manifest.jsonl"));
  REQUIRE(reference.count("prototypes.safetensors"));

  for (const std::int64_t n : {2, 3}) {
    const auto out = base / ("split" + std::to_string(n));
    std::int64_t generated = 0;
    for (std::int64_t i = n - 1; i >= 0; --i) {  // any order: the last one to finish merges
      const auto r = expand(method(), models, data, config(out, shard(i, n)), nullptr);
      generated += r.images_generated;
      CHECK(r.merged == (i == 0));
      if (i > 0) CHECK_FALSE(fs::exists(out / "manifest.jsonl"));
    }
    CHECK(generated == 8);
    CHECK(outputs(out) == reference);
    for (std::int64_t i = 0; i < n; ++i) CHECK(fs::exists(out / "shards" / ("run." + shard(i, n).tag() + ".json")));
    check_each_unit_once(out, 8);
  }
}

TEST_CASE("shards: a shard killed mid-run is rerun by the same command and redoes only its missing units",
          "[pipeline][shards][crash]") {
  const test::PinnedThreads pinned(1);  // parent and children compute alike (and no thread pool crosses fork)
  const auto base = fresh_dir("shards", "kill");
  const auto data = make_shapes_dataset(1, 32, 3);
  const auto models = models::tiny_random_models(RuntimeOptions{}, 11);
  expand(method(), models, data, config(base / "one"), nullptr);
  const auto out = base / "split";

  Child killed([&] {
    expand(method(), models, data, config(out, shard(1, 2)), [](const ExpandProgress& p) {
      if (p.done == 2) raise(SIGKILL);  // after 2 of its 4 units
    });
  });
  REQUIRE(killed.wait() == SIGKILL);
  CHECK(units_of(out / "shards" / "manifest.1-of-2.jsonl").size() == 2);

  const auto first = expand(method(), models, data, config(out, shard(0, 2)), nullptr);
  CHECK(first.images_generated == 4);
  CHECK_FALSE(first.merged);  // shard 1 is not done
  // merge by hand: the missing units, by shard and batch
  {
    const distdiff::detail::FileLock lock(RunPaths{out}.lock());
    CHECK_THROWS_WITH(merge_run(out, data, 2),
                      Catch::Contains("2 of 8 images missing") && Catch::Contains("shard 1/2: 2 batch(es): 5 7"));
  }

  const auto rerun = expand(method(), models, data, config(out, shard(1, 2)), nullptr);
  CHECK(rerun.images_skipped == 2);
  CHECK(rerun.images_generated == 2);
  CHECK(rerun.merged);
  CHECK(outputs(out) == outputs(base / "one"));
  check_each_unit_once(out, 8);
  CHECK(temporaries_in(out) == 0);
  const auto part = units_of(out / "shards" / "manifest.1-of-2.jsonl");
  CHECK(std::set(part.begin(), part.end()).size() == part.size());
}

TEST_CASE("shards: two processes given the same units never record one twice", "[pipeline][shards]") {
  const test::PinnedThreads pinned(1);
  const auto base = fresh_dir("shards", "twice");
  const auto data = make_shapes_dataset(1, 32, 3);
  const auto models = models::tiny_random_models(RuntimeOptions{}, 11);
  expand(method(), models, data, config(base / "one"), nullptr);
  const auto out = base / "split";

  // Shard 0/2 started twice at once, then shard 1/2.
  Child a([&] { expand(method(), models, data, config(out, shard(0, 2)), nullptr); });
  Child b([&] { expand(method(), models, data, config(out, shard(0, 2)), nullptr); });
  CHECK(a.wait() == -1);
  CHECK(b.wait() == -1);
  const auto part = units_of(out / "shards" / "manifest.0-of-2.jsonl");
  CHECK(part.size() == 4);
  CHECK(std::set(part.begin(), part.end()).size() == 4);
  const auto last = expand(method(), models, data, config(out, shard(1, 2)), nullptr);
  CHECK(last.merged);
  check_each_unit_once(out, 8);
  CHECK(outputs(out) == outputs(base / "one"));

  // A whole run started twice at once, one process each: the same.
  const auto both = base / "both";
  Child c([&] { expand(method(), models, data, config(both), nullptr); });
  Child d([&] { expand(method(), models, data, config(both), nullptr); });
  CHECK(c.wait() == -1);
  CHECK(d.wait() == -1);
  check_each_unit_once(both, 8);
  CHECK(outputs(both) == outputs(base / "one"));
}

TEST_CASE("shards: merge refuses duplicates and shards with other settings", "[pipeline][shards][errors]") {
  const test::PinnedThreads pinned(1);
  const auto base = fresh_dir("shards", "merge");
  const auto data = make_shapes_dataset(1, 32, 3);
  const auto models = models::tiny_random_models(RuntimeOptions{}, 11);
  const auto out = base / "split";
  expand(method(), models, data, config(out, shard(0, 2)), nullptr);
  expand(method(), models, data, config(out, shard(1, 2)), nullptr);
  REQUIRE(fs::exists(out / "manifest.jsonl"));
  const distdiff::detail::FileLock lock(RunPaths{out}.lock());
  CHECK(merge_run(out, data, 2).complete);  // merging again changes nothing
  const auto part0 = out / "shards" / "manifest.0-of-2.jsonl";
  const auto part1 = out / "shards" / "manifest.1-of-2.jsonl";

  SECTION("a unit in two shards' manifests") {
    std::ifstream in(part0);
    std::string line;
    std::getline(in, line);
    std::ofstream(part1, std::ios::app) << line << "\n";
    CHECK_THROWS_WITH(merge_run(out, data, 2), Catch::Contains("more than once") &&
                                                   Catch::Contains("seed image 0 sample 0") &&
                                                   Catch::Contains("manifest.0-of-2.jsonl") &&
                                                   Catch::Contains("manifest.1-of-2.jsonl"));
  }
  SECTION("a shard that ran with other settings") {
    const auto f = out / "shards" / "run.1-of-2.json";
    auto j = nlohmann::json::parse(std::ifstream(f));
    j["settings"]["seed"] = 99;
    std::ofstream(f) << j.dump(2);
    CHECK_THROWS_WITH(merge_run(out, data, 2), Catch::Contains("run.1-of-2.json") && Catch::Contains("/seed: 17 there, 99 now"));
  }
  SECTION("an image lost from disk") {
    const auto e = read_manifest(part1).front();
    fs::remove(out / e.file);
    CHECK_THROWS_WITH(merge_run(out, data, 2), Catch::Contains("1 of 8 images missing") && Catch::Contains("shard 1/2"));
  }
  SECTION("another dataset") {
    auto other = make_shapes_dataset(1, 32, 3);
    other.dataset_name = "other shapes";
    CHECK_THROWS_WITH(merge_run(out, other, 2), Catch::Contains("was made from the dataset"));
  }
}

}  // namespace DISTDIFF_UNITY_ID
