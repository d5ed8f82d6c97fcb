#!/usr/bin/env bash
# Create benchmark, one run, medians of 3: `udocker create` of the ~170 MB
# 4-layer image and of the Debian image against `tar -xzf` of the same layer
# files in order into an empty directory.
# Usage: bench/create.sh [UDOCKER_BINARY]   (as root on the test machine)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
start_fixtures --big
n=${RUNS:-3}
untar() { # image
  rm -rf "$work/untar" && mkdir "$work/untar"
  local tagdir="$work/repo/repos/$UD_FIX_PLAIN/$1/latest"
  for l in $(/usr/bin/python3 -c 'import json,sys; print(" ".join(l["digest"] for l in json.load(open(sys.argv[1]))["layers"]))' "$tagdir/manifest"); do
    tar -C "$work/untar" -xzf "$tagdir/$l"
  done
}
create() { # image
  # shellcheck disable=SC2046
  ud rm $(ud -q ps | awk 'NR>1 {print $1}') >/dev/null 2>&1 || true
  ud create "$UD_FIX_PLAIN/$1:latest"
}
for img in test/big test/debian; do
  ud -q pull "$UD_FIX_PLAIN/$img:latest"
  u=$(time_runs "$n" create "$img")
  t=$(time_runs "$n" untar "$img")
  files=$(find "$work/untar" | wc -l)
  printf 'create %s (%s entries): median udocker %.3f s, tar -xzf %.3f s, ratio %.2f (target <= 1.0)\n' \
    "$img" "$files" "$u" "$t" "$(echo "$u / $t" | bc -l)"
done
