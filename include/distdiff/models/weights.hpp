#pragma once
// Model weights: safetensors files, state dicts, JSON configs and the mapping
// of original single-file Stable Diffusion checkpoints. See docs/weights.md.
#include "distdiff/models/weights/config.hpp"
#include "distdiff/models/weights/safetensors.hpp"
#include "distdiff/models/weights/safetensors_format.hpp"
#include "distdiff/models/weights/sd_checkpoint.hpp"
#include "distdiff/models/weights/state_dict.hpp"
