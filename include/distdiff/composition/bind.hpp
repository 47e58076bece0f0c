#pragma once
// bind_features(method, models) — the model set with the composition's
// feature extractor θ in place of its own: the features slot holds the
// extractor's settings, and its `bind(models)` member (when it has one) takes
// the networks it needs from the loaded model set (ModelSetFeatures, the
// default: the model set's own extractor; ClipImageFeatures: the CLIP image
// tower; VaeLatentFeatures: the VAE encoder). An extractor without
// bind() needs no networks and is used as it is.
//
// expand() and GuidedSampler bind, so the features slot is the one θ used for
// prototypes and energies; the model set's own `features` stays available to
// the caller (the tools use it for zero-shot class agreement).
#include <type_traits>
#include <utility>

#include "distdiff/composition/check.hpp"
#include "distdiff/core/model_set.hpp"

namespace distdiff {

template <class Composition, class Models>
auto bind_features(const Composition& method, const Models& models) {
  if constexpr (!detail::composition_valid<Composition> || !detail::HasModelParts<Models>) {
    return models;  // the entry point reports what is wrong
  } else {
    auto features = [&] {
      if constexpr (requires { method.features.bind(models); }) return method.features.bind(models);
      else return method.features;
    }();
    using M = ModelSet<std::remove_cvref_t<decltype(models.denoiser)>, std::remove_cvref_t<decltype(models.encoder)>,
                       std::remove_cvref_t<decltype(models.decoder)>, std::remove_cvref_t<decltype(models.text)>,
                       decltype(features)>;
    return M{models.denoiser, models.encoder, models.decoder, models.text, std::move(features), models.runtime};
  }
}

template <class Composition, class Models>
using bound_models_t = decltype(bind_features(std::declval<const Composition&>(), std::declval<const Models&>()));

}  // namespace distdiff
