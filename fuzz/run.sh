#!/usr/bin/env bash
# Builds every libFuzzer target with clang (+ASan/UBSan) and runs each for N
# seconds (default 60) on its generated seed corpus:
#
#   safetensors_fuzz  models/weights/safetensors_format.hpp  (header parser)
#   manifest_fuzz     pipeline/manifest.hpp                  (manifest.jsonl lines)
#   image_fuzz        io/image_io.hpp decode_image           (PNG/JPEG/BMP, pixel limit)
#   results_fuzz      io/results.hpp parse_results           (results CSV)
#   config_fuzz       models/{vae,unet,clip}/config.hpp      (model config.json readers)
#
#   fuzz/run.sh [seconds] [target...]   # output under build-fuzz/ (git-ignored)
#
# FUZZ_SEED=N fixes libFuzzer's random seed, so a run on a fresh build-fuzz/
# replays the same inputs (those that fit in its time); unset, each run draws
# its own seed and explores further. .ci/run fixes it: CI's verdict depends on
# the change, not on the draw. Look for new bugs with long unseeded runs.
#
# Exits non-zero when a target fails to build or finds a crash (the input is
# saved under build-fuzz/artifacts/<target>/). Needs clang++ with the libFuzzer
# runtime (Debian: apt-get install -y clang libclang-rt-14-dev) and
# nlohmann/json and stb; LibTorch is not needed.
set -euo pipefail
seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(safetensors manifest image results config); fi
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out=${FUZZ_OUT:-$root/build-fuzz}
cxx=${CXX:-clang++}
mkdir -p "$out"

flags=(-std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
       -fno-sanitize-recover=undefined -I "$root/include" -I "$here" -isystem /usr/include/stb)
for t in "${targets[@]}"; do
  "$cxx" "${flags[@]}" "$here/${t}_fuzz.cpp" -o "$out/${t}_fuzz"
done
"$cxx" -std=c++20 -O1 -I "$root/include" "$here/gen_seeds.cpp" -o "$out/gen_seeds"
"$cxx" -std=c++20 -O1 -I "$root/include" -isystem /usr/include/stb "$here/gen_corpora.cpp" -o "$out/gen_corpora"
"$out/gen_seeds" "$out/seeds/safetensors"
"$out/gen_corpora" "$out/seeds"

status=0
for t in "${targets[@]}"; do
  mkdir -p "$out/corpus/$t" "$out/artifacts/$t"
  extra=()
  case $t in
    safetensors) extra=(-max_len=4096 -dict="$here/safetensors.dict") ;;
    image) extra=(-max_len=65536 -rss_limit_mb=2048) ;;
    *) extra=(-max_len=8192) ;;
  esac
  if [ -n "${FUZZ_SEED:-}" ]; then extra+=(-seed="$FUZZ_SEED"); fi
  echo "== $t: ${seconds}s${FUZZ_SEED:+, seed $FUZZ_SEED}"
  # New inputs go to corpus/<target>/ (kept between runs); crashes to artifacts/<target>/.
  if ! "$out/${t}_fuzz" -max_total_time="$seconds" -timeout=10 "${extra[@]}" \
      -artifact_prefix="$out/artifacts/$t/" -print_final_stats=1 \
      "$out/corpus/$t" "$out/seeds/$t" 2>"$out/$t.log"; then
    tail -n 40 "$out/$t.log" >&2
    echo "fuzz/run.sh: $t FAILED (inputs in $out/artifacts/$t/)" >&2
    status=1
  else
    grep -E "^stat::number_of_executed_units|^stat::average_exec_per_sec|^stat::new_units_added" "$out/$t.log" | tr '\n' ' '
    echo
  fi
done
exit $status
