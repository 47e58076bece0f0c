#!/usr/bin/env bash
# distdiff against diffusers on the same model folders and LibTorch kernels
# (bench/diffusers/side_by_side.py). Run by hand, not in CI:
#
#   bash bench/diffusers/run.sh                          # Debian toolchain (LibTorch 1.13), every case, 1 and 2 threads
#   bash bench/diffusers/run.sh --cases full-unet-8 --threads 2 --rounds 5
#   bash bench/diffusers/run.sh --toolchain pypi          # after scripts/toolchain-pypi.sh (torch 2.15.0)
#
# Options before the others: --toolchain debian|pypi, --models DIR (model
# folders, written once: DIR/tiny, DIR/full; 4.4 GB), --out FILE.json (and
# FILE.md). The rest goes to `side_by_side.py run` (--cases, --threads,
# --rounds, --iters, --env-distdiff, --env-diffusers).
#
# debian: a venv with --system-site-packages over Debian's python3-torch (the
#         same libtorch1.13 the build links), requirements-debian.txt.
# pypi:   scripts/toolchain-pypi.sh's venv (its torch wheel holds the LibTorch
#         build-pypi/ links), requirements-pypi.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
toolchain=debian
models="${TMPDIR:-/tmp}/distdiff-bench-models"
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --toolchain) toolchain="$2"; shift 2 ;;
    --models) models="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) break ;;
  esac
done
case "$toolchain" in
  debian)
    build=build
    venv=build/bench-diffusers-venv
    if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
      echo "run.sh: Debian's python3-torch is missing: sudo apt-get install python3-torch python3-venv" >&2
      exit 1
    fi
    [ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv --system-site-packages "$venv"
    "$venv/bin/pip" install -q -r bench/diffusers/requirements-debian.txt ;;
  pypi)
    build="${BUILD:-build-pypi}"
    venv="${VENV:-build-pypi/venv}"
    if [ ! -x "$venv/bin/python" ]; then
      echo "run.sh: no $venv: run scripts/toolchain-pypi.sh first (it makes the venv and $build)" >&2
      exit 1
    fi
    "$venv/bin/pip" install -q -r bench/diffusers/requirements-pypi.txt ;;
  *) echo "run.sh: --toolchain is debian or pypi, not '$toolchain'" >&2; exit 1 ;;
esac
[ -f "$build/build.ninja" ] || cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$build" --target bench_diffusers_steps
cpp="$build/bin/bench_diffusers_steps"
echo "toolchain $toolchain: $("$venv/bin/python" -c 'import torch; print("python torch", torch.__version__)'); C++ $cpp"
[ -f "$models/tiny/sd/unet/config.json" ] || "$cpp" --write-models "$models/tiny"
[ -f "$models/full/sd/unet/config.json" ] || "$cpp" --write-models "$models/full" --full
source scripts/cpu-env.sh   # OpenBLAS kernels for this CPU, the same on both sides
args=(run --cpp "$cpp" --models "$models")
[ -n "$out" ] && args+=(--out "$out")
exec "$venv/bin/python" bench/diffusers/side_by_side.py "${args[@]}" "$@"
