#pragma once
// Guidance schedules: which denoising steps are optimised (paper §5.4, Tables 4 and 6).
#include "distdiff/schedule/consecutive_steps.hpp"
#include "distdiff/schedule/final_latent.hpp"
#include "distdiff/schedule/no_guidance.hpp"
#include "distdiff/schedule/single_step.hpp"
#include "distdiff/schedule/spread_steps.hpp"
