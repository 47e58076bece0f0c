// End to end on the real architectures at tiny sizes (random weights):
// expansion outputs, resume, validation, loading from published folder layouts.
#include <catch2/catch.hpp>

#include <fstream>

#include "distdiff/composition/named.hpp"
#include "distdiff/data/shapes.hpp"
#include "distdiff/models/stable_diffusion.hpp"
#include "distdiff/pipeline/expand.hpp"

#include "support/run_files.hpp"

using namespace distdiff;
namespace fs = std::filesystem;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

using distdiff::test::fresh_dir;
using distdiff::test::read_bytes;
using distdiff::test::run_files;

namespace {
ExpandConfig small_config(const fs::path& out) {
  ExpandConfig c;
  c.output_dir = out;
  c.expansion_factor = 2;
  c.batch_size = 2;
  c.image_size = 32;
  c.seed = 5;
  c.grid_seeds = 2;
  c.guidance.num_inference_steps = 10;
  c.guidance.guidance_scale = 5.0;
  return c;
}

Paper small_method() {
  Paper m;
  m.schedule.m = 3;
  m.group_prototypes.k = 2;
  return m;
}

std::size_t count_lines(const fs::path& p) {
  std::ifstream in(p);
  std::size_t n = 0;
  for (std::string l; std::getline(in, l);) n += !l.empty();
  return n;
}
}  // namespace

TEST_CASE("expand writes PNGs per class, a manifest with provenance, a CSV, run.json and a grid", "[pipeline]") {
  const auto out = fresh_dir("pipeline", "outputs") / "run";
  const auto data = make_shapes_dataset(2, 32, 1);
  const auto models = models::tiny_random_models(RuntimeOptions{}, 3);
  std::vector<ExpandProgress> progress;
  const auto report = expand(small_method(), models, data, small_config(out),
                             [&](const ExpandProgress& p) { progress.push_back(p); });
  CHECK(report.images_total == 16);
  CHECK(report.images_generated == 16);
  REQUIRE(report.mean_energy_before);
  CHECK(std::isfinite(*report.mean_energy_after));
  CHECK(count_lines(out / "manifest.jsonl") == 16);
  CHECK(count_lines(out / "manifest.csv") == 17);
  CHECK(fs::exists(out / "run.json"));
  // The toolchain that built this binary (Debian's LibTorch 1.13 or the PyPI wheel's 2.x).
  const auto toolchain = nlohmann::json::parse(std::ifstream(out / "run.json"))["toolchain"];
  CHECK(toolchain["libtorch"] == std::string(TORCH_VERSION));
  CHECK(toolchain["compiler"].get<std::string>().find(__VERSION__) != std::string::npos);
  CHECK(toolchain.contains("cuda"));
  CHECK(fs::exists(out / "grid.png"));
  for (const auto& c : data.class_names()) CHECK(fs::exists(out / c / ("0_0.png")) + fs::exists(out / c) >= 1);
  const auto entries = read_manifest(out / "manifest.jsonl");
  REQUIRE(entries.size() == 16);
  for (const auto& e : entries) {
    CHECK(fs::exists(out / e.file));
    CHECK(e.file == e.class_name + "/" + std::to_string(e.seed_index) + "_" + std::to_string(e.sample) + ".png");
    CHECK(e.class_name == data.class_names()[std::size_t(e.label)]);
    CHECK(e.label == data.label(std::size_t(e.seed_index)));
    CHECK(e.energy_before.has_value());
    CHECK(e.guided_timesteps == std::vector<std::int64_t>{401});  // M = 3, L = 2: DDIM index 4 of 10 steps = 100·4 + 1
    CHECK(e.method == "distdiff");
    CHECK(e.prompt == "a photo of a " + e.class_name + ".");
  }
  const auto img = read_image(out / entries[0].file);
  CHECK(img.width == 32);
  CHECK(img.height == 32);
  REQUIRE(!progress.empty());
  CHECK(progress.back().done == 16);
  const auto keys = nlohmann::json::parse(std::ifstream(out / "run.json"))["keys"];
  CHECK(keys["K"] == 2);
  CHECK(keys["M"] == 3);
  CHECK(keys["steps"] == std::vector<std::int64_t>{3});
  CHECK(keys["prototypes"] == "class+group");
  // Figure 5's map: one line per real image, class prototype and group prototype.
  const auto classes = data.class_names().size();
  CHECK(count_lines(out / "prototypes_2d.csv") == 1 + data.size() + classes + classes * 2);
}

TEST_CASE("expand resumes a killed run and ends with the same files", "[pipeline][resume]") {
  const auto base = fresh_dir("pipeline", "resume");
  const auto data = make_shapes_dataset(2, 32, 2);
  const auto models = models::tiny_random_models(RuntimeOptions{}, 4);
  auto full_cfg = small_config(base / "full");
  full_cfg.max_seed_images = 4;  // 4 seeds x 2 = 8 images in 4 batches
  const auto full = expand(small_method(), models, data, full_cfg, nullptr);
  CHECK(full.images_generated == 8);

  // A run killed after two batches, with a torn manifest line.
  auto cfg = small_config(base / "killed");
  cfg.max_seed_images = 4;
  expand(small_method(), models, data, cfg, nullptr);
  {
    std::ifstream in(base / "killed" / "manifest.jsonl");
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    std::ofstream trunc(base / "killed" / "manifest.jsonl", std::ios::trunc);
    for (int i = 0; i < 4; ++i) trunc << lines[std::size_t(i)] << "\n";
    trunc << lines[4].substr(0, 10);  // torn
  }
  for (int i = 4; i < 8; ++i) {
    const auto e = read_manifest(base / "full" / "manifest.jsonl")[std::size_t(i)];
    fs::remove(base / "killed" / e.file);
  }
  const auto resumed = expand(small_method(), models, data, cfg, nullptr);
  CHECK(resumed.images_skipped == 4);
  CHECK(resumed.images_generated == 4);
  for (const auto& e : read_manifest(base / "full" / "manifest.jsonl"))
    CHECK(read_bytes(base / "full" / e.file) == read_bytes(base / "killed" / e.file));
  // the torn line was cut, not built upon: the manifest reads back whole
  CHECK(read_manifest(base / "killed" / "manifest.jsonl").size() == 8);
  CHECK(count_lines(base / "killed" / "manifest.jsonl") == 8);
}

TEST_CASE("expand validates before writing anything", "[pipeline][errors]") {
  const auto base = fresh_dir("pipeline", "errors");
  const auto data = make_shapes_dataset(2, 32, 3);
  const auto models = models::tiny_random_models(RuntimeOptions{}, 5);
  auto method = small_method();
  method.group_prototypes.k = 3;  // each class has 2 images
  CHECK_THROWS_WITH(expand(method, models, data, small_config(base / "k"), nullptr), Catch::Contains("fewer than k = 3"));
  CHECK_FALSE(fs::exists(base / "k"));

  expand(small_method(), models, data, small_config(base / "run"), nullptr);
  // Resuming with any other number of the composition or the sampler is refused.
  auto rho = small_method();
  rho.update.rho = 0.5;
  CHECK_THROWS_WITH(expand(rho, models, data, small_config(base / "run"), nullptr), Catch::Contains("different settings"));
  auto eps = small_method();
  eps.transform.epsilon = 0.4;
  CHECK_THROWS_WITH(expand(eps, models, data, small_config(base / "run"), nullptr), Catch::Contains("different settings"));
  auto k1 = small_method();
  k1.group_prototypes.k = 1;
  CHECK_THROWS_WITH(expand(k1, models, data, small_config(base / "run"), nullptr), Catch::Contains("different settings"));
  auto other = small_config(base / "run");
  other.guidance.strength = 0.8;
  CHECK_THROWS_WITH(expand(small_method(), models, data, other, nullptr), Catch::Contains("different settings"));
  other = small_config(base / "run");
  other.resume = false;
  CHECK_THROWS_WITH(expand(small_method(), models, data, other, nullptr), Catch::Contains("already holds a run"));
}

TEST_CASE("tiny models written in the diffusers/transformers layouts load and match", "[pipeline][models]") {
  const auto base = fresh_dir("pipeline", "layouts");
  models::write_tiny_model_folders(base / "sd", base / "clip", 7);
  const auto loaded = models::load_stable_diffusion(base / "sd", base / "clip", RuntimeOptions{});
  const auto memory = models::tiny_random_models(RuntimeOptions{}, 7);
  torch::NoGradGuard ng;
  torch::manual_seed(1);
  const auto z = torch::randn({1, 4, 8, 8});
  const auto cond = memory.text.encode({"a photo of a circle."});
  CHECK(torch::equal(cond, loaded.text.encode({"a photo of a circle."})));
  CHECK(torch::allclose(memory.denoiser.predict_noise(z, 501, cond), loaded.denoiser.predict_noise(z, 501, cond)));
  CHECK(torch::allclose(memory.decoder.decode(z), loaded.decoder.decode(z)));
  const auto x = torch::rand({1, 3, 32, 32});
  CHECK(torch::allclose(memory.features.extract(x), loaded.features.extract(x)));
  CHECK(models::load_scheduler_config(base / "sd").beta_schedule == "scaled_linear");
  CHECK_THROWS_WITH(models::load_stable_diffusion(base / "missing", base / "clip", RuntimeOptions{}),
                    Catch::Contains("does not exist"));
}

TEST_CASE("energy gradients through the real UNet, VAE decoder and CLIP match finite differences", "[pipeline][gradcheck]") {
  const RuntimeOptions f64{torch::kCPU, torch::kFloat64};
  const auto models = models::tiny_random_models(f64, 8);
  Paper method = small_method();
  method.schedule = SingleStep{.m = 2, .look_ahead = 2};
  GuidanceConfig cfg;
  cfg.num_inference_steps = 5;
  cfg.strength = 1.0;
  cfg.guidance_scale = 3.0;
  torch::manual_seed(2);
  Prototypes protos;
  protos.class_level = torch::nn::functional::normalize(torch::randn({2, 16}, torch::kFloat64),
                                                       torch::nn::functional::NormalizeFuncOptions().dim(1));
  protos.group_level = torch::nn::functional::normalize(torch::randn({2, 2, 16}, torch::kFloat64),
                                                       torch::nn::functional::NormalizeFuncOptions().dim(2));
  GuidedSampler s(method, models, protos, cfg);
  const auto cond = s.condition({"a photo of a circle.", "a photo of a square."});
  EnergyContext ctx;
  ctx.labels = torch::tensor({0, 1}, torch::kLong);
  const auto z = torch::randn({2, 4, 8, 8}, torch::kFloat64);
  const auto pos = s.guided_positions().at(0);
  auto e = torch::rand({1, 4, 1, 1}, torch::kFloat64).requires_grad_(true);
  auto b = torch::randn({1, 4, 1, 1}, torch::kFloat64).requires_grad_(true);
  auto energy = [&](const torch::Tensor& ee, const torch::Tensor& bb) {
    return s.energy(method.transform.apply(z, {ee, bb}), pos, cond, ctx).mean();
  };
  const auto g = torch::autograd::grad({energy(e, b)}, {e, b});
  torch::NoGradGuard ng;
  const double h = 1e-6;
  for (int c = 0; c < 4; ++c) {
    auto ep = e.detach().clone(), em = e.detach().clone();
    ep.view(-1)[c] += h;
    em.view(-1)[c] -= h;
    CHECK(g[0].view(-1)[c].item<double>() ==
          Approx((energy(ep, b) - energy(em, b)).item<double>() / (2 * h)).epsilon(1e-4).margin(1e-8));
    auto bp = b.detach().clone(), bm = b.detach().clone();
    bp.view(-1)[c] += h;
    bm.view(-1)[c] -= h;
    CHECK(g[1].view(-1)[c].item<double>() ==
          Approx((energy(e, bp) - energy(e, bm)).item<double>() / (2 * h)).epsilon(1e-4).margin(1e-8));
  }
  CHECK(g[1].abs().sum().item<double>() > 0);
}

TEST_CASE("guidance lowers the energy on the real tiny architectures", "[pipeline][energy]") {
  const auto data = make_shapes_dataset(2, 32, 4);
  const auto models = models::tiny_random_models(RuntimeOptions{}, 9);
  DistDiff<with_update<GradientStep>, with_transform<ResidualMultiplicative<PerSample>>> method;
  method.schedule.m = 3;
  method.group_prototypes.k = 2;
  auto cfg = small_config(fresh_dir("pipeline", "energy") / "run");
  method.update.rho = 1e-2;
  cfg.guidance.project_during_guidance = true;
  cfg.grid_seeds = 0;
  const auto report = expand(method, models, data, cfg, nullptr);
  REQUIRE(report.mean_energy_before);
  CHECK(*report.mean_energy_after < *report.mean_energy_before);
  std::size_t improved = 0, total = 0;
  for (const auto& e : read_manifest(cfg.output_dir / "manifest.jsonl")) {
    improved += *e.energy_after < *e.energy_before;
    ++total;
  }
  CHECK(improved == total);
}

}  // namespace DISTDIFF_UNITY_ID
