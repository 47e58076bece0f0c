// Crash safety (issue 17): an expansion killed with SIGKILL — before its first
// image, mid-run, or while appending to the manifest — and then resumed ends
// with exactly the files of an uninterrupted run: the same set of files,
// byte-identical images and manifests, each unit once in manifest.jsonl, and
// no temporary file left behind. The kills are real: a fork()ed child runs
// expand and raises SIGKILL from a hook; the parent resumes in-process.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <thread>

#include "distdiff/composition/named.hpp"
#include "distdiff/data/shapes.hpp"
#include "distdiff/detail/atomic_write.hpp"
#include "distdiff/models/stable_diffusion.hpp"
#include "distdiff/pipeline/expand.hpp"
#include "support/child_process.hpp"
#include "support/pinned_threads.hpp"

#include "support/run_files.hpp"

using namespace distdiff;
namespace fs = std::filesystem;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

using distdiff::test::fresh_dir;
using distdiff::test::temporaries_in;
using distdiff::test::read_bytes;
using distdiff::test::run_files;

namespace {
// A dataset that calls `on_load(call number)` before each image it loads: the
// hook that kills a run before its first generated image.
struct HookedData {
  using component_tag = dataset_tag;
  InMemoryDataset data;
  std::function<void(int)> on_load;
  mutable int calls = 0;
  std::size_t size() const { return data.size(); }
  std::int64_t label(std::size_t i) const { return data.label(i); }
  Image load(std::size_t i) const {
    ++calls;
    if (on_load) on_load(calls);
    return data.load(i);
  }
  const std::vector<std::string>& class_names() const { return data.class_names(); }
  std::string prompt(std::int64_t c) const { return data.prompt(c); }
  std::string source(std::size_t i) const { return data.source(i); }
  std::string name() const { return data.name(); }
};
static_assert(LabelledDataset<HookedData>);

ExpandConfig config(const fs::path& out) {
  ExpandConfig c;
  c.output_dir = out;
  c.expansion_factor = 2;
  c.batch_size = 2;
  c.image_size = 32;
  c.seed = 41;
  c.grid_seeds = 2;
  c.max_seed_images = 3;  // 6 images in 3 batches
  c.guidance.num_inference_steps = 10;
  c.guidance.guidance_scale = 5.0;
  return c;
}

Paper method() {
  Paper m;
  m.schedule.m = 3;
  m.group_prototypes.k = 1;
  return m;
}

// Runs `child` in a fork()ed process and returns how it ended: the signal
// number when it was killed, or −(exit status + 1).
int in_child(const std::function<void()>& child) { return test::Child(child).wait(); }

void check_manifest_units(const fs::path& out, std::size_t expected) {
  const auto entries = read_manifest(out / "manifest.jsonl");
  std::set<std::pair<std::int64_t, std::int64_t>> units;
  for (const auto& e : entries) units.insert({e.seed_index, e.sample});
  CHECK(entries.size() == expected);
  CHECK(units.size() == expected);  // each unit exactly once
}
}  // namespace

TEST_CASE("expand killed with SIGKILL and resumed ends with the files of an uninterrupted run", "[pipeline][crash]") {
  const test::PinnedThreads pinned(1);  // parent and children compute alike (and no thread pool crosses fork)
  const auto base = fresh_dir("crash", "kill");
  const HookedData data{make_shapes_dataset(1, 32, 42), nullptr};
  const auto models = models::tiny_random_models(RuntimeOptions{}, 43);
  expand(method(), models, data, config(base / "full"), nullptr);
  const auto full = run_files(base / "full");
  REQUIRE(full.size() == 6 + 6);  // 6 PNGs, manifest.jsonl, manifest.csv, grid.png, prototypes.safetensors, prototypes_2d.csv, .distdiff.lock
  const int prototype_loads = int(data.size());  // compute_prototypes loads every image once

  auto kill_and_resume = [&](const std::string& name, int load_call, std::int64_t after_done,
                             const std::function<void(const fs::path&)>& damage) {
    const auto out = base / name;
    HookedData hooked{data.data, [&](int call) {
                        if (call == load_call) raise(SIGKILL);
                      }};
    const int how = in_child([&] {
      expand(method(), models, hooked, config(out), [&](const ExpandProgress& p) {
        if (p.done == after_done) raise(SIGKILL);
      });
    });
    REQUIRE(how == SIGKILL);
    if (damage) damage(out);
    const auto resumed = expand(method(), models, data, config(out), nullptr);
    CHECK(run_files(out) == full);
    check_manifest_units(out, 6);
    CHECK(temporaries_in(out) == 0);
    return resumed;
  };

  SECTION("killed while computing the prototypes: nothing was written") {
    const auto r = kill_and_resume("prototypes", 1, -1, [](const fs::path& out) { CHECK_FALSE(fs::exists(out)); });
    CHECK(r.images_generated == 6);
  }
  SECTION("killed before the first image: run.json only") {
    const auto r = kill_and_resume("first", prototype_loads + 1, -1, [](const fs::path& out) {
      CHECK(fs::exists(out / "run.json"));
      CHECK_FALSE(fs::exists(out / "manifest.jsonl"));
    });
    CHECK(r.images_generated == 6);
  }
  SECTION("killed mid-run, after the first batch") {
    const auto r = kill_and_resume("mid", -1, 2, [](const fs::path& out) {
      CHECK(read_manifest(out / "manifest.jsonl").size() == 2);
    });
    CHECK(r.images_skipped == 2);
    CHECK(r.images_generated == 4);
  }
  SECTION("killed while appending to the manifest: a torn line, an image without its line, stale temporaries") {
    const auto r = kill_and_resume("torn", -1, 4, [](const fs::path& out) {
      // What a kill in the middle of the second batch's append leaves: its
      // first line whole, the second cut short (both PNGs are on disk), and a
      // kill inside an atomic write leaves a temporary file.
      const auto jsonl = out / "manifest.jsonl";
      std::ifstream in(jsonl);
      std::vector<std::string> lines;
      for (std::string l; std::getline(in, l);) lines.push_back(l);
      in.close();
      REQUIRE(lines.size() == 4);
      std::ofstream(jsonl, std::ios::trunc) << lines[0] << '\n' << lines[1] << '\n' << lines[2] << '\n'
                                            << lines[3].substr(0, lines[3].size() / 2);
      const auto e = ManifestEntry::from_json(nlohmann::json::parse(lines[3]));
      CHECK(fs::exists(out / e.file));
      std::ofstream(out / fs::path(e.file).parent_path() / ("." + fs::path(e.file).filename().string() + ".tmp-12345-0"))
          << "half a PNG";
      std::ofstream(out / ".manifest.csv.tmp-12345-1") << "half a CSV";
      CHECK(temporaries_in(out) == 2);
      CHECK(read_manifest(jsonl).size() == 3);  // the torn line is not read
    });
    CHECK(r.images_skipped == 2);  // batch 0; batch 1 lost one line, so it runs again
    CHECK(r.images_generated == 4);
  }
}

}  // namespace DISTDIFF_UNITY_ID
