#!/usr/bin/env bash
# The researcher's edit-compile loop: touch one experiment .cpp (an edit as
# far as the build is concerned) and rebuild its binary, RUNS times; prints
# every time and the median. The build folder must be configured and built
# once before (the framework PCH is then up to date, as in a working day).
#
#   bash bench/edit_compile.sh                       # build/, quickstart, 5 runs
#   BUILD=build-dev TARGET=table3_no_prototypes RUNS=7 bash bench/edit_compile.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
TARGET=${TARGET:-quickstart}
RUNS=${RUNS:-5}
SRC=experiments/$TARGET.cpp
[ -f "$SRC" ] || { echo "no $SRC" >&2; exit 1; }
cmake --build "$BUILD" --target "$TARGET" >/dev/null   # bring everything else up to date
times=()
for r in $(seq "$RUNS"); do
  touch "$SRC"
  t0=$(date +%s.%N)
  cmake --build "$BUILD" --target "$TARGET" >/dev/null
  t1=$(date +%s.%N)
  s=$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b - a}')
  times+=("$s")
  printf '  run %d: %6.2f s\n' "$r" "$s"
done
med=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END{print (NR%2)? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}')
opt=$(grep -m1 '^DISTDIFF_EXPERIMENT_OPT' "$BUILD/CMakeCache.txt" | cut -d= -f2)
printf 'edit-compile of %s (%s, DISTDIFF_EXPERIMENT_OPT=%s): median %.2f s over %d runs\n' "$TARGET" "$BUILD" "$opt" "$med" "$RUNS"
