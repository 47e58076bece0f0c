#!/usr/bin/env bash
# Images/s of one expansion on 1 and on 2 MPI ranks (run by hand, not in CI):
# the quickstart's workload (small world, 2-shot Fashion-MNIST x5 = 100
# images), each case a fresh output folder, the cases interleaved, and the
# machine's cores split evenly (1 rank x C threads against 2 ranks x C/2).
# Wall time of the whole command (model loading, prototypes, merge included).
#   bash bench/scale_out.sh [repeats=2] [build/bin]
set -euo pipefail
cd "$(dirname "$0")/.."
REPEATS="${1:-2}"
BIN="${2:-build/bin}"
CORES=$(nproc)
MPIRUN=(mpirun --oversubscribe --bind-to none)
if [ "$(id -u)" = 0 ]; then MPIRUN+=(--allow-run-as-root); fi
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT
run() {  # ranks -> seconds
  local ranks=$1 out="$SCRATCH/r$1-$RANDOM"
  local t0 t1
  t0=$(date +%s.%N)
  "${MPIRUN[@]}" -n "$ranks" "$BIN/quickstart" --out "$out" --no-class-agreement --threads $((CORES / ranks)) \
    > "$out.log" 2>&1 || { cat "$out.log"; exit 1; }
  t1=$(date +%s.%N)
  [ "$(wc -l < "$out/manifest.jsonl")" = 100 ] || { echo "ranks=$ranks: the merged manifest is incomplete"; exit 1; }
  echo "$t0 $t1" | awk '{printf "%.2f", $2 - $1}'
}
declare -A total=([1]=0 [2]=0)
for r in $(seq "$REPEATS"); do
  for ranks in 1 2; do
    s=$(run "$ranks")
    total[$ranks]=$(echo "${total[$ranks]} $s" | awk '{print $1 + $2}')
    echo "repeat $r, $ranks rank(s): $s s, $(echo "$s" | awk '{printf "%.2f", 100 / $1}') images/s"
  done
done
awk -v a="${total[1]}" -v b="${total[2]}" -v n="$REPEATS" 'BEGIN {
  printf "mean: 1 rank %.2f images/s, 2 ranks %.2f images/s, ratio 2/1 = %.2f\n", 100*n/a, 100*n/b, a/b }'
