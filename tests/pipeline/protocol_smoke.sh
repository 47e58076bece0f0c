#!/usr/bin/env bash
# CTest pipeline/protocol_smoke: scripts/protocol.sh end to end on a few
# classes, one seed and tiny settings (protocol_tiny.sh) — Tables 1, 3 and 5
# on Fashion-MNIST's target pool with the small world, then Table 3 on the
# same images exported as an image folder named dtd (the same command, another
# --data) — and checks what it wrote. Its folders are the fixture of CTest
# docs/results_commands, which runs docs/results.md's commands on them.
# Usage: protocol_smoke.sh <bin dir> <scratch dir>
set -euo pipefail
BIN="$1"
OUT="$2"
cd "$(dirname "$0")/../.."
rm -rf "$OUT"
mkdir -p "$OUT"
fail() { echo "protocol_smoke: $*" >&2; exit 1; }
lines() { if [ -f "$1" ]; then echo $(( $(wc -l < "$1") - 1 )); else echo 0; fi; }
# shellcheck source=protocol_tiny.sh
source tests/pipeline/protocol_tiny.sh

bash scripts/protocol.sh --out "$OUT/fm" --tables "1 3 5" --data "$DATA" "${SMALL[@]}"
# Table 1: 4 transformation rows + SD img2img + GIF-SD + DistDiff; Table 3: 3 more; Table 5: K = 1..4
[ "$(lines "$OUT/fm/results.csv")" -eq 14 ] || fail "expected 14 result rows, got $(lines "$OUT/fm/results.csv")"
[ "$(lines "$OUT/fm/frechet.csv")" -eq 10 ] || fail "expected 10 Fréchet rows, got $(lines "$OUT/fm/frechet.csv")"
[ "$(lines "$OUT/fm/expansions.csv")" -eq 10 ] || fail "expected 10 expansion rows, got $(lines "$OUT/fm/expansions.csv")"
grep -q "DistDiff" "$OUT/fm/tables/table1.md" || fail "table1.md has no DistDiff row"
grep -q "GIF-SD" "$OUT/fm/tables/table1.md" || fail "table1.md has no GIF-SD row"
[ -s "$OUT/fm/compare_grid.png" ] || fail "no compare_grid.png"
[ -f "$OUT/fm/tables/ablation_K_$D.svg" ] || fail "no K ablation plot"
# Table 5 from the rows' K field (1..4), Table 3 with the FID column from frechet's rows.
grep -q "^| K | 1 | 2 | 3 | 4 |" "$OUT/fm/tables/table5_$D.md" || fail "table5 has not K = 1..4: $(cat "$OUT/fm/tables/table5_$D.md")"
[ "$(grep -c "^| .* | [0-9.]\+\( ± [0-9.]\+\)\? | [0-9.]\+ |$" "$OUT/fm/tables/table3_$D.md")" -eq 4 ] ||
  fail "table3: expected 4 rows (none, class, group, class+group) with accuracy and FID: $(cat "$OUT/fm/tables/table3_$D.md")"
# every generated run holds 8 images (2 classes x 4 shots x factor 1)
for m in "$OUT"/fm/gen/s1/*/manifest.jsonl "$OUT"/fm/gen/s1/*/*/manifest.jsonl; do
  [ -f "$m" ] || continue
  [ "$(wc -l < "$m")" -eq 8 ] || fail "$m: expected 8 images"
done

# A second run of the same command resumes: nothing is generated or trained again.
bash scripts/protocol.sh --out "$OUT/fm" --tables "1 3 5" --data "$DATA" "${SMALL[@]}"
[ "$(lines "$OUT/fm/results.csv")" -eq 14 ] || fail "the resumed run appended rows"

# Table 5 over two sweep seeds: seed 1's K sweep is resumed, seed 2 draws its own set; mean ± std per K.
bash scripts/protocol.sh --out "$OUT/fm" --tables 5 --sweep-seeds "1 2" --data "$DATA" "${SMALL[@]}"
[ "$(lines "$OUT/fm/results.csv")" -eq 18 ] || fail "--sweep-seeds \"1 2\": expected 18 result rows, got $(lines "$OUT/fm/results.csv")"
for k in 1 2 3 4; do
  [ "$(wc -l < "$OUT/fm/gen/s2/k_sweep/K$k/manifest.jsonl")" -eq 8 ] || fail "seed 2's K = $k run has not 8 images"
done
grep -q "^| Accuracy |.* ± " "$OUT/fm/tables/table5_$D.md" ||
  fail "table5 over two seeds has no mean ± std: $(cat "$OUT/fm/tables/table5_$D.md")"

# The same protocol (Table 3) on an image folder, named dtd: Table 10's command in docs/results.md.
"$BIN/export_images" --dataset fashion_mnist --pool target --classes 2 --shots 20 --out "$OUT/dtd/train" >/dev/null
"$BIN/export_images" --dataset fashion_mnist --classes 2 --split test --out "$OUT/dtd/test" >/dev/null
bash scripts/protocol.sh --out "$OUT/if" --tables 3 --data "--dataset image_folder --root $OUT/dtd" "${SMALL[@]}"
[ "$(lines "$OUT/if/results.csv")" -eq 4 ] || fail "image_folder: expected 4 result rows, got $(lines "$OUT/if/results.csv")"
grep -q "^dtd," "$OUT/if/results.csv" || fail "image_folder: the results do not name the folder"
[ -s "$OUT/if/tables/table3_dtd.md" ] || fail "image_folder: no table3_dtd.md"
echo "protocol_smoke: ok"
