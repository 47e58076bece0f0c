#!/usr/bin/env bash
# Installs the dependencies, builds the quickstart and runs it: expands a small
# procedural image set x5 with DistDiff on tiny random-weight models (no
# downloads), writing PNGs, a manifest and a grid to out/quickstart.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target quickstart -j"$(nproc)"
./build/bin/quickstart --out out/quickstart "$@"
