#pragma once
// Umbrella for the features family: θ(·), images to feature vectors.
#include "distdiff/concepts/features.hpp"
#include "distdiff/features/clip_image_features.hpp"
#include "distdiff/features/model_set_features.hpp"
#include "distdiff/features/vae_latent_features.hpp"
