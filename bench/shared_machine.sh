#!/usr/bin/env bash
# Throughput on a shared machine: the quickstart workload (tiny models, --max-seeds
# seed images x5) run next to BUSY busy processes with the default thread policy
# (adaptive), with a fixed count of all CPUs (--threads $(nproc), the policy
# before it adapted) and with --threads 1, interleaved, REPEATS times each; then
# the same alone. Prints each variant's median wall time and the slowdown ratio
# default / 1-thread under load (the thread policy's target: <= 1.2).
#
#   bash bench/shared_machine.sh                  # build/bin/quickstart, 4 seeds, 2 busy, 3 repeats
#   BUSY=1 REPEATS=5 SEEDS=8 bash bench/shared_machine.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/bin/quickstart}
SEEDS=${SEEDS:-4}
BUSY=${BUSY:-2}
REPEATS=${REPEATS:-3}
[ -x "$BIN" ] || { echo "no $BIN: cmake --build build --target quickstart" >&2; exit 1; }
OUT=$(mktemp -d)
busy_pids=()
cleanup() { for p in "${busy_pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$OUT"; }
trap cleanup EXIT

# seconds of one run; $1 = label, rest = extra flags
run() {
  local label=$1; shift
  rm -rf "$OUT/run"
  local t0 t1
  t0=$(date +%s.%N)
  "$BIN" --tiny-random --out "$OUT/run" --max-seeds "$SEEDS" --grid 0 "$@" >"$OUT/log" 2>&1 || { cat "$OUT/log" >&2; exit 1; }
  t1=$(date +%s.%N)
  local s; s=$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b - a}')
  echo "$label $s" >>"$OUT/times"
  printf '  %-16s %7.2f s   (%s)\n' "$label" "$s" "$(grep -m1 '^cpu:' "$OUT/log" | cut -c6-)"
}
median() { grep "^$1 " "$OUT/times" | awk '{print $2}' | sort -g | awk '{a[NR]=$1} END{print (NR%2)? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

echo "machine: $(nproc) CPUs, $(uname -r); $BIN, $SEEDS seed images x5"
echo "alone:"
N=$(nproc)
for r in $(seq "$REPEATS"); do run alone-default; run alone-fixed$N --threads "$N"; run alone-1thread --threads 1; done
for i in $(seq "$BUSY"); do ( while :; do :; done ) & busy_pids+=($!); done
sleep 1
echo "next to $BUSY busy processes:"
for r in $(seq "$REPEATS"); do
  if (( r % 2 )); then run busy-default; run busy-fixed$N --threads "$N"; run busy-1thread --threads 1
  else run busy-1thread --threads 1; run busy-fixed$N --threads "$N"; run busy-default; fi
done
echo
for v in alone-default alone-fixed$N alone-1thread busy-default busy-fixed$N busy-1thread; do printf '%-14s median %7.2f s\n' "$v" "$(median $v)"; done
ratio() { awk -v a="$(median "$1")" -v b="$(median "$2")" 'BEGIN{printf "%.2f", a / b}'; }
echo "slowdown under load against --threads 1 (medians): default $(ratio busy-default busy-1thread) (target <= 1.2), fixed $N threads $(ratio busy-fixed$N busy-1thread)"
