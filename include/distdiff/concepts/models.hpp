#pragma once
// The generative model's parts, as the guided sampler sees them.
//
// Denoiser — ψ(z_t, t, c): the noise prediction network (the SD UNet).
//   d.predict_noise(z, t, cond) -> at::Tensor
//     z: scaled latents [B, C, h, w]; t: training timestep; cond: text
//     embeddings [B, L, E]. Returns ε̂ with z's shape. Differentiable in z.
//   d.latent_channels() -> integer C.
//
// LatentEncoder — image to (scaled) latent: the VAE encoder.
//   e.encode(images, gen) -> at::Tensor
//     images [B, 3, H, W] in [-1, 1]; returns latents already multiplied by the
//     scaling factor (0.18215 for SD), sampled from the posterior with `gen`.
//   e.downsample_factor() -> integer (8 for SD).
//
// Decoder — (scaled) latent to image: the VAE decoder.
//   v.decode(z) -> at::Tensor: images [B, 3, H, W] in ≈[-1, 1]; divides by the
//     scaling factor itself. Differentiable in z.
//
// TextEncoder — prompts to conditioning: tokenizer + CLIP text tower.
//   c.encode(prompts) -> at::Tensor [B, L, E] for a std::vector<std::string>.
//
// Every part also has name(). Minimal models: tests/concepts/concepts.cpp.
#include "distdiff/concepts/component.hpp"

namespace distdiff {

struct denoiser_tag {};
struct latent_encoder_tag {};
struct decoder_tag {};
struct text_encoder_tag {};

template <class T>
concept Denoiser =
    HasTag<T, denoiser_tag> && Named<T> &&
    requires(const T& d, const at::Tensor& z, std::int64_t t, const at::Tensor& cond) {
      { d.predict_noise(z, t, cond) } -> std::same_as<at::Tensor>;
      { d.latent_channels() } -> std::convertible_to<std::int64_t>;
    };

template <class T>
concept LatentEncoder =
    HasTag<T, latent_encoder_tag> && Named<T> &&
    requires(const T& e, const at::Tensor& images, at::Generator& gen) {
      { e.encode(images, gen) } -> std::same_as<at::Tensor>;
      { e.downsample_factor() } -> std::convertible_to<std::int64_t>;
    };

template <class T>
concept Decoder = HasTag<T, decoder_tag> && Named<T> && requires(const T& v, const at::Tensor& z) {
  { v.decode(z) } -> std::same_as<at::Tensor>;
};

template <class T>
concept TextEncoder =
    HasTag<T, text_encoder_tag> && Named<T> &&
    requires(const T& c, const std::vector<std::string>& prompts) {
      { c.encode(prompts) } -> std::same_as<at::Tensor>;
    };

}  // namespace distdiff
