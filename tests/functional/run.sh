#!/usr/bin/env bash
# Runs the functional tests: starts the fixture registries (tests/fixtures),
# pushes the test images, then runs every tests/functional/t_*.sh as an
# unprivileged user against the real udocker binary.
# Usage: tests/functional/run.sh UDOCKER_BINARY [t_name ...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=$(readlink -f "${1:?usage: run.sh UDOCKER_BINARY [tests...]}")
shift
user=${UD_TEST_USER:-udtest}

work=$(mktemp -d /tmp/udocker-ftest-XXXXXX)
chmod 755 "$work"
state="$work/fixtures"
mkdir -p "$state" "$work/bin"
cp "$bin" "$work/bin/udocker"
# The programs installed beside it: the tracer, and the tests' probe.
for extra in udocker-tracer ud-test-dirfd ud-test-confine ud-test-confine-dyn ud-test-fconfine \
  ud-test-fconfine-static ud-test-squash libudocker-fakechroot.so; do
  if [ -x "$(dirname "$bin")/$extra" ]; then cp "$(dirname "$bin")/$extra" "$work/bin/"; fi
done
# What the tests read from the source tree, where the test user can read it.
mkdir -p "$work/src/tests"
cp -r "$top/examples" "$top/docs" "$top/README.md" "$work/src/"
cp -r "$top/tests/functional" "$work/src/tests/"
# The release tarball (scripts/release.sh) for t_release.sh.
for t in "$(dirname "$bin")"/udocker-*-x86_64.tar.gz; do
  if [ -f "$t" ]; then cp "$t" "$work/bin/"; fi
done
chmod 755 "$work/bin/"*

cleanup() {
  "$top/tests/fixtures/registry.sh" stop "$state" >/dev/null 2>&1 || true
  "$top/tests/fixtures/slurm.sh" stop "$work/slurm" >/dev/null 2>&1 || true
  umount "$work/smallfs" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

images=${UD_FIX_IMAGES:-/var/cache/udocker-fixtures/images}
[ -w "$(dirname "$images")" ] || images="$HOME/.cache/udocker-fixtures/images"
mkdir -p "$images"
big=()
[ "${UD_TEST_BIG:-0}" = 1 ] && big=(--big)
"$top/tests/fixtures/images.sh" "$images" "${big[@]}"
# Images made by buildah and podman (needs root; t_realimages.sh skips without).
if [ "$(id -u)" = 0 ] && command -v buildah >/dev/null; then
  "$top/tests/fixtures/realimages.sh" "$images" "${big[@]}"
fi
"$top/tests/fixtures/registry.sh" start "$state"
"$top/tests/fixtures/push.sh" "$state" "$images" "${big[@]}"
chmod -R a+rX "$state"

# A single-node Slurm cluster for t_slurm.sh (needs root to start; UD_TEST_SLURM=0
# leaves it out, for runs beside another one on the same machine).
slurm=
if [ "$(id -u)" = 0 ] && [ "${UD_TEST_SLURM:-1}" != 0 ] && command -v slurmctld >/dev/null; then
  if "$top/tests/fixtures/slurm.sh" start "$work/slurm"; then
    slurm=1
  fi
fi

# Image-backed containers open /dev/fuse as the test user: Debian's fuse3
# package makes it 0666 through udev, which this host may not run.
if [ "$(id -u)" = 0 ] && [ -c /dev/fuse ]; then
  chmod 666 /dev/fuse
fi

# A tiny filesystem for the disk-full test (needs root to mount).
smallfs=
if [ "$(id -u)" = 0 ]; then
  id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
  mkdir -p "$work/smallfs"
  if mount -t tmpfs -o size=600k tmpfs "$work/smallfs" 2>/dev/null; then
    chown "$user" "$work/smallfs"
    smallfs="$work/smallfs"
  fi
fi

run_as() {
  if [ "$(id -u)" = 0 ]; then
    id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
    runuser -u "$user" -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin TMPDIR=/tmp \
      UD_BIN="$work/bin/udocker" UD_FIX_STATE="$state" UD_RESULTS="$work/results" \
      UD_SRC="$work/src" UD_TEST_BIG="${UD_TEST_BIG:-0}" UD_SMALLFS="$smallfs" UD_SLURM="$slurm" bash "$@"
  else
    env UD_BIN="$work/bin/udocker" UD_FIX_STATE="$state" UD_RESULTS="$work/results" \
      UD_SRC="$work/src" UD_TEST_BIG="${UD_TEST_BIG:-0}" UD_SMALLFS="$smallfs" UD_SLURM="$slurm" bash "$@"
  fi
}

touch "$work/results"
if [ "$(id -u)" = 0 ]; then
  # udocker refuses to run as root unless told.
  if "$work/bin/udocker" images >/dev/null 2>"$work/root.err" ||
     ! grep -q "do not run as root" "$work/root.err"; then
    echo "FAIL run.sh: udocker ran as root without --allow-root"
    echo "0 1" >>"$work/results"
  else
    echo "ok   run.sh: refuses to run as root without --allow-root"
    echo "1 0" >>"$work/results"
  fi
fi
chmod 666 "$work/results"
tests=("$@")
if [ ${#tests[@]} = 0 ]; then
  mapfile -t tests < <(cd "$here" && ls t_*.sh | sed 's/\.sh$//')
fi
failed_scripts=()
for t in "${tests[@]}"; do
  echo "--- $t"
  cp "$here/$t.sh" "$here/lib.sh" "$here/matrix.sh" "$work/"
  if ! run_as "$work/$t.sh"; then failed_scripts+=("$t"); fi
done
passed=$(awk '{p+=$1} END {print p+0}' "$work/results")
failed=$(awk '{f+=$2} END {print f+0}' "$work/results")
echo
[ ${#failed_scripts[@]} = 0 ] || echo "failing scripts: ${failed_scripts[*]}"
echo "functional: $passed passed, $failed failed"
[ "$failed" = 0 ] && [ ${#failed_scripts[@]} = 0 ]
