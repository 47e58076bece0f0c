#pragma once
// Umbrella for the pretrain family: training the small world's networks
// (CLIP, VAE, UNet of the published architectures, at small sizes) from
// scratch on a foundation split, and writing them in the published folder
// layouts. Tool: experiments/pretrain_small_world.cpp. Guide: docs/small-world.md.
#include "distdiff/pretrain/captions.hpp"
#include "distdiff/pretrain/clip_contrastive.hpp"
#include "distdiff/pretrain/foundation_split.hpp"
#include "distdiff/pretrain/image_tensors.hpp"
#include "distdiff/pretrain/training_log.hpp"
#include "distdiff/pretrain/training_loop.hpp"
#include "distdiff/pretrain/unet_trainer.hpp"
#include "distdiff/pretrain/vae_trainer.hpp"
