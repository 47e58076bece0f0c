#pragma once
// Stable Diffusion's VAE (diffusers AutoencoderKL): the network, its blocks,
// and the encoder/decoder components. See docs/vae.md.
#include "distdiff/models/vae/attention.hpp"
#include "distdiff/models/vae/autoencoder_kl.hpp"
#include "distdiff/models/vae/config.hpp"
#include "distdiff/models/vae/decoder.hpp"
#include "distdiff/models/vae/down_block.hpp"
#include "distdiff/models/vae/downsample.hpp"
#include "distdiff/models/vae/encoder.hpp"
#include "distdiff/models/vae/legacy_names.hpp"
#include "distdiff/models/vae/mid_block.hpp"
#include "distdiff/models/vae/posterior.hpp"
#include "distdiff/models/vae/random_init.hpp"
#include "distdiff/models/vae/resnet_block.hpp"
#include "distdiff/models/vae/up_block.hpp"
#include "distdiff/models/vae/upsample.hpp"
#include "distdiff/models/vae_codec.hpp"
