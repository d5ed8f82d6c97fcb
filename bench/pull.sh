#!/usr/bin/env bash
# Pull benchmark, side by side with skopeo on the same work:
#  1. pulling the ~170 MB 4-layer gzip image (digest verification included)
#     with `udocker pull` and with `skopeo copy docker://... oci:DIR`,
#     alternating, 5 runs each; prints medians and the ratio udocker/skopeo.
#  2. `udocker images` with 100 tags in the store: median of 21 runs in ms.
# Usage: bench/pull.sh [UDOCKER_BINARY]   (run as root on the test machine;
# it builds the fixture images and starts the registries itself)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$(readlink -f "${1:-$top/build/udocker}")
runs=${RUNS:-5}
work=$(mktemp -d /tmp/udocker-bench-XXXXXX)
state="$work/fixtures"
images=${UD_FIX_IMAGES:-/var/cache/udocker-fixtures/images}
cleanup() { "$top/tests/fixtures/registry.sh" stop "$state" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

"$top/scripts/install-deps.sh"
mkdir -p "$images" "$state"
"$top/tests/fixtures/images.sh" "$images" --big >/dev/null
"$top/tests/fixtures/registry.sh" start "$state" >/dev/null
"$top/tests/fixtures/push.sh" "$state" "$images" --big >/dev/null
# shellcheck disable=SC1091
. "$state/env"
ref="$UD_FIX_PLAIN/test/big:latest"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

ud=()
sk=()
for i in $(seq "$runs"); do
  rm -rf "$work/repo" "$work/oci"
  sync
  t0=$EPOCHREALTIME
  UDOCKER_DIR="$work/repo" "$bin" --allow-root -q pull "$ref" >/dev/null
  t1=$EPOCHREALTIME
  skopeo copy -q --src-tls-verify=false "docker://$ref" "oci:$work/oci:latest" >/dev/null
  t2=$EPOCHREALTIME
  ud+=("$(echo "$t1 - $t0" | bc -l)")
  sk+=("$(echo "$t2 - $t1" | bc -l)")
  echo "run $i: udocker ${ud[-1]} s, skopeo ${sk[-1]} s"
done
um=$(printf '%s\n' "${ud[@]}" | median)
sm=$(printf '%s\n' "${sk[@]}" | median)
size=$(du -sm "$work/repo/layers" | cut -f1)
printf 'pull %s (%s MB): median udocker %.3f s, skopeo %.3f s, ratio udocker/skopeo %.3f (target <= 1.0)\n' \
  "$ref" "$size" "$um" "$sm" "$(echo "$um / $sm" | bc -l)"
UDOCKER_DIR="$work/repo" "$bin" --allow-root -q verify "$ref" >/dev/null && echo "verify: ok"

# 100 tags in the store.
for i in $(seq 99); do
  UDOCKER_DIR="$work/repo" "$bin" --allow-root -q tag "$ref" "bench/t$i:v$i" >/dev/null
done
n=$(UDOCKER_DIR="$work/repo" "$bin" --allow-root -q images | grep -c ':' || true)
ts=()
for i in $(seq 21); do
  t0=$EPOCHREALTIME
  UDOCKER_DIR="$work/repo" "$bin" --allow-root -q images >/dev/null
  t1=$EPOCHREALTIME
  ts+=("$(echo "($t1 - $t0) * 1000" | bc -l)")
done
printf 'images with %s tags: median %.2f ms over 21 runs (target < 10 ms)\n' "$n" \
  "$(printf '%s\n' "${ts[@]}" | median)"
