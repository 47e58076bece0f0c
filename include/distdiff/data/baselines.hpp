#pragma once
// Transformation-based baselines of the paper's Table 1 (Cutout, GridMask,
// RandAugment) and RandomErasing, each a distdiff::ImageTransform on [0, 1]
// images. See docs/augment.md.
#include "distdiff/data/baselines/cutout.hpp"
#include "distdiff/data/baselines/grid_mask.hpp"
#include "distdiff/data/baselines/rand_augment.hpp"
#include "distdiff/data/baselines/rand_augment_ops.hpp"
#include "distdiff/data/baselines/random_erasing.hpp"
