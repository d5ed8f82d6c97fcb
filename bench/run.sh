#!/usr/bin/env bash
# Run benchmark (N1), one run, medians of 20:
#  - `udocker run C /bin/true` against bubblewrap on the same root;
#  - udocker's own start-up (`udocker ps`, empty store);
#  - `udocker ps` with 200 containers in the store.
# Usage: bench/run.sh [UDOCKER_BINARY]   (as root on the test machine)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
start_fixtures
command -v bwrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null
n=${RUNS:-20}

ud -q ps >/dev/null
ps_empty=$(time_runs "$n" ud -q ps)
id=$(ud create "$UD_FIX_PLAIN/test/busybox:latest" | tail -1)
root="$work/repo/containers/$id/ROOT"
ud -q run "$id" /bin/true
u=$(time_runs "$n" ud -q run "$id" /bin/true)
b=$(time_runs "$n" bwrap --bind "$root" / --proc /proc --dev /dev /bin/true)
printf 'run C /bin/true: median udocker N1 %.2f ms, bwrap %.2f ms, ratio %.2f (target <= 3)\n' \
  "$(echo "$u * 1000" | bc -l)" "$(echo "$b * 1000" | bc -l)" "$(echo "$u / $b" | bc -l)"
printf 'udocker ps (empty store, start-up): median %.2f ms (target < 5 ms)\n' \
  "$(echo "$ps_empty * 1000" | bc -l)"
for _ in $(seq 2 200); do ud create "$UD_FIX_PLAIN/test/busybox:latest" >/dev/null; done
count=$(ud -q ps | grep -c -- '-')
p=$(time_runs "$n" ud -q ps)
printf 'udocker ps with %s containers: median %.2f ms (target < 20 ms)\n' "$count" \
  "$(echo "$p * 1000" | bc -l)"
