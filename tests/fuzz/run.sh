#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (build-fuzz/) and runs each for
# FUZZ_SECONDS (default 20) seconds, starting from its seeds. Inputs that
# once crashed a target, kept in tests/fuzz/regressions/TARGET/, are run
# first; a new crash is saved there and fails the run.
# Usage: tests/fuzz/run.sh [TARGET...]   (spec ref manifest extract)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$top/build-fuzz
secs=${FUZZ_SECONDS:-20}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(spec ref manifest extract)
cmake -S "$top" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DUD_FUZZ=ON -DUD_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target $(printf 'fuzz_%s ' "${targets[@]}") >/dev/null
work=$(mktemp -d /tmp/udocker-fuzz-XXXXXX)
trap 'rm -rf "$work"' EXIT
seed() { # target dir
  case $1 in
  spec) cp "$top"/examples/*.yaml "$top"/examples/slurm/*.yaml "$2/" ;;
  ref)
    printf '%s\n' busybox debian:12 127.0.0.1:5000/test/busybox:latest \
      "quay.io/org/img@sha256:$(printf '%064d' 0)" localhost/a/b/c:tag >"$2/refs"
    split -l 1 "$2/refs" "$2/ref-" && rm "$2/refs" ;;
  manifest) cp "$top"/tests/fuzz/seeds/manifest/* "$2/" ;;
  extract)
    mkdir -p "$work/tree/etc" "$work/tree/usr/bin" && echo x >"$work/tree/etc/f" &&
      ln -sf ../etc/f "$work/tree/usr/bin/l" && touch "$work/tree/usr/bin/.wh.gone"
    tar -C "$work/tree" -czf "$2/layer.tgz" . && tar -C "$work/tree" -cf "$2/layer.tar" . ;;
  esac
}
failed=0
for t in "${targets[@]}"; do
  reg=$top/tests/fuzz/regressions/$t
  if [ -d "$reg" ] && [ -n "$(ls -A "$reg")" ]; then
    "$build/fuzz_$t" "$reg"/* >"$work/$t-reg.log" 2>&1 || { echo "fuzz $t: a regression input fails again"; tail -20 "$work/$t-reg.log"; failed=1; }
  fi
  corpus=$work/corpus-$t
  mkdir -p "$corpus"
  seed "$t" "$corpus"
  if "$build/fuzz_$t" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
    -artifact_prefix="$work/$t-" "$corpus" >"$work/$t.log" 2>&1; then
    echo "fuzz $t: $(grep -o 'Done [0-9]* runs' "$work/$t.log" | tail -1 | tr -dc 0-9) runs in ${secs}s, no crash"
  else
    mkdir -p "$reg"
    for c in "$work/$t-"*; do [ -f "$c" ] && cp "$c" "$reg/"; done
    echo "fuzz $t: CRASH, input saved in $reg"
    grep -A15 "ERROR\|SUMMARY" "$work/$t.log" | head -30
    failed=1
  fi
done
exit $failed
