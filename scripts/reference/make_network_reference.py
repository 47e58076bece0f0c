#!/usr/bin/env python3
"""Golden files of every network distdiff loads, made by the reference implementations.

Run by hand (not in CI), in a virtual environment with the pinned packages:

    python3 -m venv /tmp/refnet && /tmp/refnet/bin/pip install -r scripts/reference/requirements-networks.txt
    /tmp/refnet/bin/python scripts/reference/make_network_reference.py tests/reference/networks

It builds tiny random models in the published layouts — UNet2DConditionModel
with SD v1-4's block layout, AutoencoderKL, CLIPTextModel,
CLIPVisionModelWithProjection, a CLIPTokenizer with a tiny vocabulary, SD
v1-4's DDIMScheduler — saves them as an SD folder (unet/, vae/,
text_encoder/, tokenizer/, scheduler/) plus clip_vision/, and writes
io.safetensors with their inputs and outputs, and one plain img2img run of
StableDiffusionImg2ImgPipeline whose random draws (the VAE posterior's and
the start noise) are saved so the C++ side can inject them. io.json records
the versions, the texts and their token ids, and the timesteps.
tests/models/reference_networks.cpp compares the project's loaders and
networks with them.
"""
import json
import os
import sys

import numpy as np
import torch
from safetensors.torch import save_file

import diffusers
import transformers
from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionImg2ImgPipeline, UNet2DConditionModel
from transformers import (CLIPTextConfig, CLIPTextModel, CLIPTokenizer, CLIPVisionConfig,
                          CLIPVisionModelWithProjection)

OUT = sys.argv[1] if len(sys.argv) > 1 else "tests/reference/networks"
torch.manual_seed(0)
torch.use_deterministic_algorithms(True)
io = {}


def rand_weights(model, seed):
    """Every parameter random (diffusers zero-initialises some output layers)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 1 and ("norm" in name or "ln" in name or "layer_norm" in name):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(torch.randn(p.shape, generator=g) * (0.5 / max(1, p[0].numel()) ** 0.5 if p.dim() > 1 else 0.05))
    return model.eval()


# --- tokenizer: a tiny byte-level BPE vocabulary -----------------------------
tok_dir = os.path.join(OUT, "tokenizer")
os.makedirs(tok_dir, exist_ok=True)
words = ["a", "photo", "of", "the", "coat", "dress", "lower", "newer", "wider", "shirt", "."]
pieces = ["a", "p", "h", "o", "t", "f", "e", "c", "d", "r", "s", "l", "w", "n", "i", "."]
vocab_list = pieces + [p + "</w>" for p in pieces]
merges = ["h o", "p ho", "pho t", "phot o</w>", "o f</w>", "t h", "th e</w>", "c o", "co a", "coa t</w>",
          "d r", "dr e", "dre s", "dres s</w>", "l o", "lo w", "low e", "lowe r</w>", "n e", "ne w",
          "new e", "newe r</w>", "s h", "sh i", "shi r", "shir t</w>"]
for m in merges:
    a, b = m.split()
    if a + b not in vocab_list:
        vocab_list.append(a + b)
vocab_list += ["<|startoftext|>", "<|endoftext|>"]
vocab = {t: i for i, t in enumerate(vocab_list)}
with open(os.path.join(tok_dir, "vocab.json"), "w") as f:
    json.dump(vocab, f)
with open(os.path.join(tok_dir, "merges.txt"), "w") as f:
    f.write("#version: 0.2\n" + "\n".join(merges) + "\n")
tokenizer = CLIPTokenizer(os.path.join(tok_dir, "vocab.json"), os.path.join(tok_dir, "merges.txt"),
                          model_max_length=77, unk_token="<|endoftext|>", pad_token="<|endoftext|>")
tokenizer.save_pretrained(tok_dir)
texts = ["a photo of a coat.", "A Photo of the Dress.", "lower newer wider", "shirt, tie & zip!", ""]
io_json = {"texts": texts, "token_ids": [tokenizer(t, padding="max_length", max_length=77, truncation=True).input_ids
                                        for t in texts]}

# --- CLIP text encoder (SD's text_encoder) ----------------------------------
text_cfg = CLIPTextConfig(vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                          num_attention_heads=4, max_position_embeddings=77, hidden_act="quick_gelu",
                          bos_token_id=vocab["<|startoftext|>"], eos_token_id=vocab["<|endoftext|>"],
                          pad_token_id=vocab["<|endoftext|>"], projection_dim=16)
text_encoder = rand_weights(CLIPTextModel(text_cfg), 1)
text_encoder.save_pretrained(os.path.join(OUT, "text_encoder"), safe_serialization=True)
ids = torch.tensor(io_json["token_ids"], dtype=torch.long)
with torch.no_grad():
    t_out = text_encoder(ids)
io["text.input_ids"] = ids
io["text.last_hidden_state"] = t_out.last_hidden_state
io["text.pooler_output"] = t_out.pooler_output

# --- CLIP vision tower with projection --------------------------------------
vis_cfg = CLIPVisionConfig(image_size=32, patch_size=8, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                           num_attention_heads=4, hidden_act="quick_gelu", projection_dim=16)
vision = rand_weights(CLIPVisionModelWithProjection(vis_cfg), 2)
vision.save_pretrained(os.path.join(OUT, "clip_vision"), safe_serialization=True)
pixels = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(3))
with torch.no_grad():
    v_out = vision(pixel_values=pixels)
io["vision.pixel_values"] = pixels
io["vision.image_embeds"] = v_out.image_embeds
io["vision.last_hidden_state"] = v_out.last_hidden_state

# --- UNet in SD v1-4's block layout ------------------------------------------
unet = UNet2DConditionModel(
    sample_size=16, in_channels=4, out_channels=4, layers_per_block=2, block_out_channels=(16, 16, 32, 32),
    down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
    cross_attention_dim=32, attention_head_dim=2, norm_num_groups=8)
unet = rand_weights(unet, 4)
unet.save_pretrained(os.path.join(OUT, "unet"), safe_serialization=True)
g = torch.Generator().manual_seed(5)
sample = torch.randn(2, 4, 16, 16, generator=g)
enc = torch.randn(2, 77, 32, generator=g)
timesteps = torch.tensor([981, 1], dtype=torch.long)
# The mid block barely shows in the output of so small a UNet (the skips
# dominate): its input and output are kept to compare it on its own.
mid = {}


def keep_mid(module, args, kwargs, output):
    mid["in"] = args[0] if args else kwargs["hidden_states"]
    mid["temb"] = args[1] if len(args) > 1 else kwargs["temb"]
    mid["out"] = output


hook = unet.mid_block.register_forward_hook(keep_mid, with_kwargs=True)
with torch.no_grad():
    io["unet.out"] = unet(sample, timesteps, encoder_hidden_states=enc).sample
hook.remove()
io["unet.mid_in"], io["unet.mid_temb"], io["unet.mid_out"] = mid["in"], mid["temb"], mid["out"]
io["unet.sample"] = sample
io["unet.encoder_hidden_states"] = enc
io["unet.timesteps"] = timesteps

# --- VAE ---------------------------------------------------------------------
vae = AutoencoderKL(in_channels=3, out_channels=3, latent_channels=4, layers_per_block=2, norm_num_groups=8,
                    block_out_channels=(8, 16, 16, 16),
                    down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
                    sample_size=32)
vae = rand_weights(vae, 6)
vae.save_pretrained(os.path.join(OUT, "vae"), safe_serialization=True)
images = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(7)) * 2 - 1
with torch.no_grad():
    post = vae.encode(images).latent_dist
    io["vae.images"] = images
    io["vae.posterior_mean"] = post.mean
    io["vae.posterior_std"] = post.std
    z = torch.randn(2, 4, 4, 4, generator=torch.Generator().manual_seed(8))
    io["vae.decode_in"] = z
    io["vae.decode_out"] = vae.decode(z).sample

# --- DDIM with SD v1-4's scheduler config -----------------------------------
sched = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", num_train_timesteps=1000,
                      clip_sample=False, set_alpha_to_one=False, steps_offset=1, prediction_type="epsilon")
sched.save_pretrained(os.path.join(OUT, "scheduler"))
sched.set_timesteps(50)
io_json["ddim_timesteps_50"] = [int(t) for t in sched.timesteps]
io["ddim.alphas_cumprod"] = sched.alphas_cumprod.to(torch.float64)
g = torch.Generator().manual_seed(9)
x = torch.randn(1, 4, 8, 8, generator=g)
eps = torch.randn(1, 4, 8, 8, generator=g)
io["ddim.sample"] = x
io["ddim.model_output"] = eps
io["ddim.step_981"] = sched.step(eps, 981, x, eta=0.0).prev_sample
io["ddim.step_21"] = sched.step(eps, 21, x, eta=0.0).prev_sample

# --- one plain img2img run ---------------------------------------------------
with open(os.path.join(OUT, "model_index.json"), "w") as f:
    json.dump({"_class_name": "StableDiffusionPipeline", "_diffusers_version": diffusers.__version__,
               "unet": ["diffusers", "UNet2DConditionModel"], "vae": ["diffusers", "AutoencoderKL"],
               "text_encoder": ["transformers", "CLIPTextModel"], "tokenizer": ["transformers", "CLIPTokenizer"],
               "scheduler": ["diffusers", "DDIMScheduler"], "safety_checker": None, "feature_extractor": None}, f,
              indent=2)
pipe = StableDiffusionImg2ImgPipeline(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
                                      scheduler=DDIMScheduler.from_config(sched.config), safety_checker=None,
                                      feature_extractor=None, requires_safety_checker=False)
pipe.set_progress_bar_config(disable=True)
init = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(10))
seed, steps, strength, scale, prompt = 11, 50, 0.9, 50.0, "a photo of a coat."
with torch.no_grad():
    out = pipe(prompt=prompt, image=init, strength=strength, num_inference_steps=steps, guidance_scale=scale,
               generator=torch.Generator().manual_seed(seed), output_type="pt", eta=0.0).images
    # The pipeline's two draws from its generator, in order: the posterior
    # sample's ε and the start noise.
    g = torch.Generator().manual_seed(seed)
    io["img2img.posterior_eps"] = torch.randn(1, 4, 4, 4, generator=g)
    io["img2img.noise"] = torch.randn(1, 4, 4, 4, generator=g)
io["img2img.image"] = init
io["img2img.out"] = out
io_json["img2img"] = {"prompt": prompt, "negative_prompt": "", "steps": steps, "strength": strength,
                      "guidance_scale": scale, "eta": 0.0, "output": "[0, 1]"}
io_json["versions"] = {"torch": torch.__version__, "diffusers": diffusers.__version__,
                       "transformers": transformers.__version__, "numpy": np.__version__}

save_file({k: v.contiguous() for k, v in io.items()}, os.path.join(OUT, "io.safetensors"),
          metadata={"made_by": "scripts/reference/make_network_reference.py"})
with open(os.path.join(OUT, "io.json"), "w") as f:
    json.dump(io_json, f, indent=1)
print("wrote", OUT)
