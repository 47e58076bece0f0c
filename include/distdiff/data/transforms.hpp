#pragma once
// Training and test image transforms (torchvision semantics on tensors) and
// their ready-made pipelines. See docs/augment.md.
#include "distdiff/data/transforms/center_crop.hpp"
#include "distdiff/data/transforms/compose.hpp"
#include "distdiff/data/transforms/functional.hpp"
#include "distdiff/data/transforms/normalize.hpp"
#include "distdiff/data/transforms/presets.hpp"
#include "distdiff/data/transforms/random_crop.hpp"
#include "distdiff/data/transforms/random_horizontal_flip.hpp"
#include "distdiff/data/transforms/random_resized_crop.hpp"
#include "distdiff/data/transforms/random_rotation.hpp"
#include "distdiff/data/transforms/resize.hpp"
