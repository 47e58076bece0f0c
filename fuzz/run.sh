#!/usr/bin/env bash
# Builds the safetensors header fuzzer with clang/libFuzzer (+ASan/UBSan) and
# runs it for N seconds (default 60) on a generated seed corpus.
#
#   fuzz/run.sh [seconds]        # output under build-fuzz/ (git-ignored)
#
# Needs clang++ with the libFuzzer runtime (Debian: apt-get install -y
# libclang-rt-14-dev) and nlohmann/json; LibTorch is not needed.
set -euo pipefail
seconds=${1:-60}
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out=${FUZZ_OUT:-$root/build-fuzz}
cxx=${CXX:-clang++}
mkdir -p "$out/corpus" "$out/artifacts"

"$cxx" -std=c++20 -O1 -g -fno-omit-frame-pointer \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I "$root/include" "$here/safetensors_fuzz.cpp" -o "$out/safetensors_fuzz"
"$cxx" -std=c++20 -O1 -I "$root/include" "$here/gen_seeds.cpp" -o "$out/gen_seeds"
"$out/gen_seeds" "$out/seeds"

# New inputs go to corpus/ (kept between runs); crashes to artifacts/.
"$out/safetensors_fuzz" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
  -dict="$here/safetensors.dict" -artifact_prefix="$out/artifacts/" -print_final_stats=1 \
  "$out/corpus" "$out/seeds"
