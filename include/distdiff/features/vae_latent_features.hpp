#pragma once
// VaeLatentFeatures — θ(·) from the latent encoder of the model set: the VAE
// posterior mean of the image, average-pooled to a grid × grid map per latent
// channel and flattened (D = latent channels · grid²; SD v1-4 and the small
// world: 4 · 4² = 64). A feature space that needs no CLIP: prototypes and
// energies measure closeness in the autoencoder's latent space.
//
//     using LatentGuided = distdiff::DistDiff<distdiff::with_features<distdiff::VaeLatentFeatures>>;
//     distdiff::Preset<LatentGuided> p;
//     p.method.features.grid = 2;            // this extractor's number
//
// The composition holds the settings; the entry points bind them to the model
// set's encoder (bind()). extract() takes images in [0, 1], resizes them to a
// multiple of the encoder's downsampling factor when needed, and is
// differentiable with respect to them.
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "distdiff/concepts/features.hpp"
#include "distdiff/models/vae_codec.hpp"

namespace distdiff {

struct VaeLatentFeatures {
  using component_tag = feature_extractor_tag;

  std::int64_t grid = 4;                  // pooled map per latent channel: grid × grid
  std::optional<models::VaeEncoder> encoder;      // set by bind()

  at::Tensor extract(const at::Tensor& images) const {
    const auto& e = checked("extract");
    if (!images.defined() || images.dim() != 4 || images.size(1) != e.config().in_channels)
      throw std::invalid_argument("VaeLatentFeatures::extract: images must be [B, " +
                                  std::to_string(e.config().in_channels) + ", H, W] in [0, 1]");
    auto x = images.to(e.options().device, e.options().dtype) * 2.0 - 1.0;
    const auto f = e.downsample_factor();
    const std::int64_t h = (x.size(2) + f - 1) / f * f;
    const std::int64_t w = (x.size(3) + f - 1) / f * f;
    if (h != x.size(2) || w != x.size(3))
      x = torch::nn::functional::interpolate(
          x, torch::nn::functional::InterpolateFuncOptions().size(std::vector<std::int64_t>{h, w})
                 .mode(torch::kBilinear).align_corners(false));
    const auto z = e.encode_mean(x);
    return torch::adaptive_avg_pool2d(z, {grid, grid}).flatten(1).to(torch::kFloat32);
  }
  std::int64_t feature_dim() const { return checked("feature_dim").config().latent_channels * grid * grid; }
  std::string name() const {
    return "vae-latent(grid=" + std::to_string(grid) + (encoder ? ", " + encoder->name() : std::string()) + ")";
  }
  nlohmann::json params() const { return {{"grid", grid}}; }

  template <class Models>
  VaeLatentFeatures bind(const Models& models) const {
    static_assert(std::is_same_v<std::remove_cvref_t<decltype(models.encoder)>, models::VaeEncoder>,
                  "VaeLatentFeatures: the model set's encoder must be a VaeEncoder");
    if (grid < 1) throw std::invalid_argument("VaeLatentFeatures: grid must be >= 1, got " + std::to_string(grid));
    VaeLatentFeatures f = *this;
    if (!f.encoder) f.encoder = models.encoder;
    return f;
  }

 private:
  const models::VaeEncoder& checked(const char* what) const {
    if (!encoder)
      throw std::logic_error(std::string("VaeLatentFeatures::") + what +
                             ": no encoder; bind() it to a model set (the entry points do)");
    return *encoder;
  }
};

static_assert(FeatureExtractor<VaeLatentFeatures>);

}  // namespace distdiff
