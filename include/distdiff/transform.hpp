#pragma once
// Latent transforms (paper §4.2).
#include "distdiff/transform/residual_multiplicative.hpp"
