#pragma once
// Umbrella for the preprocess family: how images become θ's network input.
#include "distdiff/concepts/preprocess.hpp"
#include "distdiff/preprocess/clip_image_processor.hpp"
#include "distdiff/preprocess/normalize.hpp"
#include "distdiff/preprocess/pil_resize.hpp"
#include "distdiff/preprocess/reference_v1.hpp"
