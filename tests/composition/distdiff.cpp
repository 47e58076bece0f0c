#include <catch2/catch.hpp>

#include <type_traits>

#include "distdiff/composition/check.hpp"
#include "distdiff/composition/differs_in.hpp"
#include "distdiff/composition/distdiff.hpp"
#include "distdiff/composition/named.hpp"
#include "distdiff/core/guidance_config.hpp"
#include "distdiff/features/clip_image_features.hpp"
#include "distdiff/features/model_set_features.hpp"
#include "distdiff/features/vae_latent_features.hpp"
#include "distdiff/update/gradient_step.hpp"

using namespace distdiff;

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

TEST_CASE("DistDiff<> is the paper's composition", "[composition]") {
  using D = DistDiff<>;
  STATIC_REQUIRE(std::is_same_v<D::class_prototypes_type, ClassMean>);
  STATIC_REQUIRE(std::is_same_v<D::group_prototypes_type, AgglomerativeGroups<AverageLinkage>>);
  STATIC_REQUIRE(std::is_same_v<D::energy_type, energy_list<ClassDistance, GroupDistance>>);
  STATIC_REQUIRE(std::is_same_v<D::transform_type, ResidualMultiplicative<SharedAcrossBatch>>);
  STATIC_REQUIRE(std::is_same_v<D::schedule_type, SingleStep>);
  STATIC_REQUIRE(std::is_same_v<D::update_type, SignedStep>);
  STATIC_REQUIRE(std::is_same_v<D::scheduler_type, DdimScheduler>);
  STATIC_REQUIRE(distdiff::detail::composition_valid<D>);
  D d;
  CHECK(d.group_prototypes.k == 3);
  CHECK(d.schedule.m == 30);
  CHECK(D::label == "distdiff");
  CHECK(d.describe().find("energy=class-distance(") != std::string::npos);
  CHECK(d.describe().find("+group-distance(") != std::string::npos);
}

TEST_CASE("describe() and params() carry every slot's numbers", "[composition]") {
  DistDiff<> d;
  const auto text = d.describe();
  for (const char* number : {"k=3", "m=30", "look_ahead=2", "rho=0.1", "epsilon=0.8", "features=model-set"})
    CHECK(text.find(number) != std::string::npos);
  const auto j = d.params();
  CHECK(j["group_prototypes"]["params"]["k"] == 3);
  CHECK(j["update"]["params"]["rho"] == 0.1);
  CHECK(j["transform"]["params"]["epsilon"] == 0.8);
  CHECK(j["schedule"]["params"]["m"] == 30);
  CHECK(j["energy"].size() == 2);
  CHECK(j["features"]["name"] == "model-set");
  CHECK(DistDiff<with_features<ClipImageFeatures>>{}.params()["features"]["params"]["guidance_input"]["name"] ==
        "clip-image-processor");
  // ReferenceV1 names v1's preprocessings and CompVis' start noise in its serialised composition.
  const auto v1 = ReferenceV1{}.params();
  CHECK(v1["features"]["params"]["prototype_input"]["params"]["std"][0] == 0.2023);
  CHECK(v1["features"]["params"]["guidance_input"]["name"] == "reference-v1-guidance-input");
  CHECK(v1["scheduler"]["params"]["start_noise"] == "step-above");
  // With its preset's numbers (50 steps, strength 0.9) ReferenceV1 noises the seed latent at ᾱ(901), Paper at ᾱ(881).
  const auto [v1_method, v1_guidance] = reference_v1();
  const auto t_v1 = v1_method.scheduler.img2img_noise_timestep(v1_guidance.num_inference_steps, v1_guidance.strength);
  CHECK(t_v1 == 901);
  CHECK(v1_method.scheduler.alpha_bar(t_v1) == Approx(0.014005).margin(5e-7));
  const auto [paper_method, paper_guidance] = paper();
  CHECK(paper_method.scheduler.img2img_noise_timestep(paper_guidance.num_inference_steps, paper_guidance.strength) ==
        881);
  CHECK(j["scheduler"]["params"]["start_noise"] == "first-step");
  // every number changes the serialised composition
  auto k = d;
  k.group_prototypes.k = 4;
  auto rho = d;
  rho.update.rho = 0.2;
  auto w = d;
  w.energy.get<GroupDistance>().weight = 0.5;
  CHECK(k.params() != j);
  CHECK(rho.params() != j);
  CHECK(w.params() != j);
  CHECK(k.describe() != text);
}

// docs/compositions.md shows the lines between doc-begin and doc-end (CTest
// packaging/compositions_doc_shows_slot_example checks it).
TEST_CASE("the first example of docs/compositions.md", "[composition][docs]") {
  // doc-begin
  using Mine = distdiff::DistDiff<distdiff::with_update<distdiff::GradientStep>>;  // one slot changed
  Mine method;
  method.group_prototypes.k = 4;           // K lives in the group strategy
  method.update.rho = 0.05;                // ρ lives in the update rule
  method.transform.epsilon = 0.4;          // ε lives in the transform
  distdiff::GuidanceConfig guidance;       // the sampler's own numbers: steps, strength, CFG scale, iterations
  // doc-end
  const auto j = method.params();
  CHECK(j["group_prototypes"]["params"]["k"] == 4);
  CHECK(j["update"]["name"] == "gradient-step");
  CHECK(j["update"]["params"]["rho"] == 0.05);
  CHECK(j["transform"]["params"]["epsilon"] == 0.4);
  CHECK(guidance.strength == 0.9);
}

TEST_CASE("the energy terms say which prototypes they read", "[composition]") {
  STATIC_REQUIRE(DistDiff<>::energy_type::reads_class_prototypes);
  STATIC_REQUIRE(DistDiff<>::energy_type::reads_group_prototypes);
  STATIC_REQUIRE_FALSE(DistDiff<with_energy<ClassDistance>>::energy_type::reads_group_prototypes);
  STATIC_REQUIRE_FALSE(DistDiff<with_energy<>>::energy_type::reads_class_prototypes);
  STATIC_REQUIRE_FALSE(DistDiff<with_energy<>>::energy_type::reads_group_prototypes);
}

TEST_CASE("differs_in holds exactly the slots that differ", "[composition]") {
  using G = DistDiff<with_update<GradientStep>, with_label<"grad">>;
  STATIC_REQUIRE(differs_in<G, DistDiff<>, slot::update>);
  STATIC_REQUIRE_FALSE(differs_in<G, DistDiff<>>);                              // a difference left unstated
  STATIC_REQUIRE_FALSE(differs_in<G, DistDiff<>, slot::update, slot::energy>);  // a slot that does not differ
  STATIC_REQUIRE(differs_in<DistDiff<with_label<"x">>, DistDiff<>>);           // labels are not slots
  using F = DistDiff<with_features<VaeLatentFeatures>>;
  STATIC_REQUIRE(differs_in<F, DistDiff<>, slot::features>);
  STATIC_REQUIRE(std::is_same_v<F::features_type, VaeLatentFeatures>);
  STATIC_REQUIRE(std::is_same_v<DistDiff<>::features_type, ModelSetFeatures>);
  using C = DistDiff<with_features<ClipImageFeatures>>;
  STATIC_REQUIRE(differs_in<C, DistDiff<>, slot::features>);
}

TEST_CASE("A slot selector replaces exactly one slot", "[composition]") {
  using G = DistDiff<with_update<GradientStep>, with_label<"grad">>;
  STATIC_REQUIRE(std::is_same_v<G::update_type, GradientStep>);
  STATIC_REQUIRE(std::is_same_v<G::energy_type, DistDiff<>::energy_type>);
  STATIC_REQUIRE(std::is_same_v<G::schedule_type, DistDiff<>::schedule_type>);
  CHECK(G::label == "grad");
  using C = DistDiff<with_energy<ClassDistance>>;
  STATIC_REQUIRE(std::is_same_v<C::energy_type, energy_list<ClassDistance>>);
  STATIC_REQUIRE(distdiff::detail::composition_valid<C>);
}

namespace {
struct NotAnUpdate {
  using component_tag = update_rule_tag;
  std::string name() const { return "broken"; }
};
}  // namespace

TEST_CASE("composition_valid rejects wrong slots without a hard error", "[composition]") {
  STATIC_REQUIRE_FALSE(distdiff::detail::composition_valid<DistDiff<with_update<ClassDistance>>>);
  STATIC_REQUIRE_FALSE(distdiff::detail::composition_valid<DistDiff<with_update<NotAnUpdate>>>);
  STATIC_REQUIRE_FALSE(distdiff::detail::composition_valid<DistDiff<with_energy<SignedStep>>>);
  STATIC_REQUIRE_FALSE(distdiff::detail::composition_valid<int>);
}

}  // namespace DISTDIFF_UNITY_ID
