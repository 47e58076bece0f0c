// Every slot is the component used, end to end; every command-line number
// reaches the component that reads it or is refused.
#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>
#include <memory>

#include "distdiff/composition/named.hpp"
#include "distdiff/data/shapes.hpp"
#include "distdiff/io/run_folder.hpp"
#include "distdiff/models/stable_diffusion.hpp"
#include "distdiff/pipeline/cli.hpp"
#include "distdiff/pipeline/expand.hpp"

#include "support/run_files.hpp"

using namespace distdiff;
namespace fs = std::filesystem;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

using distdiff::test::fresh_dir;

namespace {

// θ = the mean colour, counting its calls.
struct CountingMeanColour {
  using component_tag = feature_extractor_tag;
  std::shared_ptr<std::atomic<int>> calls = std::make_shared<std::atomic<int>>(0);
  at::Tensor extract(const at::Tensor& x) const {
    ++*calls;
    return x.mean({2, 3});
  }
  std::int64_t feature_dim() const { return 3; }
  std::string name() const { return "counting-mean-colour"; }
};

// DDIM that counts its steps and the configurations handed to it.
struct CountingDdim : DdimScheduler {
  static inline std::atomic<int> steps{0};
  static inline std::atomic<int> configured{0};
  torch::Tensor step(const torch::Tensor& z, const torch::Tensor& eps, std::int64_t t, std::int64_t t_prev) const {
    ++steps;
    return DdimScheduler::step(z, eps, t, t_prev);
  }
  void configure(const DdimConfig& c) {
    ++configured;
    DdimScheduler::configure(c);
  }
  std::string name() const { return "counting-ddim"; }
};
static_assert(NoiseScheduler<CountingDdim>);

ExpandConfig tiny_config(const fs::path& out) {
  ExpandConfig c;
  c.output_dir = out;
  c.expansion_factor = 1;
  c.batch_size = 2;
  c.image_size = 32;
  c.grid_seeds = 0;
  c.max_seed_images = 2;
  c.guidance.num_inference_steps = 6;
  c.guidance.guidance_scale = 3.0;
  return c;
}

nlohmann::json run_settings(const fs::path& out) {
  return nlohmann::json::parse(std::ifstream(out / "run.json"))["settings"];
}

int call_main(std::vector<std::string> args, const std::function<int(int, char**)>& main_fn) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return main_fn(int(argv.size()), argv.data());
}

}  // namespace

TEST_CASE("the features slot is the θ of prototypes and energies", "[pipeline][slots]") {
  const auto data = make_shapes_dataset(3, 32, 4);
  const auto models = models::tiny_random_models(RuntimeOptions{}, 5);
  using Method = DistDiff<with_features<CountingMeanColour>, with_label<"mean-colour">>;
  Method method;
  method.schedule.m = 2;
  method.group_prototypes.k = 2;
  const auto out = fresh_dir("slots", "features") / "run";
  const auto report = expand(method, models, data, tiny_config(out), nullptr);
  // prototypes in the slot's 3-d space, not CLIP's
  CHECK(report.prototypes.class_level.size(1) == 3);
  CHECK(report.prototypes.group_level.size(2) == 3);
  // called for the prototypes (one batch) and in every guided step
  CHECK(method.features.calls->load() > 1);
  CHECK(run_settings(out)["models"]["features"] == "counting-mean-colour");
  CHECK(report.mean_energy_before.has_value());
}

TEST_CASE("prototypes are computed with the preprocessing the composition names", "[pipeline][slots]") {
  const auto data = make_shapes_dataset(3, 20, 3);  // 20 px images, the tower takes 32 px
  const auto models = models::tiny_random_models(RuntimeOptions{}, 5);
  const auto paper = bind_features(Paper{}, models).features;
  const auto v1 = bind_features(ReferenceV1{}, models).features;
  const auto a = extract_real_features(paper, data, models.runtime);
  const auto b = extract_real_features(v1, data, models.runtime);
  REQUIRE(a.features.sizes() == b.features.sizes());
  CHECK_FALSE(torch::allclose(a.features, b.features, 1e-3, 1e-3));
  // Each is θ's tower on the named preprocessing of the image at its own size.
  const auto x = to_tensor(std::vector<Image>{data.load(0), data.load(1)});
  const auto S = models.features.image_size();
  CHECK(torch::allclose(a.features.narrow(0, 0, 2), models.features.encode(paper.prototype_input(x, S)), 1e-5, 1e-6));
  CHECK(torch::allclose(b.features.narrow(0, 0, 2), models.features.encode(ReferenceV1PrototypeInput{}(x, S)), 1e-5,
                        1e-6));
  // The composition's prototypes follow: ReferenceV1's differ from Paper's on the same data.
  const auto C = std::int64_t(data.class_names().size());
  CHECK_FALSE(torch::allclose(prototypes_of(Paper{}, a, C).class_level, prototypes_of(ReferenceV1{}, b, C).class_level,
                              1e-3, 1e-3));
}

TEST_CASE("VaeLatentFeatures: a second feature extractor, bound to the model set's encoder", "[pipeline][slots]") {
  const auto data = make_shapes_dataset(3, 32, 4);
  const auto models = models::tiny_random_models(RuntimeOptions{}, 5);
  Preset<LatentFeatures> p;
  p.method.schedule.m = 2;
  p.method.group_prototypes.k = 2;
  p.method.features.grid = 2;
  const auto bound = bind_features(p.method, models);
  const auto D = bound.features.feature_dim();
  CHECK(D == models.encoder.config().latent_channels * 4);
  // features of one image equal the pooled posterior mean, computed independently
  const auto x = torch::rand({1, 3, 32, 32});
  const auto expect =
      torch::adaptive_avg_pool2d(models.encoder.encode_mean(x * 2 - 1), {2, 2}).flatten(1).to(torch::kFloat32);
  CHECK(torch::allclose(bound.features.extract(x), expect, 1e-5, 1e-6));
  const auto report = expand(p.method, models, data, tiny_config(fresh_dir("slots", "latent") / "run"), nullptr);
  CHECK(report.prototypes.class_level.size(1) == D);
}

TEST_CASE("prototypes are built only for what the energy reads", "[pipeline][slots]") {
  const auto data = make_shapes_dataset(2, 32, 4);  // 2 images per class
  const auto models = models::tiny_random_models(RuntimeOptions{}, 5);
  const auto base = fresh_dir("slots", "reads");
  ClassPrototypesOnly class_only;
  class_only.schedule.m = 2;
  class_only.group_prototypes.k = 5;  // more than a class holds: never clustered
  const auto r1 = expand(class_only, models, data, tiny_config(base / "class"), nullptr);
  CHECK(r1.prototypes.class_level.defined());
  CHECK_FALSE(r1.prototypes.group_level.defined());
  CHECK(fs::exists(base / "class" / "prototypes.safetensors"));
  CHECK(fs::exists(base / "class" / "prototypes_2d.csv"));  // Figure 5's map
  // run.json "keys": what result rows read to tell this run apart.
  const auto keys1 = nlohmann::json::parse(std::ifstream(base / "class" / "run.json"))["keys"];
  CHECK(keys1["composition"] == "class-prototypes-only");
  CHECK(keys1["prototypes"] == "class");
  CHECK(keys1["K"].is_null());  // no group prototypes were built
  CHECK(keys1["M"] == class_only.schedule.steps().front());
  io::ResultRow row;
  REQUIRE(fill_result_keys(row, base / "class"));
  CHECK(row.method == "class-prototypes-only");
  CHECK_FALSE(row.k);
  CHECK(row.steps == std::to_string(class_only.schedule.steps().front()));
  const auto r2 = expand(PlainImg2Img{}, models, data, tiny_config(base / "plain"), nullptr);
  CHECK_FALSE(r2.prototypes.class_level.defined());
  CHECK_FALSE(fs::exists(base / "plain" / "prototypes.safetensors"));
  CHECK_FALSE(fs::exists(base / "plain" / "prototypes_2d.csv"));
  const auto keys2 = nlohmann::json::parse(std::ifstream(base / "plain" / "run.json"))["keys"];
  CHECK(keys2["prototypes"] == "");
  CHECK(keys2["steps"].empty());
  CHECK(keys2["M"].is_null());
}

TEST_CASE("a batch-reading energy term is known at compile time (expand warns for a batch of one)", "[pipeline][slots]") {
  STATIC_REQUIRE(GifSd::energy_type::reads_batch);
  STATIC_REQUIRE_FALSE(Paper::energy_type::reads_batch);
  CHECK(GifSd::energy_type::batch_terms() == "gif-divergence");
  CHECK(Paper::energy_type::batch_terms().empty());
  // The divergence of a batch of one is 0 whatever the features: why a batch of one cannot use it.
  EnergyInputs in;
  in.features = torch::randn({1, 8});
  CHECK(GifDivergence{}.energy(in).abs().max().item<double>() < 1e-6);
  in.features = torch::randn({4, 8});
  CHECK(GifDivergence{}.energy(in).abs().max().item<double>() > 1e-4);
}

TEST_CASE("expand_main keeps the scheduler slot and hands it the model folder's configuration", "[pipeline][slots]") {
  if (!models::find_small_world()) {
    WARN("the shipped small world is not here: skipped");
    return;
  }
  const auto out = fresh_dir("slots", "scheduler") / "run";
  CountingDdim::steps = 0;
  CountingDdim::configured = 0;
  using Method = DistDiff<with_scheduler<CountingDdim>, with_label<"counting">>;
  const int rc = call_main({"t", "--dataset", "shapes", "--per-class", "3", "--max-seeds", "2", "--factor", "1",
                            "--steps", "6", "--M", "2", "--K", "2", "--grid", "0", "--no-class-agreement", "--out",
                            out.string()},
                           [](int argc, char** argv) { return expand_main(argc, argv, Preset<Method>{}, "t"); });
  REQUIRE(rc == 0);
  CHECK(CountingDdim::configured == 1);
  CHECK(CountingDdim::steps > 0);
  const auto s = run_settings(out);
  CHECK(s["composition_params"]["scheduler"]["name"] == "counting-ddim");
  CHECK(s["composition_params"]["group_prototypes"]["params"]["k"] == 2);
  CHECK(s["composition_params"]["schedule"]["params"]["m"] == 2);
}

TEST_CASE("command-line numbers reach their component on every named composition, or are refused",
          "[pipeline][cli]") {
  distdiff::detail::ExpandCli o;
  o.k = 2;
  o.m = "12";
  o.rho = 0.3;
  o.eps = 0.5;
  o.lookahead = 1;
  auto apply = [&](auto method) {
    std::vector<std::string> why_not;
    distdiff::detail::apply_cli_numbers(method, o, why_not);
    return std::pair(method, why_not);
  };
  auto has = [](const std::vector<std::string>& v, const std::string& flag) {
    for (const auto& w : v)
      if (w.rfind(flag, 0) == 0) return true;
    return false;
  };
  {
    const auto [m, no] = apply(Paper{});
    CHECK(no.empty());
    CHECK(m.group_prototypes.k == 2);
    CHECK(m.schedule.m == 12);
    CHECK(m.schedule.look_ahead == 1);
    CHECK(m.update.rho == 0.3);
    CHECK(m.transform.epsilon == 0.5);
  }
  {
    const auto [m, no] = apply(GradientUpdate{});
    CHECK(no.empty());
    CHECK(m.update.rho == 0.3);  // the gradient step's own ρ, not a shared default
  }
  {
    const auto [m, no] = apply(KMeansPrototypes{});
    CHECK(m.group_prototypes.k == 2);
  }
  {
    const auto [m, no] = apply(ConsecutiveGuidance{});
    CHECK(m.schedule.steps() == std::vector<std::int64_t>{12, 13});
  }
  {
    const auto [m, no] = apply(SpreadGuidance{});
    CHECK(m.schedule.steps() == std::vector<std::int64_t>{12});
  }
  {
    const auto [m, no] = apply(ClassPrototypesOnly{});
    CHECK(has(no, "--K"));
    CHECK(m.group_prototypes.k == 3);
    CHECK(no.size() == 1);
  }
  {
    const auto [m, no] = apply(PlainImg2Img{});
    CHECK(no.size() == 5);  // guides no step: takes none of them
    CHECK(has(no, "--K"));
    CHECK(has(no, "--rho"));
    CHECK(m.group_prototypes.k == 3);
  }
  {
    const auto [m, no] = apply(GifSd{});
    CHECK(has(no, "--K"));
    CHECK(has(no, "--M"));
    CHECK(m.transform.epsilon == 0.5);
  }
  o.m = "3,x";
  CHECK_THROWS_WITH(apply(Paper{}), Catch::Contains("comma-separated"));
}

// Every flag, on every named composition: applied to its component, or
// reported; never both, never neither.
template <class Method>
void check_numbers_land_or_are_refused() {
  distdiff::detail::ExpandCli o;
  o.k = 2;
  o.m = "12";
  o.rho = 0.3;
  o.eps = 0.5;
  Method method;
  std::vector<std::string> no;
  distdiff::detail::apply_cli_numbers(method, o, no);
  const auto j = method.params();
  auto reported = [&](const std::string& flag) {
    for (const auto& w : no)
      if (w.rfind(flag + ":", 0) == 0) return true;
    return false;
  };
  const auto steps = method.schedule.steps();
  INFO(Method::label);
  CHECK(reported("--K") != (j["group_prototypes"]["params"].value("k", std::int64_t(-1)) == 2));
  CHECK(reported("--M") != (!steps.empty() && steps.front() == 12));
  CHECK(reported("--rho") != (j["update"]["params"].value("rho", -1.0) == 0.3));
  CHECK(reported("--eps") != (j["transform"]["params"].value("epsilon", -1.0) == 0.5));
}

TEST_CASE("no command-line number is silently dropped, on any named composition", "[pipeline][cli]") {
  []<class... Ms>() { (check_numbers_land_or_are_refused<Ms>(), ...); }
      .template operator()<Paper, ReferenceV1, ReferenceHead, ClassPrototypesOnly, GroupPrototypesOnly, NoPrototypes,
                           ConsecutiveGuidance, SpreadGuidance, KMeansPrototypes, WardPrototypes, GradientUpdate,
                           PerSampleTransform, LatentFeatures, PlainImg2Img, GifSd>();
}

TEST_CASE("expand_main refuses a number the composition cannot take, before writing anything", "[pipeline][cli]") {
  const auto out = fresh_dir("slots", "refuse") / "run";
  const int rc = call_main({"t", "--tiny-random", "--K", "2", "--out", out.string()}, [](int argc, char** argv) {
    return expand_main(argc, argv, Preset<ClassPrototypesOnly>{}, "t");
  });
  CHECK(rc == 1);
  CHECK_FALSE(fs::exists(out));
}

TEST_CASE("variants: --list names them, --variant selects, a variant may not overwrite a given number",
          "[pipeline][cli]") {
  const auto out = fresh_dir("slots", "variants") / "run";
  auto sweep = [](int argc, char** argv) {
    std::vector<Variant<Paper>> v;
    for (std::int64_t m : {10, 20}) v.push_back({"M" + std::to_string(m), [m](Paper& p) { p.schedule.m = m; }});
    return expand_main(argc, argv, paper(), "sweep", v);
  };
  CHECK(call_main({"t", "--list"}, sweep) == 0);
  CHECK(call_main({"t", "--tiny-random", "--variant", "M30", "--out", out.string()}, sweep) == 1);
  CHECK(call_main({"t", "--tiny-random", "--M", "5", "--out", out.string()}, sweep) == 1);  // M10 sets M again
  CHECK_FALSE(fs::exists(out));
  auto multi = [](int argc, char** argv) {
    return compare_main(argc, argv, "multi", variant("paper", paper()), variant("kmeans", Preset<KMeansPrototypes>{}),
                        variant("class-only", Preset<ClassPrototypesOnly>{}));
  };
  CHECK(call_main({"t", "--list"}, multi) == 0);
  CHECK(call_main({"t", "--tiny-random", "--variant", "nope", "--out", out.string()}, multi) == 1);
  // --K goes to the variants that read groups; one that does not is named on stderr, not failed
  const auto one = fresh_dir("slots", "variants-one") / "run";
  REQUIRE(call_main({"t", "--tiny-random", "--variant", "kmeans", "--variant", "class-only", "--K", "1", "--max-seeds",
                     "2", "--factor", "1", "--steps", "6", "--M", "2", "--grid", "0", "--out", one.string()},
                    multi) == 0);
  CHECK_FALSE(fs::exists(one / "paper"));
  CHECK(run_settings(one / "kmeans")["composition_params"]["group_prototypes"]["params"]["k"] == 1);
  CHECK(fs::exists(one / "class-only" / "manifest.jsonl"));
}

}  // namespace DISTDIFF_UNITY_ID
