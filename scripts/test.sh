#!/usr/bin/env bash
# Installs the dependencies, builds everything (tests, experiments, benches,
# the header-alone check) and runs the whole test suite with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
source scripts/cpu-env.sh   # OpenBLAS kernels for this CPU
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
ctest --test-dir build --output-on-failure -j"$(nproc)" --timeout 900
