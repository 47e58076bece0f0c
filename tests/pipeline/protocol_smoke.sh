#!/usr/bin/env bash
# CTest pipeline/protocol_smoke: scripts/protocol.sh end to end on a few
# classes, one seed and tiny settings — Tables 1, 3 and 5 on Fashion-MNIST's
# target pool with the small world, then Table 1 on the same images exported
# as an image folder (the same command, another --data) — and checks what it
# wrote. Usage: protocol_smoke.sh <bin dir> <scratch dir>
set -euo pipefail
BIN="$1"
OUT="$2"
cd "$(dirname "$0")/../.."
rm -rf "$OUT"
mkdir -p "$OUT"
fail() { echo "protocol_smoke: $*" >&2; exit 1; }
lines() { if [ -f "$1" ]; then echo $(( $(wc -l < "$1") - 1 )); else echo 0; fi; }
COMMON=(--bin "$BIN" --seeds 1 --shots 4 --factor 1 --threads 1
        --train "--backbone resnet_tiny --image-size 32 --resize 32 --epochs 2 --batch-size 16 --eval-every 2")

bash scripts/protocol.sh --out "$OUT/fm" --tables "1 3 5" \
  --data "--dataset fashion_mnist --pool target --classes 2" "${COMMON[@]}"
# Table 1: 4 transformation rows + SD img2img + GIF-SD + DistDiff; Table 3: 3 more; Table 5: K = 1..4
[ "$(lines "$OUT/fm/results.csv")" -eq 14 ] || fail "expected 14 result rows, got $(lines "$OUT/fm/results.csv")"
[ "$(lines "$OUT/fm/frechet.csv")" -eq 10 ] || fail "expected 10 Fréchet rows, got $(lines "$OUT/fm/frechet.csv")"
[ "$(lines "$OUT/fm/expansions.csv")" -eq 10 ] || fail "expected 10 expansion rows, got $(lines "$OUT/fm/expansions.csv")"
grep -q "DistDiff" "$OUT/fm/tables/table1.md" || fail "table1.md has no DistDiff row"
grep -q "GIF-SD" "$OUT/fm/tables/table1.md" || fail "table1.md has no GIF-SD row"
[ -s "$OUT/fm/compare_grid.png" ] || fail "no compare_grid.png"
[ -f "$OUT/fm/tables/ablation_K_fashion_mnist-2c.svg" ] || fail "no K ablation plot"
# every generated run holds 8 images (2 classes x 4 shots x factor 1)
for m in "$OUT"/fm/gen/s1/*/manifest.jsonl "$OUT"/fm/gen/s1/*/*/manifest.jsonl; do
  [ -f "$m" ] || continue
  [ "$(wc -l < "$m")" -eq 8 ] || fail "$m: expected 8 images"
done

# A second run of the same command resumes: nothing is generated or trained again.
bash scripts/protocol.sh --out "$OUT/fm" --tables "1 3 5" \
  --data "--dataset fashion_mnist --pool target --classes 2" "${COMMON[@]}"
[ "$(lines "$OUT/fm/results.csv")" -eq 14 ] || fail "the resumed run appended rows"

# The same protocol on an image folder.
"$BIN/export_images" --dataset fashion_mnist --pool target --classes 2 --shots 20 --out "$OUT/folder/train" >/dev/null
"$BIN/export_images" --dataset fashion_mnist --classes 2 --split test --out "$OUT/folder/test" >/dev/null
bash scripts/protocol.sh --out "$OUT/if" --tables 1 \
  --data "--dataset image_folder --root $OUT/folder/train --test-root $OUT/folder/test" "${COMMON[@]}"
[ "$(lines "$OUT/if/results.csv")" -eq 7 ] || fail "image_folder: expected 7 result rows, got $(lines "$OUT/if/results.csv")"
grep -q "folder" "$OUT/if/results.csv" || fail "image_folder: the results do not name the folder"
echo "protocol_smoke: ok"
