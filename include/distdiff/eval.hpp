#pragma once
// Umbrella for the evaluation family: FID (Fréchet distance, feature
// statistics), its Inception-v3 network, and image sources for it.
#include "distdiff/eval/fid.hpp"
#include "distdiff/eval/fid_between.hpp"
#include "distdiff/eval/zero_shot.hpp"
#include "distdiff/eval/image_files.hpp"
#include "distdiff/eval/inception.hpp"
#include "distdiff/eval/paired.hpp"
#include "distdiff/eval/compare_runs.hpp"
