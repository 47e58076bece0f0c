#pragma once
// ModelSetFeatures — the default of the features slot: θ is the model set's
// own feature extractor (for Stable Diffusion model sets, the CLIP image tower
// loaded from --clip: the paper's θ). bind(models) returns models.features
// itself, so a model set with any FeatureExtractor works with DistDiff<>.
//
// It stands for an extractor and is not one: extract() before binding is a
// logic error. With it, θ's preprocessing is the model folder's (for CLIP:
// preprocessor_config.json, CLIPImageProcessor). Choose a concrete θ with
// with_features<BasicClipImageFeatures<PrototypeInput, GuidanceInput>> (the
// preprocessings are then the composition's: ReferenceV1Features) or
// with_features<VaeLatentFeatures>.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "distdiff/concepts/features.hpp"

namespace distdiff {

struct ModelSetFeatures {
  using component_tag = feature_extractor_tag;

  template <class Models>
  auto bind(const Models& models) const {
    return models.features;
  }

  at::Tensor extract(const at::Tensor&) const { unbound("extract"); }
  std::int64_t feature_dim() const { unbound("feature_dim"); }
  std::string name() const { return "model-set"; }
  nlohmann::json params() const { return nlohmann::json::object(); }

 private:
  [[noreturn]] static void unbound(const char* what) {
    throw std::logic_error(std::string("ModelSetFeatures::") + what +
                           ": the placeholder for the model set's θ; bind it with bind_features(method, models)");
  }
};

static_assert(FeatureExtractor<ModelSetFeatures>);

}  // namespace distdiff
