// Numerical guard of the guided step (issue 17): a NaN or an infinity in the
// energy, its gradient or the transformed latent is detected per image, the
// image keeps the unguided latent of that step, and the manifest says so.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <limits>

#include "distdiff/composition/named.hpp"
#include "distdiff/data/shapes.hpp"
#include "distdiff/models/stable_diffusion.hpp"
#include "distdiff/pipeline/expand.hpp"
#include "support/pinned_threads.hpp"

#include "support/run_files.hpp"

using namespace distdiff;
namespace fs = std::filesystem;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

using distdiff::test::fresh_dir;
using distdiff::test::read_bytes;
using distdiff::test::run_files;

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Energy NaN everywhere, with a NaN gradient: ‖θ‖·NaN.
struct NanEnergy {
  using component_tag = energy_tag;
  double weight = 1.0;
  torch::Tensor energy(const EnergyInputs& in) const { return in.features.sum(1) * kNaN; }
  std::string name() const { return "nan-energy"; }
};

// Energy +inf for the images of class 1 only; its gradient stays finite.
struct InfForClassOne {
  using component_tag = energy_tag;
  double weight = 1.0;
  torch::Tensor energy(const EnergyInputs& in) const {
    const auto inf = torch::full_like(in.features.select(1, 0), std::numeric_limits<double>::infinity());
    return in.features.pow(2).sum(1) + torch::where(in.labels == 1, inf, torch::zeros_like(inf));
  }
  std::string name() const { return "inf-for-class-one"; }
};

// An update rule whose result is NaN: only the transformed latent shows it.
struct NanUpdate {
  using component_tag = update_rule_tag;
  torch::Tensor update(const torch::Tensor& p, const torch::Tensor&) const { return p * kNaN; }
  std::string name() const { return "nan-update"; }
};

ExpandConfig config(const fs::path& out) {
  ExpandConfig c;
  c.output_dir = out;
  c.expansion_factor = 2;
  c.batch_size = 2;
  c.image_size = 32;
  c.seed = 11;
  c.grid_seeds = 0;
  c.max_seed_images = 2;  // seeds 0 (class 0) and 1 (class 1) x 2 = 4 images in 2 batches
  c.guidance.num_inference_steps = 10;
  c.guidance.guidance_scale = 5.0;
  return c;
}

template <class Method>
Method configured() {
  Method m;
  if constexpr (requires { m.schedule.m; }) m.schedule.m = 3;
  m.group_prototypes.k = 1;
  return m;
}

bool readable_png(const fs::path& p) {
  const auto img = read_image(p);
  return img.width == 32 && img.height == 32 && !img.pixels.empty();
}
}  // namespace

TEST_CASE("a NaN energy skips the guided step: images come from the unguided latent, the manifest says so",
          "[pipeline][nonfinite]") {
  const test::PinnedThreads pinned(1);  // byte comparisons need a fixed thread count
  const auto base = fresh_dir("nonfinite", "nan");
  const auto data = make_shapes_dataset(1, 32, 21);
  const auto models = models::tiny_random_models(RuntimeOptions{}, 22);
  const auto report = expand(configured<DistDiff<with_energy<NanEnergy>, with_label<"nan-energy">>>(), models, data,
                             config(base / "nan"), nullptr);
  // The same seeds without guidance: the reference for "the unguided latent".
  const auto plain = expand(configured<PlainImg2Img>(), models, data, config(base / "plain"), nullptr);
  CHECK(plain.images_nonfinite == 0);
  CHECK(report.images_generated == 4);
  CHECK(report.images_nonfinite == 4);
  CHECK(report.images_nonfinite_total == 4);
  CHECK_FALSE(report.mean_energy_before);  // no finite energy to average

  const auto entries = read_manifest(base / "nan" / "manifest.jsonl");
  REQUIRE(entries.size() == 4);
  for (const auto& e : entries) {
    INFO(e.file);
    REQUIRE(e.nonfinite.size() == 1);
    CHECK(e.nonfinite[0].timestep == 401);
    CHECK(e.nonfinite[0].iteration == 0);
    CHECK(e.nonfinite[0].what == "energy");
    CHECK(e.nonfinite[0].action == "kept the unguided latent");
    CHECK_FALSE(e.energy_before);  // null, not a made-up number
    CHECK_FALSE(e.energy_after);
    REQUIRE(fs::exists(base / "nan" / e.file));
    CHECK(readable_png(base / "nan" / e.file));
    CHECK(read_bytes(base / "nan" / e.file) == read_bytes(base / "plain" / e.file));
  }
  // In the sampler itself: finite images, one event per row.
  auto method = configured<DistDiff<with_energy<NanEnergy>, with_label<"nan-energy">>>();
  GuidanceConfig g = config(base / "unused").guidance;
  GuidedSampler sampler(method, models, report.prototypes, g);
  GuidedBatch batch;
  batch.images = torch::rand({2, 3, 32, 32}) * 2 - 1;
  batch.labels = torch::tensor({0, 1}, torch::kLong);
  batch.prompts = {"a photo of a circle.", "a photo of a square."};
  batch.seed = 3;
  const auto out = sampler.run(batch);
  CHECK(torch::isfinite(out.images).all().item<bool>());
  REQUIRE(out.records.size() == 1);
  REQUIRE(out.records[0].nonfinite.size() == 2);
  CHECK(out.records[0].nonfinite[1].row == 1);

  const auto run = nlohmann::json::parse(std::ifstream(base / "nan" / "run.json"));
  CHECK(run["summary"]["images_nonfinite_guidance"] == 4);
  CHECK(run["summary"]["images"] == 4);
  // the line as written: the event is in the JSON, not only in memory
  std::ifstream in(base / "nan" / "manifest.jsonl");
  std::string first;
  std::getline(in, first);
  CHECK_THAT(first, Catch::Contains("\"nonfinite\":[{\"action\":\"kept the unguided latent\",\"iteration\":0,"
                                    "\"timestep\":401,\"what\":\"energy\"}]"));
}

TEST_CASE("an infinite energy for one class is handled per image; the others are guided", "[pipeline][nonfinite]") {
  const test::PinnedThreads pinned(1);  // byte comparisons need a fixed thread count
  const auto base = fresh_dir("nonfinite", "inf");
  const auto data = make_shapes_dataset(1, 32, 23);
  const auto models = models::tiny_random_models(RuntimeOptions{}, 24);
  using Method = DistDiff<with_energy<InfForClassOne>, with_transform<ResidualMultiplicative<PerSample>>,
                          with_update<GradientStep>, with_label<"inf-class-one">>;
  auto cfg = config(base / "inf");
  cfg.batch_size = 4;  // one batch holding both classes: the guard works row by row
  auto method = configured<Method>();
  method.update.rho = 1e-2;
  const auto report = expand(method, models, data, cfg, nullptr);
  auto plain_cfg = config(base / "plain");
  plain_cfg.batch_size = 4;  // the same batches, hence the same seeds
  expand(configured<PlainImg2Img>(), models, data, plain_cfg, nullptr);
  const auto entries = read_manifest(base / "inf" / "manifest.jsonl");
  REQUIRE(entries.size() == 4);
  std::int64_t flagged = 0;
  for (const auto& e : entries) {
    INFO(e.file);
    CHECK(readable_png(base / "inf" / e.file));
    if (e.label == 1) {
      ++flagged;
      REQUIRE(e.nonfinite.size() == 1);
      CHECK(e.nonfinite[0].what == "energy");
      CHECK(read_bytes(base / "inf" / e.file) == read_bytes(base / "plain" / e.file));
    } else {
      CHECK(e.nonfinite.empty());
      REQUIRE(e.energy_before);
      REQUIRE(e.energy_after);
      CHECK(std::isfinite(*e.energy_after));
      CHECK(read_bytes(base / "inf" / e.file) != read_bytes(base / "plain" / e.file));  // guided
    }
  }
  CHECK(flagged == 2);
  CHECK(report.images_nonfinite == 2);
  REQUIRE(report.mean_energy_before);  // the finite images' energies only
  CHECK(std::isfinite(*report.mean_energy_before));
}

TEST_CASE("a NaN latent after the update is caught; on_nonfinite = fail throws instead", "[pipeline][nonfinite]") {
  const auto base = fresh_dir("nonfinite", "latent");
  const auto data = make_shapes_dataset(1, 32, 25);
  const auto models = models::tiny_random_models(RuntimeOptions{}, 26);
  using Method = DistDiff<with_update<NanUpdate>, with_label<"nan-update">>;
  const auto report = expand(configured<Method>(), models, data, config(base / "latent"), nullptr);
  CHECK(report.images_nonfinite == 4);
  for (const auto& e : read_manifest(base / "latent" / "manifest.jsonl")) {
    REQUIRE(e.nonfinite.size() == 1);
    CHECK(e.nonfinite[0].what == "latent");
    CHECK(e.nonfinite[0].iteration == -1);
    CHECK(readable_png(base / "latent" / e.file));
  }

  auto cfg = config(base / "fail");
  cfg.guidance.on_nonfinite = NonFinitePolicy::fail;
  CHECK_THROWS_WITH(expand(configured<Method>(), models, data, cfg, nullptr),
                    Catch::Contains("non-finite latent") && Catch::Contains("timestep 401"));
  CHECK_FALSE(fs::exists(base / "fail" / "manifest.jsonl"));  // nothing half-recorded
}

TEST_CASE("manifest: the nonfinite field round-trips, is checked strictly, and may be absent", "[pipeline][nonfinite]") {
  ManifestEntry e;
  e.file = "a/0_0.png";
  e.class_name = "a";
  e.nonfinite.push_back({401, 0, "gradient", "kept the unguided latent"});
  const auto back = ManifestEntry::from_json(e.to_json());
  CHECK((back.nonfinite == e.nonfinite));
  ManifestEntry clean = e;
  clean.nonfinite.clear();
  CHECK_FALSE(clean.to_json().contains("nonfinite"));  // older readers see the same lines as before
  auto j = e.to_json();
  j["nonfinite"] = "energy";
  CHECK_THROWS_WITH(ManifestEntry::from_json(j), Catch::Contains("\"nonfinite\""));
  j["nonfinite"] = nlohmann::json::array({{{"timestep", 1}, {"iteration", 0}, {"what", "energy"}}});
  CHECK_THROWS_WITH(ManifestEntry::from_json(j), Catch::Contains("has no \"action\""));
  j["nonfinite"][0]["action"] = 3;
  CHECK_THROWS_WITH(ManifestEntry::from_json(j), Catch::Contains("nonfinite[0].action"));
  j["nonfinite"][0]["action"] = "kept";
  j["nonfinite"][0]["timestep"] = 0.5;
  CHECK_THROWS_WITH(ManifestEntry::from_json(j), Catch::Contains("nonfinite[0].timestep"));
}

}  // namespace DISTDIFF_UNITY_ID
