#!/usr/bin/env bash
# P1 and P2 through an external proot (UDOCKER_USE_PROOT_EXECUTABLE, here
# Debian's proot 5.1): the run matrix (matrix.sh) on busybox and Debian.
# (Without the variable P1/P2 use the built-in tracer: t_run_ptrace.sh.)
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"
P=$UD_FIX_PLAIN
images="$P/test/busybox"
[ "${UD_TEST_BIG:-0}" = 1 ] && images="$images $P/test/debian"
ud images
UDOCKER_USE_PROOT_EXECUTABLE=/no/such/proot ud setup --execmode=P1 "$(ud create "$P/test/busybox" >/dev/null; "$UD_BIN" ps | awk 'NR==2 {print $1}')"
check "a UDOCKER_USE_PROOT_EXECUTABLE that is not a program is refused" rc_is 1
check "a UDOCKER_USE_PROOT_EXECUTABLE that is not a program: the reason" err_has "not an executable"
proot=$(command -v proot || true)
if [ -z "$proot" ]; then
  skip "P1/P2: proot is not installed"
  finish
  exit $?
fi
. "$(dirname "$0")/matrix.sh" || exit 1
export UDOCKER_USE_PROOT_EXECUTABLE=$proot
for mode in P1 P2; do
  # shellcheck disable=SC2086
  matrix_mode "$mode" $images
done
finish
