#!/usr/bin/env bash
# Installs the dependencies, builds the quickstart and runs it: expands a
# 2-shot Fashion-MNIST target set (2 images per class from the small world's
# target pool, which the shipped models never saw) x5 with DistDiff on the
# shipped small world (models/small_world: SD-architecture UNet + VAE + CLIP
# trained by distdiff on Fashion-MNIST's foundation split; no downloads),
# writing PNGs, a manifest and a grid to out/quickstart.
#   bash scripts/quickstart.sh --tiny-random     # random-weight tiny models on procedural shapes
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
source scripts/cpu-env.sh   # OpenBLAS kernels for this CPU
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target quickstart -j"$(nproc)"
./build/bin/quickstart --out out/quickstart "$@"
