#pragma once
// Umbrella for the Stable Diffusion UNet: building blocks (models/nn), the
// diffusers-compatible UNet2DConditionModel and its Denoiser component.
#include "distdiff/models/nn/attention.hpp"
#include "distdiff/models/nn/resample.hpp"
#include "distdiff/models/nn/resnet_block.hpp"
#include "distdiff/models/nn/timestep_embedding.hpp"
#include "distdiff/models/nn/transformer.hpp"
#include "distdiff/models/unet/blocks.hpp"
#include "distdiff/models/unet/config.hpp"
#include "distdiff/models/unet/unet2d_condition.hpp"
#include "distdiff/models/unet_denoiser.hpp"
