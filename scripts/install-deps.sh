#!/usr/bin/env bash
# Installs every Debian package distdiff needs (bookworm). Safe to run twice.
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# openmpi-bin: mpirun, the launcher of split runs (docs/scale-out.md) and of CTest pipeline/mpirun.
# gnuplot-nox: results_table's PNGs and its bar and scatter figures (Figures 4, 5).
# libopenblas0-pthread: without it Debian's LibTorch runs matrix products on
# the reference BLAS (~25x slower).
$SUDO apt-get install -y -qq --no-install-recommends \
  g++ cmake ninja-build git ca-certificates \
  libtorch-dev libopenblas0-pthread \
  xtensor-dev librange-v3-dev libboost-dev catch2 \
  libstb-dev nlohmann-json3-dev libcli11-dev libmatio-dev libbenchmark-dev \
  dataset-fashion-mnist \
  gnuplot-nox \
  openmpi-bin \
  clang libclang-rt-14-dev >/dev/null  # fuzz/run.sh (libFuzzer), run by .ci/run
