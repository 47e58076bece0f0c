#pragma once
// The model zoo: weights I/O, gradient checkpointing, Stable Diffusion v1-4
// (UNet, VAE, CLIP text encoder + tokenizer), CLIP, and the bundle of them.
#include "distdiff/models/clip.hpp"
#include "distdiff/models/clip_text_conditioner.hpp"
#include "distdiff/models/grad_checkpoint.hpp"
#include "distdiff/models/stable_diffusion.hpp"
#include "distdiff/models/unet.hpp"
#include "distdiff/models/unet_denoiser.hpp"
#include "distdiff/models/vae.hpp"
#include "distdiff/models/vae_codec.hpp"
#include "distdiff/models/weights.hpp"
