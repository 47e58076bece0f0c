#pragma once
// Update rules for the transform parameters (paper Eq. 4 / 6).
#include "distdiff/update/gradient_step.hpp"
#include "distdiff/update/signed_step.hpp"
