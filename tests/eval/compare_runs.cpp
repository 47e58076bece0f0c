// Paired comparison of expansion runs (eval/compare_runs.hpp) on two tiny
// synthetic run folders and a tiny random CLIP image tower: pairing, the
// refusals, distances against an independent computation, the n/a group
// column, paired accuracy and the files written.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "distdiff/eval/compare_runs.hpp"
#include "distdiff/features/clip_image_features.hpp"
#include "distdiff/io/image_io.hpp"
#include "distdiff/io/results.hpp"
#include "distdiff/io/tensor_image.hpp"
#include "distdiff/io/manifest.hpp"
#include "distdiff/prototypes/io.hpp"
#include "support/fake_run.hpp"
#include "support/temp_dir.hpp"

using namespace distdiff;
using distdiff::test::TempDir;
using Catch::Contains;
namespace fs = std::filesystem;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {

constexpr int kSize = 16;   // PNG size; the tiny tower resizes to 32 px itself

struct RunSpec {
  std::string method = "A";
  unsigned pixels = 1;            // images differ between specs with different pixel seeds
  double energy_shift = 0;        // added to energy_after of every image
  bool energies = true;
  std::set<std::string> skip;     // keys "<seed_index>_<sample>" not written
  std::vector<std::int64_t> seeds = {0, 1, 2, 3};   // 0, 1: class a; 2, 3: class b
  std::string odd_source_key;     // this key gets another seed_source
  nlohmann::json energy;          // settings.composition_params.energy (null: not recorded)
};

// <run>/<class>/<seed>_<sample>.png + manifest.jsonl + run.json, as expand() lays them out.
void write_run(const fs::path& run, const RunSpec& spec) {
  fs::create_directories(run);
  nlohmann::json settings{{"method", spec.method}, {"image_size", kSize}};
  if (!spec.energy.is_null()) settings["composition_params"] = {{"energy", spec.energy}};
  std::ofstream(run / "run.json") << nlohmann::json{{"settings", settings}};
  int i = 0;
  for (const std::int64_t seed : spec.seeds)
    for (std::int64_t sample = 0; sample < 2; ++sample, ++i) {
      const std::string key = std::to_string(seed) + "_" + std::to_string(sample);
      if (spec.skip.count(key)) continue;
      const std::int64_t label = seed % 4 < 2 ? 0 : 1;
      std::mt19937 rng(spec.pixels * 1000 + unsigned(seed) * 10 + unsigned(sample));
      ManifestEntry e;
      e.class_name = label == 0 ? "a" : "b";
      e.label = label;
      e.seed_index = seed;
      e.sample = sample;
      e.seed_source = key == spec.odd_source_key ? "elsewhere.png" : "seeds/" + std::to_string(seed) + ".png";
      e.method = spec.method;
      e.file = e.class_name + "/" + key + ".png";
      if (spec.energies) {
        e.energy_before = 1.0 + 0.01 * i;
        e.energy_after = 0.9 + 0.02 * i + spec.energy_shift;
      }
      write_png(run / e.file, test::noise_image(rng, kSize, kSize));
      append_manifest(run / "manifest.jsonl", {e});
    }
}

Prototypes random_prototypes(std::int64_t dim, bool groups, std::uint64_t seed = 5) {
  torch::manual_seed(seed);
  Prototypes p;
  p.class_level = torch::nn::functional::normalize(torch::randn({2, dim}),
                                                   torch::nn::functional::NormalizeFuncOptions().dim(1));
  if (groups)
    p.group_level = torch::nn::functional::normalize(torch::randn({2, 3, dim}),
                                                     torch::nn::functional::NormalizeFuncOptions().dim(2));
  return p;
}

ClipImageFeatures tiny_theta() { return ClipImageFeatures::random(models::ClipVisionConfig::tiny(), {}, 11); }

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

const eval::PairedImage& image_at(const eval::CompareReport& r, const std::string& key) {
  for (const auto& p : r.images)
    if (p.key == key) return p;
  FAIL("no paired image " << key);
  throw 0;
}

const eval::MetricDifference& difference(const eval::CompareReport& r, std::size_t run, const std::string& metric) {
  for (const auto& d : r.differences)
    if (d.run == run && d.metric == metric) return d;
  FAIL("no difference " << metric);
  throw 0;
}

}  // namespace

TEST_CASE("pair_runs pairs images by seed_index and sample and leaves out the unpaired", "[compare]") {
  TempDir tmp("compare");
  write_run(tmp / "A", {});
  RunSpec b;
  b.method = "B";
  b.pixels = 2;
  b.energy_shift = -0.1;
  b.skip = {"3_1"};
  b.seeds = {0, 1, 2, 3, 6};   // 6_0, 6_1: no partner in A
  write_run(tmp / "B", b);
  const auto r = eval::pair_runs({tmp / "A", tmp / "B"});
  REQUIRE(r.runs.size() == 2);
  CHECK(r.runs[0].label == "A");
  CHECK(r.runs[1].label == "B");
  CHECK(r.runs[0].method == "A");
  CHECK(r.runs[0].images == 8);
  CHECK(r.runs[1].images == 9);
  REQUIRE(r.images.size() == 7);
  std::vector<std::string> keys;
  for (const auto& p : r.images) keys.push_back(p.key);
  const std::vector<std::string> expected_keys = {"0_0", "0_1", "1_0", "1_1", "2_0", "2_1", "3_0"};
  CHECK(keys == expected_keys);
  CHECK(image_at(r, "2_1").class_name == "b");
  const std::vector<std::string> files = {"b/2_1.png", "b/2_1.png"};
  CHECK(image_at(r, "2_1").files == files);
  REQUIRE(r.notes.size() == 2);
  CHECK_THAT(r.notes[0], Contains("A: 1 of its 8 images"));
  CHECK_THAT(r.notes[1], Contains("B: 2 of its 9 images"));
  CHECK_THROWS_WITH(eval::pair_runs({tmp / "A"}), Contains("at least two run folders"));
  CHECK_THROWS_WITH(eval::pair_runs({tmp / "A", tmp / "B"}, {"x"}), Contains("1 labels for 2 runs"));
}

TEST_CASE("pair_runs refuses runs made from different seeds, naming both folders and the image", "[compare]") {
  TempDir tmp("compare");
  write_run(tmp / "A", {});
  RunSpec b;
  b.odd_source_key = "2_0";
  write_run(tmp / "B", b);
  try {
    eval::pair_runs({tmp / "A", tmp / "B"});
    FAIL("no error");
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    CHECK_THAT(what, Contains((tmp / "A").string()));
    CHECK_THAT(what, Contains((tmp / "B").string()));
    CHECK_THAT(what, Contains("image 2_0"));
    CHECK_THAT(what, Contains("elsewhere.png"));
  }
  RunSpec c;
  c.seeds = {10, 11};
  write_run(tmp / "C", c);
  CHECK_THROWS_WITH(eval::pair_runs({tmp / "A", tmp / "C"}), Contains("no image in common"));
  CHECK_THROWS_WITH(eval::pair_runs({tmp / "A", tmp / "C"}), Contains((tmp / "C").string()));
  CHECK_THROWS_WITH(eval::pair_runs({tmp / "A", tmp / "missing"}), Contains("not a folder"));
}

TEST_CASE("compare_runs: distances match ClassDistance / GroupDistance computed by hand", "[compare]") {
  TempDir tmp("compare");
  write_run(tmp / "A", {});
  RunSpec b;
  b.method = "B";
  b.pixels = 2;
  b.energy_shift = -0.1;
  write_run(tmp / "B", b);
  const auto theta = tiny_theta();
  const auto protos = random_prototypes(theta.feature_dim(), true);
  save_prototypes(tmp / "A" / "prototypes.safetensors", protos, {"class-mean", "agglomerative", theta.name(), {}});

  const auto r = eval::compare_runs({tmp / "A", tmp / "B"}, theta);
  REQUIRE(r.images.size() == 8);
  CHECK(r.image_size == kSize);
  CHECK(r.groups == 3);
  CHECK(r.notes.empty());

  // One image, independently: θ of the PNG, L2-normalised; class and nearest-by-cosine group prototype.
  for (std::size_t run = 0; run < 2; ++run) {
    const auto& p = image_at(r, "2_1");
    const fs::path png = (run == 0 ? tmp / "A" : tmp / "B") / "b/2_1.png";
    torch::NoGradGuard no_grad;
    auto f = theta.extract(to_tensor(read_image(png)).unsqueeze(0)).to(torch::kDouble)[0];
    f = f / f.norm();
    const auto pc = protos.class_level[1].to(torch::kDouble);
    const double class_distance = (f - pc).norm().item<double>();
    const auto g = protos.group_level[1].to(torch::kDouble);   // [K, D]
    const auto cos = g.matmul(f) / g.norm(2, {1});
    const auto j = cos.argmax().item<std::int64_t>();
    const double group_distance = (f - g[j]).norm().item<double>();
    double nearest = 1e9;
    for (std::int64_t k = 0; k < 3; ++k) nearest = std::min(nearest, (f - g[k]).norm().item<double>());
    REQUIRE(p.measures[run].class_distance);
    REQUIRE(p.measures[run].group_distance);
    CHECK(*p.measures[run].class_distance == Approx(class_distance).epsilon(1e-5));
    CHECK(*p.measures[run].group_distance == Approx(group_distance).epsilon(1e-5));
    CHECK(*p.measures[run].group_distance == Approx(nearest).epsilon(1e-5));   // unit prototypes: cos-nearest = L2-nearest
  }

  // Energies from the manifests: B's energy_after is A's − 0.1 for every image.
  const auto& e = difference(r, 1, "energy_after");
  REQUIRE(e.summary);
  CHECK(e.summary->n == 8);
  CHECK(e.summary->mean_diff == Approx(-0.1));
  CHECK(e.summary->ci95_low == Approx(-0.1));
  CHECK(e.summary->ci95_high == Approx(-0.1));
  CHECK(e.summary->share_b_lower == 1);
  // The class-distance difference is the mean of the per-image differences.
  double sum = 0;
  for (const auto& p : r.images) sum += *p.measures[1].class_distance - *p.measures[0].class_distance;
  const auto& c = difference(r, 1, "class_distance");
  REQUIRE(c.summary);
  CHECK(c.summary->mean_diff == Approx(sum / 8));
  CHECK(c.summary->has_ci());
  REQUIRE(r.means[0][2]);
  CHECK(r.means[0][2]->mean == Approx(c.summary->mean_a));

  // The same run twice: zero differences with collapsed intervals.
  const auto same = eval::compare_runs({tmp / "A", tmp / "A"}, theta, {.labels = {"first", "again"}});
  const auto& z = difference(same, 1, "group_distance");
  REQUIRE(z.summary);
  CHECK(z.summary->mean_diff == 0);
  CHECK(z.summary->ci95_low == 0);
  CHECK(z.summary->ci95_high == 0);
  CHECK(z.summary->share_b_lower == 0);
}

TEST_CASE("compare_runs: class-only prototypes leave the group column n/a; the files are written", "[compare]") {
  TempDir tmp("compare");
  write_run(tmp / "A", {});
  RunSpec b;
  b.pixels = 3;
  b.energies = false;   // e.g. plain img2img: no energy recorded
  write_run(tmp / "B", b);
  const auto theta = tiny_theta();
  save_prototypes(tmp / "class_only.safetensors", random_prototypes(theta.feature_dim(), false));
  CHECK_THROWS_WITH(eval::compare_runs({tmp / "A", tmp / "B"}, theta), Contains("prototypes.safetensors"));

  auto r = eval::compare_runs({tmp / "A", tmp / "B"}, theta,
                              {.prototypes = tmp / "class_only.safetensors", .batch_size = 3, .labels = {"g", "p"}});
  CHECK(r.groups == 0);
  CHECK_FALSE(r.has_groups());
  for (const auto& p : r.images) {
    CHECK(p.measures[0].class_distance);
    CHECK_FALSE(p.measures[0].group_distance);
    CHECK_FALSE(p.measures[1].energy_after);
  }
  CHECK_FALSE(r.means[0][3]);                            // group_distance
  CHECK_FALSE(difference(r, 1, "group_distance").summary);
  CHECK_FALSE(difference(r, 1, "energy_after").summary);  // B recorded none
  REQUIRE(difference(r, 1, "class_distance").summary);

  io::ResultRow row{.dataset = "fm", .method = "A", .backbone = "r18", .expansion = 5, .seed = 1, .top1_best = 70};
  std::vector<io::ResultRow> rows;
  for (std::uint64_t seed : {1, 2, 3}) {
    row.seed = seed;
    row.method = "A";
    row.top1_best = 70 + double(seed);
    rows.push_back(row);
    if (seed < 3) {
      row.method = "B";
      row.top1_best = 72 + double(seed);   // +2 on every shared seed
      rows.push_back(row);
    }
  }
  r.accuracy = eval::compare_accuracy(rows, {"A", "B"});
  REQUIRE(r.accuracy->rows.size() == 1);
  const auto& acc = r.accuracy->rows[0];
  const std::vector<std::uint64_t> seeds = {1, 2};
  CHECK(acc.seeds == seeds);
  CHECK(acc.summary.mean_diff == Approx(2));
  CHECK(acc.summary.ci95_low == Approx(2));
  CHECK(acc.summary.share_b_higher == 1);
  REQUIRE(r.accuracy->notes.size() == 1);
  CHECK_THAT(r.accuracy->notes[0], Contains("seed(s) 3 of 'A' have no row of 'B'"));
  CHECK_THROWS_WITH(eval::compare_accuracy(rows, {"A", "C"}), Contains("no row of method 'C'"));
  CHECK_THROWS_WITH(eval::compare_accuracy(rows, {"A", "A"}), Contains("named twice"));
  rows[1].backbone = "other";   // B's rows: 1 and 3
  rows[3].backbone = "other";
  CHECK_THROWS_WITH(eval::compare_accuracy(rows, {"A", "B"}), Contains("no result of 'B' pairs"));

  const fs::path out = tmp / "out";
  eval::write_compare_outputs(r, out);
  for (const char* f : {"paired.csv", "report.md", "report.csv", "compare.svg"}) CHECK(fs::is_regular_file(out / f));
  std::istringstream paired(read_text(out / "paired.csv"));
  std::string header, line;
  std::getline(paired, header);
  CHECK(header ==
        "key,class,label,g:energy_before,g:energy_after,g:class_distance,g:group_distance,"
        "p:energy_before,p:energy_after,p:class_distance,p:group_distance");
  std::getline(paired, line);
  CHECK(line.rfind("0_0,a,0,1,0.9,", 0) == 0);
  CHECK(line.back() == ',');   // p's group_distance: empty
  int rows_read = 1;
  while (std::getline(paired, line)) ++rows_read;
  CHECK(rows_read == 8);
  const auto md = read_text(out / "report.md");
  CHECK_THAT(md, Contains("| g (baseline) |"));
  CHECK_THAT(md, Contains("| p | group_distance | 0 | n/a"));
  CHECK_THAT(md, Contains("no group level"));
  CHECK_THAT(md, Contains("## Classifier accuracy"));
  const auto csv = read_text(out / "report.csv");
  CHECK_THAT(csv, Contains(eval::report_csv_header()));
  CHECK_THAT(csv, Contains("accuracy,top1_best,B,A,fm,r18,5,2,2,0,2,2,"));
  CHECK_THAT(read_text(out / "compare.svg"), Contains("<svg"));
}

TEST_CASE("compare_runs: energies of different energy functions are not compared", "[compare]") {
  TempDir tmp("compare");
  RunSpec a, b;
  a.energy = nlohmann::json::array({{{"name", "class-distance"}}, {{"name", "group-distance"}}});
  b.energy = nlohmann::json::array({{{"name", "class-distance"}}});
  b.method = "B";
  b.energy_shift = -0.5;
  write_run(tmp / "A", a);
  write_run(tmp / "B", b);
  const auto theta = tiny_theta();
  save_prototypes(tmp / "A" / "prototypes.safetensors", random_prototypes(theta.feature_dim(), true));
  const auto r = eval::compare_runs({tmp / "A", tmp / "B"}, theta);
  CHECK_FALSE(difference(r, 1, "energy_after").summary);
  CHECK(difference(r, 1, "class_distance").summary);   // the distances are one yardstick for both
  bool noted = false;
  for (const auto& n : r.notes) noted = noted || n.find("energy_after not compared") != std::string::npos;
  CHECK(noted);
  // the same energy function: compared
  write_run(tmp / "C", [&] {
    RunSpec c = b;
    c.energy = a.energy;
    c.method = "C";
    return c;
  }());
  CHECK(difference(eval::compare_runs({tmp / "A", tmp / "C"}, theta), 1, "energy_after").summary);
}

TEST_CASE("compare_runs: prototypes of another feature space are refused", "[compare]") {
  TempDir tmp("compare");
  write_run(tmp / "A", {});
  write_run(tmp / "B", {});
  save_prototypes(tmp / "A" / "prototypes.safetensors", random_prototypes(8, true));
  CHECK_THROWS_WITH(eval::compare_runs({tmp / "A", tmp / "B"}, tiny_theta()), Contains("are 8-d"));
}

}  // namespace DISTDIFF_UNITY_ID
