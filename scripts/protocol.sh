#!/usr/bin/env bash
# The paper's protocol, on any dataset the tools can read (docs/small-world.md):
# k-shot seed sets drawn by seed, expanded by plain img2img, GIF-SD, DistDiff and
# the Table 3 rows, a classifier trained from scratch with one recipe for every
# row (the Original / Cutout / GridMask / RandAugment rows train on the seed set
# only), tested on the test split; then the tables, the feature-space Fréchet
# distances and a comparison grid.
#
#   bash scripts/protocol.sh --out out/protocol                       # Fashion-MNIST target pool, seeds 1 2 3
#   bash scripts/protocol.sh --out out/shifted --data "--dataset fashion_mnist --pool target --shift invert"
#   bash scripts/protocol.sh --out out/mine --data "--dataset image_folder --root my/train --test-root my/test"
#   bash scripts/protocol.sh --out out/sweeps --tables "4 5" --seeds 1
#   bash scripts/protocol.sh --out out/sweeps --tables "4 5" --sweep-seeds "1 2 3"
#
# Every step is resumable: run the same command again after a kill and it goes
# on (finished expansions and classifiers are kept). Each command with its
# wall time is appended to <out>/commands.log.
#
# Options (defaults in brackets):
#   --out DIR            output folder (required)
#   --data "OPTS"        dataset options of every tool ["--dataset fashion_mnist --pool target"]
#   --seeds "S ..."      seeds: each draws its own k-shot set and seeds its runs ["1 2 3"]
#   --shots K            seed images per class [10]
#   --factor F           generated images per seed image [5]
#   --tables "T ..."     paper items to run ["1 3"]:
#                        1 (Original, Cutout, GridMask, RandAugment, SD img2img, GIF-SD, DistDiff),
#                        3 (no / class / group / both prototypes), 4 (M sweep), 5 (K sweep; Figure 5),
#                        6 (consecutive and spread guided steps), 7 (Original and DistDiff fine-tuned
#                        from a classifier pretrained on --pretrain-data), B1 (Original trained 6x longer),
#                        fig4 (Original and DistDiff on every --backbones), fig6 (SD img2img and DistDiff
#                        at every --factors); 4, 5, 6 and fig6 run on --sweep-seeds
#   --sweep-seeds "S ..." seeds of items 4, 5, 6 and fig6 (each its own k-shot set, as --seeds; the
#                        tables give mean ± std over them) [the first of --seeds]
#   --backbones "B ..."  fig4's backbones [the --train backbone, mobilenet_v2_tiny]
#   --factors "F ..."    fig6's expansion factors [1 2 5]
#   --pretrain-data "OPTS"  Table 7's pretraining data [--data with --pool foundation]
#   --pretrain "OPTS"    Table 7's pretraining recipe, added to --train ["--shots 200 --epochs 30"]
#   --gen "OPTS"         extra options of the expansion tools [""]
#   --train "OPTS"       classifier recipe ["--backbone resnet_tiny --image-size 32 --resize 32 --epochs 60
#                        --batch-size 64 --lr 0.05 --eval-every 10"]
#   --bin DIR            the built tools [build/bin]
#   --threads N          CPU threads of every tool [all]
set -euo pipefail

OUT=""
DATA="--dataset fashion_mnist --pool target"
SEEDS="1 2 3"
SWEEP_SEEDS=""
SHOTS=10
FACTOR=5
TABLES="1 3"
GEN=""
TRAIN="--backbone resnet_tiny --image-size 32 --resize 32 --epochs 60 --batch-size 64 --lr 0.05 --eval-every 10"
BIN="build/bin"
THREADS=""
BACKBONES=""
FACTORS="1 2 5"
PRETRAIN_DATA=""
PRETRAIN="--shots 200 --epochs 30"

die() { echo "protocol.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT="$2"; shift 2 ;;
    --data) DATA="$2"; shift 2 ;;
    --seeds) SEEDS="$2"; shift 2 ;;
    --sweep-seeds) SWEEP_SEEDS="$2"; shift 2 ;;
    --shots) SHOTS="$2"; shift 2 ;;
    --factor) FACTOR="$2"; shift 2 ;;
    --tables) TABLES="$2"; shift 2 ;;
    --gen) GEN="$2"; shift 2 ;;
    --train) TRAIN="$2"; shift 2 ;;
    --bin) BIN="$2"; shift 2 ;;
    --threads) THREADS="--threads $2"; shift 2 ;;
    --backbones) BACKBONES="$2"; shift 2 ;;
    --factors) FACTORS="$2"; shift 2 ;;
    --pretrain-data) PRETRAIN_DATA="$2"; shift 2 ;;
    --pretrain) PRETRAIN="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (--help lists them)" ;;
  esac
done
[ -n "$OUT" ] || die "--out DIR is required"
# shellcheck source=cpu-env.sh
source "$(dirname "$0")/cpu-env.sh"   # OpenBLAS kernels for this CPU
[ -n "$SEEDS" ] || die "--seeds: give at least one seed"
for s in $SEEDS ${SWEEP_SEEDS}; do [[ "$s" =~ ^[0-9]+$ ]] || die "seeds are whole numbers, not '$s'"; done
[ -n "$SWEEP_SEEDS" ] || SWEEP_SEEDS="${SEEDS%% *}"
for t in $TABLES; do
  case "$t" in 1|3|4|5|6|7|B1|fig4|fig6) ;; *) die "--tables: unknown item '$t' (1, 3, 4, 5, 6, 7, B1, fig4, fig6)" ;; esac
done
# Options of the --train recipe that some items change: its backbone and its epochs.
BACKBONE="$(echo " $TRAIN " | sed -n 's/.* --backbone \([^ ]*\) .*/\1/p')"
EPOCHS="$(echo " $TRAIN " | sed -n 's/.* --epochs \([0-9]*\) .*/\1/p')"
[ -n "$BACKBONES" ] || BACKBONES="${BACKBONE:-resnet50} mobilenet_v2_tiny"
with_option() {   # with_option "<options>" <flag> <value>: the options with <flag>'s value replaced (or added)
  local opts=" $1 " flag="$2" value="$3"
  if [[ "$opts" == *" $flag "* ]]; then
    echo "$opts" | sed "s| $flag [^ ]*| $flag $value|"
  else
    echo "$opts $flag $value"
  fi
}
merged() {   # merged "<options>" "<--flag value ...>": the first options with the second's values
  local opts="$1"
  # shellcheck disable=SC2086
  set -- $2
  while [ $# -gt 1 ]; do opts="$(with_option "$opts" "$1" "$2")"; shift 2; done
  [ $# -eq 0 ] || die "'$1': give options as --flag value pairs"
  echo "$opts"
}
if [[ " $TABLES " == *" 7 "* ]]; then
  if [ -z "$PRETRAIN_DATA" ]; then
    [[ " $DATA " == *" --pool target "* ]] ||
      die "Table 7 pretrains on other images of the dataset: give --pretrain-data \"OPTS\" (the default, --pool foundation, needs --pool target in --data)"
    PRETRAIN_DATA="$(with_option "$DATA" --pool foundation)"
  fi
fi
[[ " $TABLES " != *" B1 "* || -n "$EPOCHS" ]] || die "Table B.1 trains 6x longer: --train needs --epochs N"
for tool in quickstart table1_stable_diffusion table1_gif_sd table3_no_prototypes table3_class_prototypes_only \
            table3_group_prototypes_only table4_optimization_step table5_group_count table6_consecutive_steps \
            table6_spread_steps train_classifier \
            results_table frechet compare_grid; do
  [ -x "$BIN/$tool" ] || die "$BIN/$tool is missing: cmake --build build --target $tool (or --bin DIR)"
done
mkdir -p "$OUT"
# One protocol run per folder: a second one would write the same runs and checkpoints.
exec 9>"$OUT/.protocol.lock"
flock -n 9 || die "another protocol.sh is running in $OUT (wait for it, or use another --out)"
LOG="$OUT/commands.log"
RESULTS="$OUT/results.csv"
has() { case " $TABLES " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

# Runs one command, appending it and its wall time to commands.log; its output goes to <out>/logs/.
run() {
  local name="$1"; shift
  mkdir -p "$OUT/logs"
  local t0=$SECONDS
  echo "\$ $*" >> "$LOG"
  if ! "$@" > "$OUT/logs/$name.log" 2>&1; then
    echo "# FAILED after $((SECONDS - t0)) s, see $OUT/logs/$name.log" >> "$LOG"
    tail -20 "$OUT/logs/$name.log" >&2
    die "'$name' failed (log: $OUT/logs/$name.log)"
  fi
  echo "# $((SECONDS - t0)) s" >> "$LOG"
  echo "  $name: $((SECONDS - t0)) s" >&2
}

# An expansion or a training that finished is not started again (its tool
# would only find it finished) when its command line is the same: the command
# is kept in <out>/logs/<name>.done. Any other command line runs, and its tool
# resumes or refuses changed settings.
run_once() {
  local name="$1"; shift
  local done_file="$OUT/logs/$name.done"
  if [ -f "$done_file" ] && [ "$(cat "$done_file")" = "$*" ]; then
    echo "  $name: done before" >&2
    return 0
  fi
  run "$name" "$@"
  printf '%s' "$*" > "$done_file"
}

# shellcheck disable=SC2086  # DATA, GEN, TRAIN and THREADS are option lists
expand() {   # expand <seed> <row> <tool> [extra options]
  local s="$1" row="$2" tool="$3"; shift 3
  run_once "s$s-gen-$row" "$BIN/$tool" $DATA --shots "$SHOTS" --shot-seed "$s" --seed "$s" --factor "${XFACTOR:-$FACTOR}" \
    --out "$OUT/gen/s$s/$row" --grid 0 $THREADS $GEN "$@"
  # energy and zero-shot class agreement of the run, one CSV row per (variant) run,
  # from the run that generated the images (a resumed, finished run prints none)
  local log="$OUT/logs/s$s-gen-$row.log"
  [ -f "$OUT/expansions.csv" ] || echo "seed,row,energy_before,energy_after,class_agreement_percent" > "$OUT/expansions.csv"
  grep -q "^$s,$row[,/]" "$OUT/expansions.csv" && return 0
  awk -v s="$s" -v row="$row" '
    /^== /                { sub(/^== /, ""); sub(/:.*/, ""); variant = "/" $0 }
    /energy before -> after/ { split($0, a, ": "); split(a[2], e, " -> "); before = e[1]; sub(/ .*/, "", e[2]); after = e[2] }
    /class agreement \(zero-shot/ { match($0, /: [0-9.]+%/); agree = substr($0, RSTART + 2, RLENGTH - 3)
                            print s "," row variant "," before "," after "," agree; before = after = "" }
  ' "$log" >> "$OUT/expansions.csv"
}
# shellcheck disable=SC2086
classify() {   # classify <seed> <row> <method name> [extra options]
  local s="$1" row="$2" method="$3"; shift 3
  run_once "s$s-train-$row" "$BIN/train_classifier" $DATA --shots "$SHOTS" --shot-seed "$s" --seed "$s" \
    --method-name "$method" --results "$RESULTS" --checkpoint-dir "$OUT/ckpt/s$s/$row" $THREADS ${XTRAIN:-$TRAIN} "$@"
}

FIRST=""
for s in $SEEDS; do
  [ -n "$FIRST" ] || FIRST="$s"
  echo "seed $s" >&2
  if has 1; then
    classify "$s" original Original
    classify "$s" cutout Cutout --augment cutout
    classify "$s" gridmask GridMask --augment gridmask
    classify "$s" randaugment RandAugment --augment randaugment
    expand "$s" sd table1_stable_diffusion
    classify "$s" sd "SD img2img" --expanded "$OUT/gen/s$s/sd"
    expand "$s" gif_sd table1_gif_sd
    classify "$s" gif_sd "GIF-SD" --expanded "$OUT/gen/s$s/gif_sd"
  fi
  if has 1 || has 3 || has 6 || has 7 || has fig4 || has fig6; then
    expand "$s" distdiff quickstart
    classify "$s" distdiff "DistDiff" --expanded "$OUT/gen/s$s/distdiff"
  fi
  if has 7 || has B1 || has fig4; then
    has 1 || classify "$s" original Original
  fi
  if has 7; then
    # Pretrained once (seed 1) on other images of the dataset, then fine-tuned per seed.
    W="$OUT/pretrained/${BACKBONE:-resnet50}.safetensors"
    # shellcheck disable=SC2086
    [ -f "$W" ] || run_once pretrain "$BIN/train_classifier" $PRETRAIN_DATA --seed 1 --method-name Pretraining \
      --results "$OUT/pretraining.csv" --checkpoint-dir "$OUT/ckpt/pretrain" $THREADS \
      $(merged "$TRAIN" "$PRETRAIN") --save-weights "$W"
    classify "$s" pt_original Original --pretrained "$W"
    classify "$s" pt_distdiff DistDiff --expanded "$OUT/gen/s$s/distdiff" --pretrained "$W"
  fi
  if has B1; then
    XTRAIN="$(with_option "$TRAIN" --epochs $((EPOCHS * 6)))" classify "$s" original_x6 Original
  fi
  if has fig4; then
    for b in $BACKBONES; do
      [ "$b" = "$BACKBONE" ] && continue   # the recipe's own backbone: the rows above
      XTRAIN="$(with_option "$TRAIN" --backbone "$b")" classify "$s" "original_$b" Original
      XTRAIN="$(with_option "$TRAIN" --backbone "$b")" classify "$s" "distdiff_$b" DistDiff \
        --expanded "$OUT/gen/s$s/distdiff"
    done
  fi
  if has 3; then
    expand "$s" no_prototypes table3_no_prototypes
    classify "$s" no_prototypes "Prototypes: none" --expanded "$OUT/gen/s$s/no_prototypes"
    expand "$s" class_only table3_class_prototypes_only
    classify "$s" class_only "Prototypes: class only" --expanded "$OUT/gen/s$s/class_only"
    expand "$s" group_only table3_group_prototypes_only
    classify "$s" group_only "Prototypes: group only" --expanded "$OUT/gen/s$s/group_only"
  fi
done

# A sweep tool writes one variant folder per value (M0, M10, … or K1, K2, …): one classifier each.
# Items 4, 5, 6 and fig6 run on every --sweep-seeds seed; results_table averages a variant over them.
sweep() {   # sweep <seed> <row> <tool> <key>
  local s="$1" row="$2" tool="$3" key="$4" d v
  expand "$s" "$row" "$tool"
  for d in "$OUT/gen/s$s/$row/$key"*; do
    v="$(basename "$d")"; v="${v#"$key"}"
    classify "$s" "${row}_$key$v" "DistDiff $key=$v" --expanded "$d"
  done
}
for s in $SWEEP_SEEDS; do
  if has 4 || has 5 || has 6 || has fig6; then echo "sweep seed $s" >&2; fi
  if has 4; then sweep "$s" m_sweep table4_optimization_step M; fi
  if has 5; then sweep "$s" k_sweep table5_group_count K; fi
  if has 6; then
    for tool in table6_consecutive_steps table6_spread_steps; do
      row="${tool#table6_}"
      expand "$s" "$row" "$tool"
      for d in "$OUT/gen/s$s/$row"/steps-*; do
        classify "$s" "${row}_$(basename "$d")" "DistDiff $row $(basename "$d")" --expanded "$d"
      done
    done
  fi
  if has fig6; then
    for f in $FACTORS; do
      for row in sd distdiff; do
        tool=quickstart; name=DistDiff
        [ "$row" = sd ] && tool=table1_stable_diffusion && name="SD img2img"
        if [ "$f" = "$FACTOR" ]; then   # the main factor: Table 1's rows (done before when item 1 ran this seed)
          expand "$s" "$row" "$tool"
          classify "$s" "$row" "$name" --expanded "$OUT/gen/s$s/$row"
        else
          XFACTOR="$f" expand "$s" "${row}_x$f" "$tool"
          classify "$s" "${row}_x$f" "$name" --expanded "$OUT/gen/s$s/${row}_x$f"
        fi
      done
    done
  fi
done
SWEEP_FIRST="${SWEEP_SEEDS%% *}"

# Fréchet distance of every expanded set to the test images, in the feature
# space of the CLIP that guides the expansion: the first seed's rows and the
# first sweep seed's variants (labelled s<seed>/… when that is another seed).
GENERATED=()
for d in "$OUT/gen/s$FIRST"/*; do
  if [ -f "$d/manifest.jsonl" ]; then GENERATED+=(--generated "$d" --label "$(basename "$d")"); fi
done
FD_PREFIX=""
[ "$SWEEP_FIRST" = "$FIRST" ] || FD_PREFIX="s$SWEEP_FIRST/"
for d in "$OUT/gen/s$SWEEP_FIRST"/*; do
  for v in "$d"/*; do if [ -f "$v/manifest.jsonl" ]; then GENERATED+=(--generated "$v" --label "$FD_PREFIX$(basename "$d")/$(basename "$v")"); fi; done
done
rm -f "$OUT/frechet.csv"
# shellcheck disable=SC2086
[ ${#GENERATED[@]} -gt 0 ] && run frechet "$BIN/frechet" $DATA "${GENERATED[@]}" --results "$OUT/frechet.csv" $THREADS

# Seed | plain img2img | GIF-SD | DistDiff on the same seeds and noise (first seed).
if has 1; then
  run compare_grid "$BIN/compare_grid" --run "$OUT/gen/s$FIRST/sd" --run "$OUT/gen/s$FIRST/gif_sd" \
    --run "$OUT/gen/s$FIRST/distdiff" --label "SD img2img" --label "GIF-SD" --label "DistDiff" \
    --out "$OUT/compare_grid.png"
fi

ABLATIONS=()
has 4 && ABLATIONS+=(--ablation M)
has 5 && ABLATIONS+=(--ablation K)
# Figure 5: the K sweep's runs, one panel per K (their prototypes_2d.csv).
FIG5=()
if has 5; then for d in "$OUT/gen/s$SWEEP_FIRST/k_sweep"/K*; do [ -f "$d/prototypes_2d.csv" ] && FIG5+=(--runs "$d"); done; fi
FD=()
[ -f "$OUT/frechet.csv" ] && FD=(--results "$OUT/frechet.csv")
run results_table "$BIN/results_table" --results "$RESULTS" "${FD[@]}" --out "$OUT/tables" --baseline Original \
  --expansion "$FACTOR" ${BACKBONE:+--backbone "$BACKBONE"} "${ABLATIONS[@]}" "${FIG5[@]}"
cat "$OUT/logs/results_table.log"
echo "protocol.sh: results in $OUT (results.csv, expansions.csv, frechet.csv, tables/, compare_grid.png, commands.log)" >&2
