#pragma once
// Named compositions: the paper, the two versions of the reference code, the
// ablations of the paper's Tables 3-6 (each differs from DistDiff<> in ONE
// slot) and the diffusion baselines. Each states the slots in which it differs
// from Paper, and `differs_in` holds it to that at compile time. Numbers that
// differ from the defaults come with a preset: a configured method plus its
// GuidanceConfig.
//
//     auto [method, guidance] = distdiff::reference_head();
#include "distdiff/composition/differs_in.hpp"
#include "distdiff/composition/distdiff.hpp"
#include "distdiff/composition/preset.hpp"
#include "distdiff/energy/gif.hpp"
#include "distdiff/features/clip_image_features.hpp"
#include "distdiff/features/vae_latent_features.hpp"
#include "distdiff/preprocess/reference_v1.hpp"
#include "distdiff/prototypes/kmeans.hpp"
#include "distdiff/schedule/consecutive_steps.hpp"
#include "distdiff/schedule/final_latent.hpp"
#include "distdiff/schedule/no_guidance.hpp"
#include "distdiff/schedule/spread_steps.hpp"
#include "distdiff/update/gradient_step.hpp"

#include <stdexcept>
#include <string>

namespace distdiff {

// ---- the paper and the reference code ------------------------------------
// The paper's method. Where the paper is silent it takes the conventions of the
// published models: the img2img start noise of diffusers (ᾱ of the first
// denoising step) and θ's preprocessing from the CLIP folder
// (preprocessor_config.json, CLIPImageProcessor: what the weights were trained
// with), the same on the prototype and the guidance side. docs/reference.md
// lists every setting where Paper, ReferenceV1, ReferenceHead and diffusers differ.
using Paper = DistDiff<with_label<"distdiff">>;
// Commit 54524da (CompVis LDM): the paper's numbers, and the v1 code's own
// conventions: the seed latent noised at ᾱ of the DDIM step above the first
// denoising one (ᾱ(901) for 50 × 0.9), prototypes from 224² PIL-bicubic resizes
// normalised with (0.4914, 0.4822, 0.4465) / (0.2023, 0.1994, 0.2010), and the
// guidance's x̂0 resized by torch bicubic without normalisation.
using ReferenceV1Features = BasicClipImageFeatures<ReferenceV1PrototypeInput, ReferenceV1GuidanceInput>;
using ReferenceV1 = DistDiff<with_scheduler<CompVisDdimScheduler>, with_features<ReferenceV1Features>,
                             with_label<"reference-v1">>;
// Commit cab7e16 (diffusers): per-sample e, b; plain gradient step (ρ = 10);
// guidance at timesteps[30:32] of the 50-step list (t = 381, 361 = DDIM
// indices 19, 18) without look-ahead; ε = 0.2; strength 0.5; CFG 7.5.
using ReferenceHead = DistDiff<with_update<GradientStep>, with_transform<ResidualMultiplicative<PerSample>>,
                               with_schedule<ConsecutiveSteps>, with_label<"reference-head">>;

// ---- Table 3: hierarchical prototypes --------------------------------------
using ClassPrototypesOnly = DistDiff<with_energy<ClassDistance>, with_label<"class-prototypes-only">>;
using GroupPrototypesOnly = DistDiff<with_energy<GroupDistance>, with_label<"group-prototypes-only">>;
using NoPrototypes = DistDiff<with_energy<>, with_label<"no-prototypes">>;  // transform, no guidance
// Table 4 (M) and Table 5 (K) vary runtime numbers of DistDiff<>:
//   method.schedule.m = 10;   method.group_prototypes.k = 4;
// ---- Table 6: more optimisation steps ---------------------------------------
using ConsecutiveGuidance = DistDiff<with_schedule<ConsecutiveSteps>, with_label<"consecutive-steps">>;
using SpreadGuidance = DistDiff<with_schedule<SpreadSteps>, with_label<"spread-steps">>;
// ---- further one-slot variants -------------------------------------------
using KMeansPrototypes = DistDiff<with_group_prototypes<KMeansGroups>, with_label<"kmeans-groups">>;
using WardPrototypes = DistDiff<with_group_prototypes<AgglomerativeGroups<WardLinkage>>, with_label<"ward-groups">>;
using GradientUpdate = DistDiff<with_update<GradientStep>, with_label<"gradient-step">>;
using PerSampleTransform = DistDiff<with_transform<ResidualMultiplicative<PerSample>>, with_label<"per-sample-transform">>;
// θ = the VAE's latent (pooled) instead of CLIP: prototypes and energies in the autoencoder's space.
using LatentFeatures = DistDiff<with_features<VaeLatentFeatures>, with_label<"vae-latent-features">>;

// Each named composition differs from Paper in exactly the slots it names.
static_assert(differs_in<ReferenceV1, Paper, slot::scheduler, slot::features>);
static_assert(differs_in<ReferenceHead, Paper, slot::update, slot::transform, slot::schedule>);
static_assert(differs_in<ClassPrototypesOnly, Paper, slot::energy>);
static_assert(differs_in<GroupPrototypesOnly, Paper, slot::energy>);
static_assert(differs_in<NoPrototypes, Paper, slot::energy>);
static_assert(differs_in<ConsecutiveGuidance, Paper, slot::schedule>);
static_assert(differs_in<SpreadGuidance, Paper, slot::schedule>);
static_assert(differs_in<KMeansPrototypes, Paper, slot::group_prototypes>);
static_assert(differs_in<WardPrototypes, Paper, slot::group_prototypes>);
static_assert(differs_in<GradientUpdate, Paper, slot::update>);
static_assert(differs_in<PerSampleTransform, Paper, slot::transform>);
static_assert(differs_in<LatentFeatures, Paper, slot::features>);

// ---- diffusion baselines ------------------------------------------------------
using PlainImg2Img = DistDiff<with_schedule<NoGuidance>, with_label<"stable-diffusion">>;
// GIF-SD: perturbation of the final latent, zero-shot CLIP objectives, one
// signed step of 0.1, per-sample e, b.
using GifSd = DistDiff<with_energy<GifEntropyGain, GifClassConsistency, GifDivergence>,
                       with_schedule<FinalLatent>, with_transform<ResidualMultiplicative<PerSample>>,
                       with_label<"gif-sd">>;
static_assert(differs_in<PlainImg2Img, Paper, slot::schedule>);
static_assert(differs_in<GifSd, Paper, slot::energy, slot::schedule, slot::transform>);

// The paper (§5.2): 50 DDIM steps, strength 0.9, CFG 50, ρ = 0.1, ε = 0.8, K = 3, M = 30.
inline Preset<Paper> paper() { return {}; }
inline Preset<ReferenceV1> reference_v1() { return {}; }

inline Preset<ReferenceHead> reference_head() {
  Preset<ReferenceHead> p;
  p.method.schedule = ConsecutiveSteps{.first = 18, .count = 2, .look_ahead = 1};
  p.guidance.strength = 0.5;
  p.guidance.guidance_scale = 7.5;
  p.method.update.rho = 10.0;
  p.method.transform.epsilon = 0.2;
  return p;
}

// GIF-SD's per-dataset settings (CFG scale, strength, ε) from its code.
inline Preset<GifSd> gif_sd(const std::string& dataset = "cifar100") {
  Preset<GifSd> p;
  struct S { const char* name; double cfg, strength, eps; };
  static constexpr S table[] = {{"cifar100", 50, 0.9, 0.8}, {"caltech101", 5, 0.9, 4.0}, {"cars", 50, 0.9, 0.8},
                                {"dtd", 50, 0.5, 0.8},      {"flowers", 8, 0.5, 0.8},    {"pets", 50, 0.7, 0.8}};
  bool found = false;
  for (const auto& s : table)
    if (dataset == s.name) {
      p.guidance.guidance_scale = s.cfg;
      p.guidance.strength = s.strength;
      p.method.transform.epsilon = s.eps;
      found = true;
    }
  if (!found)
    throw std::invalid_argument("gif_sd: no GIF-SD settings for dataset '" + dataset +
                                "' (cifar100, caltech101, cars, dtd, flowers, pets)");
  return p;
}

}  // namespace distdiff
