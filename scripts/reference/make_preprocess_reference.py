#!/usr/bin/env python3
"""Golden files for image preprocessing, made by the reference implementations.

Run by hand (not in CI), from the repository root:

    python3 -m venv /tmp/refvenv
    /tmp/refvenv/bin/pip install -r scripts/reference/requirements.txt
    /tmp/refvenv/bin/python scripts/reference/make_preprocess_reference.py

Writes tests/reference/preprocess.safetensors and tests/reference/preprocess.json
(the versions that made it). For each test image i (uint8, H x W x 3):

  input_i          the image itself
  clip_u8_i        transformers' CLIPImageProcessor (published openai/clip-vit-base-patch32
                   settings) with rescale and normalisation switched off: the PIL bicubic
                   resize of the shortest side to 224 and transformers' centre crop, [224, 224, 3]
  clip_band_i      the full CLIPImageProcessor output (rescale + CLIP mean / std), rows 96..127
                   of the [3, 224, 224] pixel_values, float32 [3, 32, 224]
  v1_u8_i          the prototype pipeline of DistDiff v1 (extract_prototypes.py): torchvision's
                   Resize((224, 224), BICUBIC) on a PIL image, which is PIL's resize, [224, 224, 3]
  v1_band_i        the same followed by ToTensor (/255) and Normalize(mean (0.4914, 0.4822, 0.4465),
                   std (0.2023, 0.1994, 0.2010)), rows 96..127, float32 [3, 32, 224]

The images are non-square, down- and up-sampled, and chosen so that transformers'
centre-crop offset (floor) differs from rounding half to even.
"""
import json
import pathlib
import sys

import numpy as np
import PIL
from PIL import Image
import safetensors
from safetensors.numpy import save_file
import transformers
from transformers import CLIPImageProcessor

OUT = pathlib.Path("tests/reference")
V1_MEAN = np.array([0.4914, 0.4822, 0.4465], dtype=np.float32)
V1_STD = np.array([0.2023, 0.1994, 0.2010], dtype=np.float32)
BAND = slice(96, 128)


def images():
    rng = np.random.RandomState(0)
    # 1. square, textured (noise on a gradient), downsampled 320 -> 224
    y, x = np.mgrid[0:320, 0:320]
    base = np.stack([x * 0.7, y * 0.7, (x + y) * 0.35], axis=-1)
    textured = np.clip(base + rng.randint(-60, 61, size=(320, 320, 3)), 0, 255).astype(np.uint8)
    # 2. landscape 200 x 307: width 343 after the resize, crop offset 119 // 2 = 59 (half-to-even: 60)
    landscape = rng.randint(0, 256, size=(200, 307, 3)).astype(np.uint8)
    # 3. portrait 22 x 13, upsampled: height 379 after the resize, offset 155 // 2 = 77 (half-to-even: 78)
    portrait = rng.randint(0, 256, size=(22, 13, 3)).astype(np.uint8)
    return [textured, landscape, portrait]


def main():
    # The published openai/clip-vit-base-patch32 preprocessor_config.json.
    published = dict(crop_size=224, do_center_crop=True, do_normalize=True, do_resize=True,
                     image_mean=[0.48145466, 0.4578275, 0.40821073],
                     image_std=[0.26862954, 0.26130258, 0.27577711], resample=3, size=224)
    clip = CLIPImageProcessor(**published)
    clip_u8 = CLIPImageProcessor(**{**published, "do_normalize": False})
    tensors = {}
    for i, img in enumerate(images()):
        tensors[f"input_{i}"] = img
        u8 = clip_u8(images=img, do_rescale=False, return_tensors="np")["pixel_values"][0]  # [3, 224, 224]
        assert np.all(u8 == np.round(u8)), "CLIPImageProcessor without rescale should give integer values"
        tensors[f"clip_u8_{i}"] = np.ascontiguousarray(u8.transpose(1, 2, 0)).astype(np.uint8)
        full = clip(images=img, return_tensors="np")["pixel_values"][0].astype(np.float32)
        tensors[f"clip_band_{i}"] = np.ascontiguousarray(full[:, BAND, :])
        v1 = np.asarray(Image.fromarray(img).resize((224, 224), Image.BICUBIC))  # [224, 224, 3] uint8
        tensors[f"v1_u8_{i}"] = np.ascontiguousarray(v1)
        v1f = (v1.astype(np.float32) / 255.0 - V1_MEAN) / V1_STD
        tensors[f"v1_band_{i}"] = np.ascontiguousarray(v1f.transpose(2, 0, 1)[:, BAND, :]).astype(np.float32)
    OUT.mkdir(parents=True, exist_ok=True)
    versions = {"python": sys.version.split()[0], "numpy": np.__version__, "pillow": PIL.__version__,
                "transformers": transformers.__version__, "safetensors": safetensors.__version__,
                "clip_image_processor": published, "band_rows": [BAND.start, BAND.stop]}
    save_file(tensors, str(OUT / "preprocess.safetensors"), metadata={"made_by": json.dumps(versions)})
    (OUT / "preprocess.json").write_text(json.dumps(versions, indent=2) + "\n")
    print(f"wrote {OUT / 'preprocess.safetensors'}: {len(tensors)} tensors; {versions}")


if __name__ == "__main__":
    main()
