#!/usr/bin/env bash
# Runs every test: installs dependencies, builds (plain and ASan+UBSan)
# and the release tarball,
# checks formatting and that every test assertion can fail
# (tests/lint-checks.py), runs the unit tests in both builds, starts the
# fixture registries (and a one-node Slurm cluster) and runs the functional
# tests as an unprivileged user, then the stress tests (16 concurrent
# applies; kill -9 at random points) and the fuzz targets.
# Usage: scripts/test.sh [--quick]   (--quick skips the sanitizer build and fuzzing)
# UD_TEST_BIG=0 skips the debootstrap images (test/debian, test/big);
# UD_KILLS (20) and UD_FUZZ_SECONDS (30) size the stress and fuzz runs.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
quick=0
[ "${1:-}" = "--quick" ] && quick=1

step() { printf '\n=== %s\n' "$*"; }

step "dependencies"
scripts/install-deps.sh

step "format check"
mapfile -t srcs < <(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*')
clang-format --dry-run -Werror "${srcs[@]}"

step "test-suite guard (no check in an && / || list, no constant check)"
tests/lint-checks-selftest.sh
tests/lint-checks.py

step "build"
scripts/build.sh build
step "release tarball (tests/functional/t_release.sh runs it)"
scripts/release.sh build
step "unit tests"
(cd build && ctest --output-on-failure)

if [ "$quick" = 0 ]; then
  step "sanitizer build (ASan + UBSan) and unit tests"
  scripts/build.sh build-asan --sanitize
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure)
fi

export UD_TEST_BIG=${UD_TEST_BIG:-1}
step "functional tests"
tests/functional/run.sh "$top/build/udocker"
if [ "$quick" = 0 ]; then
  step "functional tests with the ASan+UBSan binary (leaks fail the tests)"
  UD_TEST_BIG=0 tests/functional/run.sh "$top/build-asan/udocker"
fi

step "stress: 16 concurrent applies on one store"
tests/stress/concurrent.sh "$top/build/udocker"
step "stress: kill -9 at random points (pull, create, setup, apply)"
KILLS=${UD_KILLS:-20} tests/stress/crash.sh "$top/build/udocker"
if [ "$quick" = 0 ]; then
  step "fuzzing (libFuzzer, ${UD_FUZZ_SECONDS:-30} s per target)"
  FUZZ_SECONDS=${UD_FUZZ_SECONDS:-30} tests/fuzz/run.sh
fi
