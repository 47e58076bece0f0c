#pragma once
// Umbrella for the features family: θ(·), images to feature vectors.
#include "distdiff/concepts/features.hpp"
#include "distdiff/features/clip_image_features.hpp"
