#pragma once
// ModelSet — the networks one guided sampler runs: the denoiser ψ, the latent
// encoder and decoder, the text encoder and the feature extractor θ.
#include "distdiff/core/types.hpp"

namespace distdiff {

template <class DenoiserT, class EncoderT, class DecoderT, class TextT, class FeaturesT>
struct ModelSet {
  DenoiserT denoiser;
  EncoderT encoder;
  DecoderT decoder;
  TextT text;
  FeaturesT features;
  RuntimeOptions runtime{};
};

}  // namespace distdiff
