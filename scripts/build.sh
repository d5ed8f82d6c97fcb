#!/usr/bin/env bash
# Builds udocker into build/ (or $1); with --sanitize, an ASan+UBSan build.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
extra=()
[ "${1:-}" = "--sanitize" ] && extra=(-DUD_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "${extra[@]}" >/dev/null
cmake --build "$dir" -j"$(nproc)"
