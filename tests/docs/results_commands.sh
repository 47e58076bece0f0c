#!/usr/bin/env bash
# CTest docs/results_commands: runs every row of docs/results.md's table
# "paper item → command → output" (between <!-- paper-items --> and
# <!-- /paper-items -->) in order, on the tiny protocol settings
# (tests/pipeline/protocol_tiny.sh), and checks that each row's output file is
# there and not empty. Its fixture is pipeline/protocol_smoke: P is that test's
# Fashion-MNIST folder and P_DTD its image folder named dtd, so the rows that
# it already ran only resume.
# Usage: results_commands.sh <bin dir> <protocol_smoke scratch dir>
set -euo pipefail
BIN="$1"
SMOKE="$2"
cd "$(dirname "$0")/../.."
fail() { echo "results_commands: $*" >&2; exit 1; }
# shellcheck source=../pipeline/protocol_tiny.sh
source tests/pipeline/protocol_tiny.sh
P="$SMOKE/fm"
P_DTD="$SMOKE/if"
DTD_DATA="--dataset image_folder --root $SMOKE/dtd"
[ -f "$P/results.csv" ] || fail "$P/results.csv is missing: run CTest pipeline/protocol_smoke first (its fixture)"

rows=$(sed -n '/<!-- paper-items -->/,/<!-- \/paper-items -->/p' docs/results.md | grep '^| ' | tail -n +2)
[ -n "$rows" ] || fail "docs/results.md has no paper-items table"
n=0
while IFS= read -r line; do
  # | item | `command` | `output` |
  item=$(echo "$line" | awk -F' \\| ' '{print $1}' | sed 's/^| //')
  cmd=$(echo "$line" | awk -F' \\| ' '{print $2}' | sed 's/^`//; s/`$//')
  output=$(echo "$line" | awk -F' \\| ' '{print $3}' | sed 's/ |$//; s/^`//; s/`$//')
  [ -n "$cmd" ] && [ -n "$output" ] || fail "row '$line': expected | item | \`command\` | \`output\` |"
  file=$(eval echo "$output")
  rm -f "$file"
  t0=$SECONDS
  echo "== $item: $cmd" >&2
  if ! eval "$cmd" > "$SMOKE/results_commands.log" 2>&1; then
    tail -30 "$SMOKE/results_commands.log" >&2
    fail "$item: the command failed"
  fi
  [ -s "$file" ] || fail "$item: the command did not write $file"
  echo "   $file ($((SECONDS - t0)) s)" >&2
  n=$((n + 1))
done <<< "$rows"
echo "results_commands: $n rows ran and wrote their files"
