#!/usr/bin/env bash
# Signals in every execution mode that runs here (engines/spawn.c): a
# SIGTERM to udocker reaches the container's processes, its exit status
# comes back, nothing of the container is left; the command starts with
# no signal ignored or blocked (SIGPIPE: `yes | head` ends at once).
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"
P=$UD_FIX_PLAIN
unset UDOCKER_USE_PROOT_EXECUTABLE
if [ "${UD_TEST_BIG:-0}" != 1 ]; then
  skip "signals on Debian: UD_TEST_BIG=0"
  finish
  exit $?
fi
D=$P/test/debian
runc=$(command -v runc || ls /usr/sbin/runc 2>/dev/null || true)

# no_process_left MARK: no process has MARK in its command line (waits 5 s
# for the last ones to go).
no_process_left() {
  local i
  for i in $(seq 50); do
    pgrep -f -- "$1" >/dev/null || return 0
    sleep 0.1
  done
  return 1
}

# wait_started MARK: the container's sleep MARK runs (a command line with
# MARK and no ';' before it: not the shell's, the tracer's or udocker's,
# but the sleep's, loader in front or not).
wait_started() {
  local i
  for i in $(seq 300); do
    pgrep -f -- "^[^;]*$1" >/dev/null && return 0
    sleep 0.1
  done
  return 1
}

signal_cases() {
  local mode=$1 c="sig-$1" mark="100.$$$RANDOM" pid rc i
  expect_ok "$mode: create" create --name="$c" "$D"
  expect_ok "$mode: setup --execmode=$mode" setup --execmode="$mode" "$c"
  # Started in the background: bash ignores SIGINT and SIGQUIT there.
  "$UD_BIN" run "$c" sh -c "trap 'echo got TERM; exit 7' TERM; sleep $mark" >sig.out 2>sig.err &
  pid=$!
  check "$mode: the container's sleep starts" wait_started "$mark"
  kill -TERM "$pid"
  for i in $(seq 200); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    fail "$mode: udocker still runs 20 s after SIGTERM"
    kill -KILL "$pid"
  fi
  wait "$pid"
  rc=$?
  check "$mode: SIGTERM to udocker: the container's trap runs" grep -qx "got TERM" sig.out
  check "$mode: SIGTERM to udocker: udocker exits with the trap's status 7" [ "$rc" = 7 ]
  check "$mode: SIGTERM to udocker: no process of the container is left" no_process_left "$mark"
  pkill -KILL -f -- "$mark"
  "$UD_BIN" run "$c" grep -E '^Sig(Ign|Blk):' /proc/self/status >sig.out 2>sig.err &
  wait $!
  check "$mode: the command starts with no signal ignored or blocked" \
    [ "$(cat sig.out)" = "$(printf 'SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000')" ]
  timeout 10 "$UD_BIN" run "$c" sh -c 'yes | head -n 1' >sig.out 2>sig.err
  rc=$?
  check "$mode: yes | head -n 1 returns at once" [ "$rc" = 0 ]
  check "$mode: yes | head -n 1 prints y" [ "$(cat sig.out)" = y ]
  check "$mode: yes ends by SIGPIPE, not by a write error" not_grep "Broken pipe" sig.err
}

# The checks before a run (engines/prepare.c): a path is in a volume only
# when the volume's path is the path itself or a parent directory of it.
prepare_cases() {
  local mode=$1 c="sig-$1"
  mkdir -p data/sub
  rm -rf data2
  ud run -v "$T_TMP/data:/data" -w /data2 "$c" /bin/sh -c pwd
  check "$mode: -w /data2 beside a /data volume: made in the root" out_is "/data2"
  check "$mode: -w /data2 beside a /data volume is not in it" [ ! -e "$T_TMP/data2" ]
  ud run -v "$T_TMP/data:/data" -w /data/sub "$c" /bin/sh -c pwd
  check "$mode: -w /data/sub in a /data volume" out_is "/data/sub"
  printf '#!/bin/sh\necho in-volume\n' >data/vcmd
  chmod 755 data/vcmd
  ud run -v "$T_TMP/data:/data" -e PATH=/data:/usr/bin:/bin "$c" vcmd
  check "$mode: a command found in the PATH through a volume" out_is "in-volume"
  expect_fail "$mode: a command beside a volume is not in it" 2 "command not found: /data2/vcmd" \
    run -v "$T_TMP/data:/data" "$c" /data2/vcmd
}

not_grep() { ! grep -q -- "$1" "$2"; }

ud images
for mode in N1 P1 P2 F1 F3 R1 R2 S1; do
  case $mode in
    F*)
      if [ "$(uname -m)" != x86_64 ]; then
        skip "$mode: x86_64 only in this version"
        continue
      fi
      ;;
    R*)
      if [ -z "$runc" ]; then
        skip "$mode: runc is not installed"
        continue
      fi
      export UDOCKER_USE_RUNC_EXECUTABLE=$runc
      ;;
    S1)
      if ! command -v apptainer >/dev/null && ! command -v singularity >/dev/null; then
        skip "S1: neither apptainer nor singularity is installed"
        continue
      fi
      ;;
  esac
  signal_cases "$mode"
  prepare_cases "$mode"
  unset UDOCKER_USE_RUNC_EXECUTABLE
done
finish
