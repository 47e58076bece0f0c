#!/usr/bin/env bash
# CTest pipeline/mpirun: the quickstart (small world, Fashion-MNIST target
# pool) run by one process and by `mpirun -n 2`: the merged outputs are
# byte-identical (same thread count per process). Then `merge` by hand
# rebuilds the merged outputs from the shards, reports a lost image by shard,
# and a job array (--spread variants) runs each variant on one task.
# Usage: mpirun.sh <bin dir> <scratch dir>
set -euo pipefail
BIN="$1"
OUT="$2"
cd "$(dirname "$0")/../.."
rm -rf "$OUT"
mkdir -p "$OUT"
fail() { echo "mpirun test: $*" >&2; exit 1; }
command -v mpirun >/dev/null || fail "mpirun not found: install Open MPI (scripts/install-deps.sh installs openmpi-bin)"
MPIRUN=(mpirun -n 2 --oversubscribe)
if [ "$(id -u)" = 0 ]; then MPIRUN+=(--allow-run-as-root); fi
ARGS=(--max-seeds 6 --factor 2 --batch-size 2 --no-class-agreement --threads 1)  # 6 units

"$BIN/quickstart" --out "$OUT/one" "${ARGS[@]}" > "$OUT/one.log" 2>&1 || { cat "$OUT/one.log"; fail "one-process run failed"; }
"${MPIRUN[@]}" "$BIN/quickstart" --out "$OUT/two" "${ARGS[@]}" > "$OUT/two.log" 2>&1 ||
  { cat "$OUT/two.log"; fail "mpirun -n 2 failed"; }
grep -q "launch: shard 1/2 (Open MPI" "$OUT/two.log" || fail "the ranks did not read Open MPI's variables"
[ -f "$OUT/two/shards/manifest.0-of-2.jsonl" ] && [ -f "$OUT/two/shards/manifest.1-of-2.jsonl" ] ||
  fail "each rank writes its own manifest part"
diff -r -x run.json -x shards "$OUT/one" "$OUT/two" || fail "mpirun -n 2 differs from one process"
[ "$(wc -l < "$OUT/two/manifest.jsonl")" = 12 ] || fail "the merged manifest holds $(wc -l < "$OUT/two/manifest.jsonl") lines, not 12"

# merge by hand: the same outputs again
rm "$OUT/two/manifest.jsonl" "$OUT/two/manifest.csv" "$OUT/two/grid.png"
"$BIN/quickstart" merge --out "$OUT/two" "${ARGS[@]}" > "$OUT/merge.log" 2>&1 || { cat "$OUT/merge.log"; fail "merge failed"; }
diff -r -x run.json -x shards "$OUT/one" "$OUT/two" || fail "merge by hand differs from one process"
# a lost image: merge names its shard and batch, and writes nothing
lost=$(head -n 3 "$OUT/two/shards/manifest.1-of-2.jsonl" | tail -n 1 | sed 's/.*"file":"\([^"]*\)".*/\1/')
rm "$OUT/two/$lost"
if "$BIN/quickstart" merge --out "$OUT/two" "${ARGS[@]}" > "$OUT/merge2.log" 2>&1; then fail "merge passed with an image missing"; fi
grep -q "1 of 12 images missing" "$OUT/merge2.log" && grep -q "shard 1/2: 1 batch(es)" "$OUT/merge2.log" ||
  { cat "$OUT/merge2.log"; fail "merge did not report the missing image by shard"; }
# rerunning that shard redoes just it
"$BIN/quickstart" --out "$OUT/two" --shard 1/2 "${ARGS[@]}" > "$OUT/rerun.log" 2>&1 || { cat "$OUT/rerun.log"; fail "rerun failed"; }
grep -q "2 images written.*(4 already there" "$OUT/rerun.log" || { cat "$OUT/rerun.log"; fail "the rerun did more than the lost image's batch"; }
diff -r -x run.json -x shards "$OUT/one" "$OUT/two" || fail "the rerun shard differs from one process"

# a job array over variants: task 1 of 2 runs the second selected variant only
V=(--variant paper --variant class-only --tiny-random --max-seeds 2 --factor 1 --threads 1)
SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=2 "$BIN/prototype_strategies" --out "$OUT/array" --spread variants "${V[@]}" \
  > "$OUT/array.log" 2>&1 || { cat "$OUT/array.log"; fail "the array task failed"; }
[ -f "$OUT/array/class-only/manifest.jsonl" ] && [ ! -e "$OUT/array/paper" ] ||
  { ls -R "$OUT/array"; fail "task 1 of 2 should run class-only alone"; }
SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_COUNT=3 "$BIN/prototype_strategies" --out "$OUT/array" --spread variants "${V[@]}" \
  > "$OUT/array2.log" 2>&1 || { cat "$OUT/array2.log"; fail "the idle array task failed"; }
grep -q "no variant on this shard" "$OUT/array2.log" || fail "task 2 of 3 has no variant and should say so"
echo "mpirun test: passed"
