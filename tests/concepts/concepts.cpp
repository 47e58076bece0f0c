// "models / does not model" pairs for every concept family, with the minimal
// models from the concept headers' documentation.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "distdiff/concepts.hpp"
#include "distdiff/core/image.hpp"
#include "distdiff/core/types.hpp"

namespace DISTDIFF_UNITY_ID {  // file-local names stay apart in unity builds (tests/CMakeLists.txt)

namespace {
using namespace distdiff;

struct MinimalPrototypes {
  using component_tag = prototype_strategy_tag;
  at::Tensor build(const at::Tensor& f, const at::Tensor&, std::int64_t c) const { return f.slice(0, 0, c).unsqueeze(1); }
  std::string name() const { return "first-sample"; }
};
struct MinimalEnergy {
  using component_tag = energy_tag;
  double weight = 1.0;
  at::Tensor energy(const EnergyInputs& in) const { return in.features.norm(2, {1}); }
  std::string name() const { return "feature-norm"; }
};
struct MinimalTransform {
  using component_tag = latent_transform_tag;
  std::vector<at::Tensor> init(const at::Tensor& z, at::Generator&) const { return {torch::zeros_like(z)}; }
  at::Tensor apply(const at::Tensor& z, const std::vector<at::Tensor>& p) const { return z + p[0]; }
  double epsilon = 0.5;
  at::Tensor project(const at::Tensor& zt, const at::Tensor& z) const {
    return torch::clamp(zt, z - epsilon, z + epsilon);
  }
  std::string name() const { return "shift"; }
};
struct MinimalSchedule {
  using component_tag = guidance_schedule_tag;
  std::vector<std::int64_t> steps() const { return {20}; }
  std::int64_t lookahead() const { return 1; }
  std::string name() const { return "at-20"; }
};
struct MinimalUpdate {
  using component_tag = update_rule_tag;
  double rho = 1.0;
  at::Tensor update(const at::Tensor& p, const at::Tensor& g) const { return p - 0.5 * rho * g; }
  std::string name() const { return "half-step"; }
};
struct MinimalDenoiser {
  using component_tag = denoiser_tag;
  at::Tensor predict_noise(const at::Tensor& z, std::int64_t, const at::Tensor&) const { return torch::zeros_like(z); }
  std::int64_t latent_channels() const { return 4; }
  std::string name() const { return "zero"; }
};
struct MinimalEncoder {
  using component_tag = latent_encoder_tag;
  at::Tensor encode(const at::Tensor& x, at::Generator&) const { return x.slice(1, 0, 1); }
  std::int64_t downsample_factor() const { return 1; }
  std::string name() const { return "first-channel"; }
};
struct MinimalDecoder {
  using component_tag = decoder_tag;
  at::Tensor decode(const at::Tensor& z) const { return z.repeat({1, 3, 1, 1}); }
  std::string name() const { return "grey"; }
};
struct MinimalText {
  using component_tag = text_encoder_tag;
  at::Tensor encode(const std::vector<std::string>& p) const { return torch::zeros({std::int64_t(p.size()), 1, 1}); }
  std::string name() const { return "none"; }
};
struct MinimalDataset {
  using component_tag = dataset_tag;
  std::vector<std::string> classes{"a"};
  std::size_t size() const { return 1; }
  std::int64_t label(std::size_t) const { return 0; }
  Image load(std::size_t) const { return Image(2, 2, 3); }
  const std::vector<std::string>& class_names() const { return classes; }
  std::string prompt(std::int64_t) const { return "a photo of a a."; }
  std::string source(std::size_t) const { return "memory"; }
  std::string name() const { return "one"; }
};
struct MinimalAugment {
  using component_tag = image_transform_tag;
  at::Tensor apply(const at::Tensor& x, Rng&) const { return x; }
  std::string name() const { return "identity"; }
};
// Right structure, wrong tag / right tag, wrong structure.
struct EnergyWithUpdateTag : MinimalEnergy { using component_tag = update_rule_tag; };
struct EnergyWithoutWeight {
  using component_tag = energy_tag;
  at::Tensor energy(const EnergyInputs& in) const { return in.features; }
  std::string name() const { return "no-weight"; }
};
struct UpdateWithoutName {
  using component_tag = update_rule_tag;
  at::Tensor update(const at::Tensor& p, const at::Tensor&, double) const { return p; }
};
struct ScheduleReturningInts {
  using component_tag = guidance_schedule_tag;
  std::vector<int> steps() const { return {20}; }
  std::int64_t lookahead() const { return 1; }
  std::string name() const { return "ints"; }
};
struct MinimalPreprocessor {  // concepts/preprocess.hpp's minimal model
  using component_tag = image_preprocessor_tag;
  at::Tensor operator()(const at::Tensor& x, std::int64_t) const { return x; }
  std::string name() const { return "identity"; }
};
struct PreprocessorWithoutSize {  // takes no input size
  using component_tag = image_preprocessor_tag;
  at::Tensor operator()(const at::Tensor& x) const { return x; }
  std::string name() const { return "identity"; }
};
struct DecoderMutable {  // decode is not const
  using component_tag = decoder_tag;
  at::Tensor decode(const at::Tensor& z) { return z; }
  std::string name() const { return "mutable"; }
};
}  // namespace

TEST_CASE("Every concept: the minimal model models it", "[concepts]") {
  STATIC_REQUIRE(PrototypeStrategy<MinimalPrototypes>);
  STATIC_REQUIRE(EnergyTerm<MinimalEnergy>);
  STATIC_REQUIRE(LatentTransform<MinimalTransform>);
  STATIC_REQUIRE(GuidanceSchedule<MinimalSchedule>);
  STATIC_REQUIRE(UpdateRule<MinimalUpdate>);
  STATIC_REQUIRE(Denoiser<MinimalDenoiser>);
  STATIC_REQUIRE(LatentEncoder<MinimalEncoder>);
  STATIC_REQUIRE(Decoder<MinimalDecoder>);
  STATIC_REQUIRE(TextEncoder<MinimalText>);
  STATIC_REQUIRE(LabelledDataset<MinimalDataset>);
  STATIC_REQUIRE(ImageTransform<MinimalAugment>);
  STATIC_REQUIRE(ImagePreprocessor<MinimalPreprocessor>);
  // and the minimal models behave as documented
  Prototypes p;
  p.class_level = torch::ones({1, 2});
  const auto f = torch::tensor({{3.0, 4.0}});
  CHECK(MinimalEnergy{}.energy(EnergyInputs{f, torch::zeros({1}, torch::kLong), &p}).item<double>() == Approx(5.0));
  CHECK(MinimalUpdate{}.update(torch::ones({1}), torch::ones({1})).item<double>() == Approx(0.5));
}

TEST_CASE("Every concept: look-alikes do not model it", "[concepts]") {
  STATIC_REQUIRE_FALSE(EnergyTerm<EnergyWithUpdateTag>);      // wrong tag
  STATIC_REQUIRE_FALSE(UpdateRule<EnergyWithUpdateTag>);      // right tag, wrong structure
  STATIC_REQUIRE_FALSE(EnergyTerm<EnergyWithoutWeight>);
  STATIC_REQUIRE_FALSE(UpdateRule<UpdateWithoutName>);
  STATIC_REQUIRE_FALSE(GuidanceSchedule<ScheduleReturningInts>);
  STATIC_REQUIRE_FALSE(Decoder<DecoderMutable>);
  STATIC_REQUIRE_FALSE(ImagePreprocessor<PreprocessorWithoutSize>);
  STATIC_REQUIRE_FALSE(ImagePreprocessor<MinimalUpdate>);
  STATIC_REQUIRE_FALSE(PrototypeStrategy<MinimalEnergy>);
  STATIC_REQUIRE_FALSE(LatentTransform<MinimalUpdate>);
  STATIC_REQUIRE_FALSE(Denoiser<MinimalDecoder>);
  STATIC_REQUIRE_FALSE(LatentEncoder<MinimalDenoiser>);
  STATIC_REQUIRE_FALSE(TextEncoder<MinimalDataset>);
  STATIC_REQUIRE_FALSE(LabelledDataset<MinimalText>);
  STATIC_REQUIRE_FALSE(ImageTransform<MinimalSchedule>);
  STATIC_REQUIRE_FALSE(FeatureExtractor<MinimalDecoder>);
  STATIC_REQUIRE_FALSE(NoiseScheduler<MinimalSchedule>);
}

}  // namespace DISTDIFF_UNITY_ID
