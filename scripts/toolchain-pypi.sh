#!/usr/bin/env bash
# The second toolchain: distdiff built against the LibTorch inside PyPI's
# `torch` wheel (pinned below: LibTorch 2.x, compiled with CUDA), in its own
# virtual environment and build folder, beside the default Debian LibTorch 1.13
# build (scripts/test.sh). The CPU test suite runs there too; the 2.x branches
# (fused scaled_dot_product_attention, CUDA devices) are the ones compiled.
#
#   bash scripts/toolchain-pypi.sh                 # venv + configure + build + CTest
#   bash scripts/toolchain-pypi.sh --target test_models_unet   # one target, then that test executable
#   bash scripts/toolchain-pypi.sh --unit-tests    # what .ci/run runs: the test executables alone
#                                                  # (no experiments, bench, header check, install or
#                                                  # compile-fail tests) and their CTest tests
#   TORCH_PIN=torch==2.15.0 VENV=/opt/distdiff-torch BUILD=build-pypi bash scripts/toolchain-pypi.sh
#
# Needs what scripts/install-deps.sh installs (g++, CMake, the header-only
# libraries), python3-venv, and for CUDA the toolkit (nvcc; no GPU needed to
# build). Without nvcc the wheel's CUDA libraries still link; nothing is
# compiled by nvcc here.
set -euo pipefail
cd "$(dirname "$0")/.."
TORCH_PIN="${TORCH_PIN:-torch==2.15.0}"
VENV="${VENV:-build-pypi/venv}"
BUILD="${BUILD:-build-pypi}"
TARGET=()
UNIT=0
if [ "${1:-}" = "--target" ]; then TARGET=(--target "$2"); fi
if [ "${1:-}" = "--unit-tests" ]; then UNIT=1; fi
# Named either way: CMake keeps cached options, so a folder first built with
# --unit-tests would otherwise stay without the rest.
SCOPE=(-DDISTDIFF_BUILD_EXPERIMENTS=ON -DDISTDIFF_BUILD_BENCH=ON -DDISTDIFF_INSTALL=ON -DDISTDIFF_HEADER_CHECK=FOLDER)
if [ "$UNIT" = 1 ]; then
  # The Catch2 executables only: their tests need no experiment binaries, and the
  # compile-fail, packaging and pipeline tests check what the default build checks.
  SCOPE=(-DDISTDIFF_BUILD_EXPERIMENTS=OFF -DDISTDIFF_BUILD_BENCH=OFF -DDISTDIFF_INSTALL=OFF
         -DDISTDIFF_HEADER_CHECK=OFF)
fi

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
  "$VENV/bin/pip" install -q "$TORCH_PIN"
fi
SITE=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
PREFIX=$("$VENV/bin/python" -c 'import torch; print(torch.utils.cmake_prefix_path)')
echo "toolchain: $("$VENV/bin/python" -c 'import torch; print("LibTorch", torch.__version__, "CUDA", torch.version.cuda)')"

# The wheel's libtorch_cuda needs the CUDA, cuDNN and NCCL libraries of the
# nvidia-* wheels beside it (newer than a system NCCL): the linker is pointed
# at them, and the binaries find them at run time through their rpath.
NV_LIBS=$(ls -d "$SITE"/nvidia/*/lib 2>/dev/null | paste -sd: || true)
LINK_FLAGS=""
if [ -n "$NV_LIBS" ]; then LINK_FLAGS="-Wl,-rpath-link,$NV_LIBS -Wl,-rpath,$NV_LIBS"; fi
# The wheel's root (lib/, include/) is a prefix too: TorchConfig.cmake finds
# libtorch and libc10 with find_library, which would otherwise take Debian's
# from /usr/lib first (cmake/DistdiffTorchCheck.cmake rejects such a mix).
TORCH_ROOT=$("$VENV/bin/python" -c 'import os, torch; print(os.path.dirname(torch.__file__))')
# No GPU to probe here: the CUDA architectures are named (A100, H100).
export TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-8.0;9.0}"
# These settings as an initial cache, used below and by a researcher's own
# repository built against this LibTorch (docs/guide.md, "Using distdiff from your own repository"):
#   cmake -S . -B build -DCMAKE_PREFIX_PATH=<distdiff install> -C <distdiff>/build-pypi/toolchain.cmake
mkdir -p "$BUILD"
{
  echo "# Written by scripts/toolchain-pypi.sh: the LibTorch of $TORCH_PIN in $TORCH_ROOT."
  echo "foreach(p \"$PREFIX\" \"$TORCH_ROOT\")"
  echo '  list(FIND CMAKE_PREFIX_PATH "${p}" at)'
  echo '  if(at EQUAL -1)'
  echo '    list(APPEND CMAKE_PREFIX_PATH "${p}")'
  echo '  endif()'
  echo 'endforeach()'
  echo 'set(CMAKE_PREFIX_PATH "${CMAKE_PREFIX_PATH}" CACHE STRING "Prefixes for find_package" FORCE)'
  echo "set(CMAKE_EXE_LINKER_FLAGS \"$LINK_FLAGS\" CACHE STRING \"\")"
  echo 'if(NOT DEFINED ENV{TORCH_CUDA_ARCH_LIST})'
  echo "  set(ENV{TORCH_CUDA_ARCH_LIST} \"$TORCH_CUDA_ARCH_LIST\")"
  echo 'endif()'
  if command -v nvcc >/dev/null; then
    echo "set(CMAKE_CUDA_COMPILER \"$(command -v nvcc)\" CACHE FILEPATH \"\")"
  fi
} > "$BUILD/toolchain.cmake"
source scripts/cpu-env.sh
# -U: a folder configured before the wheel's root was a prefix cached Debian's paths.
cmake -C "$BUILD/toolchain.cmake" -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -U TORCH_LIBRARY -U c10_LIBRARY -U C10_CUDA_LIBRARY "${SCOPE[@]}" >/dev/null
cmake --build "$BUILD" -j"$(nproc)" "${TARGET[@]}"
if [ "$UNIT" = 1 ]; then
  ctest --test-dir "$BUILD" --output-on-failure -j"$(nproc)" --timeout 900 -E '^(compile_fail|packaging)/'
elif [ ${#TARGET[@]} -eq 0 ]; then
  ctest --test-dir "$BUILD" --output-on-failure -j"$(nproc)" --timeout 900
else
  "$BUILD/tests/$2"
fi
