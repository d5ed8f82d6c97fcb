# Shared by the benchmarks: fixtures up, a timing helper, medians.
top=${UD_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
bin=$(readlink -f "${1:-$top/build/udocker}")
work=$(mktemp -d /tmp/udocker-bench-XXXXXX)
state="$work/fixtures"
images=${UD_FIX_IMAGES:-/var/cache/udocker-fixtures/images}
cleanup() { "$top/tests/fixtures/registry.sh" stop "$state" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

start_fixtures() { # [--big]
  "$top/scripts/install-deps.sh"
  mkdir -p "$images" "$state"
  "$top/tests/fixtures/images.sh" "$images" "$@" >/dev/null
  "$top/tests/fixtures/registry.sh" start "$state" >/dev/null
  "$top/tests/fixtures/push.sh" "$state" "$images" "$@" >/dev/null
  # shellcheck disable=SC1091
  . "$state/env"
}

ud() { UDOCKER_DIR="$work/repo" "$bin" --allow-root "$@"; }

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# time_runs N CMD...: prints the median wall time in seconds of N runs.
time_runs() {
  local n=$1 t0 t1
  shift
  for _ in $(seq "$n"); do
    t0=$EPOCHREALTIME
    "$@" >/dev/null 2>&1
    t1=$EPOCHREALTIME
    echo "$t1 - $t0" | bc -l
  done | median
}
