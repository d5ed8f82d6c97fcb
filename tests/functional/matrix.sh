#!/usr/bin/env bash
# The run matrix every execution mode must pass: sourced by t_run.sh (N1),
# t_run_ptrace.sh (P1, P2) and t_run_r1.sh (R2, R3). Needs lib.sh.
#
# run_matrix MODE IMAGE NAME: creates container NAME from IMAGE, sets it to
# MODE and checks every run option, error and stdio case on it.
# run_metadata MODE: the image metadata rules (Env, WorkingDir, User,
# Entrypoint, Cmd, --nometa, --entrypoint) in MODE.

run_matrix() {
  local mode=$1 img=$2 c=$3 t="$1 $(basename "$2")"
  expect_ok "$t: create" create --name="$c" "$img"
  expect_ok "$t: setup --execmode=$mode" setup --execmode="$mode" "$c"
  ud setup "$c"
  check "$t: setup shows $mode" out_has "execmode: $mode"
  expect_ok "$t: true" run "$c" /bin/true
  expect_fail "$t: exit status passes through" 7 "" run "$c" /bin/sh -c 'exit 7'
  ud run "$c" /bin/sh -c 'kill -TERM $$'
  check "$t: death by signal 15 gives 143" rc_is 143
  ud run -e A=1 -e B="two words" "$c" /bin/sh -c 'echo "$A|$B"'
  check "$t: -e" out_is "1|two words"
  printf 'C=3\n# comment\nD=4\n' >envf
  ud run --env-file=envf "$c" /bin/sh -c 'echo $C$D'
  check "$t: --env-file" out_is "34"
  ud run -w /tmp "$c" /bin/sh -c pwd
  check "$t: -w" out_is "/tmp"
  ud run --user=root "$c" /bin/sh -c 'id -u; id -g'
  check "$t: --user=root" out_is "$(printf '0\n0')"
  ud run --user=4242:4343 "$c" /bin/sh -c 'id -u; id -g'
  check "$t: --user=uid:gid" out_is "$(printf '4242\n4343')"
  ud run --user=nobody "$c" /bin/sh -c 'id -un'
  check "$t: --user=name from the container's passwd" out_is "nobody"
  expect_fail "$t: unknown user" 2 "invalid user: nosuchuser" run --user=nosuchuser "$c" /bin/true
  ud run --user=4242 "$c" /bin/sh -c 'whoami; echo $USER'
  check "$t: a uid the container does not know gets a passwd entry" out_is "$(printf 'udoc4242\nudoc4242')"
  ud run --containerauth --user=4242 "$c" whoami
  check "$t: --containerauth leaves passwd alone" [ "$RC" != 0 ]
  ud run --hostauth "$c" /bin/sh -c 'grep -c "^root:" /etc/passwd; test "$(wc -l </etc/passwd)" = "$1"' _ "$(wc -l </etc/passwd)"
  check "$t: --hostauth binds the host's passwd" rc_is 0
  ud run "$c" /bin/sh -c 'echo "$container_names|$container_execmode"'
  check "$t: udocker's container_* variables" out_is "$c|$mode"
  mkdir -p vol && echo data >vol/f
  rm -f vol/g vol/h
  ud run -v "$T_TMP/vol:/mnt/vol" "$c" /bin/sh -c 'cat /mnt/vol/f; echo out >/mnt/vol/g'
  check "$t: -v reads" out_is "data"
  check "$t: -v writes" [ "$(cat vol/g)" = out ]
  ud run -v "$T_TMP/vol:/mnt/vol:ro" "$c" /bin/sh -c 'echo x >/mnt/vol/h'
  check "$t: -v :ro refuses writes: the write fails" [ "$RC" != 0 ]
  check "$t: -v :ro refuses writes: nothing written" [ ! -e vol/h ]
  ud run -v "$T_TMP/vol:/mnt/vol:ro" "$c" /bin/sh -c 'cat /mnt/vol/f; rm -f /mnt/vol/f; mkdir /mnt/vol/d'
  check "$t: -v :ro reads" out_is "data"
  check "$t: -v :ro refuses rm" [ -e vol/f ]
  check "$t: -v :ro refuses mkdir" [ ! -e vol/d ]
  ud run -v "$T_TMP/vol" "$c" /bin/sh -c "cat $T_TMP/vol/f"
  check "$t: -v HOST alone binds to the same path" out_is "data"
  ud run --bindhome "$c" /bin/sh -c "test -d '$HOME' && echo home"
  check "$t: --bindhome" out_is "home"
  expect_fail "$t: invalid host volume path" 2 "invalid host volume path" \
    run -v /nonexistent/dir:/x "$c" /bin/true
  expect_fail "$t: invalid working directory" 2 "invalid working directory" \
    run -w /no/such/dir "$c" /bin/true
  expect_fail "$t: command not found" 2 "command not found: no-such-command" \
    run "$c" no-such-command
  ud run --hostname=inside "$c" /bin/sh -c 'uname -n'
  check "$t: --hostname" out_is "inside"
  if [[ $mode == R* ]]; then
    # The runtime always mounts its own /proc.
    ud run --nosysdirs "$c" /bin/sh -c 'test -d /proc && echo ran'
    check "$t: --nosysdirs runs" out_is "ran"
  else
    ud run --nosysdirs "$c" /bin/sh -c 'ls /proc | wc -l'
    check "$t: --nosysdirs leaves /proc empty" out_is "0"
  fi
  ud run "$c" /bin/sh -c 'test -e /proc/self/status && test -e /dev/null && echo sys'
  check "$t: /proc and /dev are there by default" out_is "sys"
  export HOSTENV_PROBE=from-the-host
  ud run --hostenv "$c" /bin/sh -c 'echo $HOSTENV_PROBE'
  check "$t: --hostenv" out_is "from-the-host"
  ud run "$c" /bin/sh -c 'echo "[$HOSTENV_PROBE]"'
  check "$t: without --hostenv the host's environment stays out" out_is "[]"
  ud run --cpuset-cpus=0 "$c" /bin/sh -c 'grep Cpus_allowed_list /proc/self/status'
  check "$t: --cpuset-cpus" out_has "	0"
  ud run --entrypoint=/bin/echo "$c" x
  check "$t: --entrypoint" out_is "x"
  echo "through stdin" >in.txt
  "$UD_BIN" run "$c" /bin/cat <in.txt >out.txt 2>err.txt
  RC=$?; OUT=$(cat out.txt); ERR=$(cat err.txt)
  check "$t: stdin and stdout pass through without a terminal" out_is "through stdin"
  "$UD_BIN" run "$c" /bin/sh -c 'echo to-stderr >&2; exit 3' 2>err.txt >/dev/null
  RC=$?
  check "$t: stderr passes through without a terminal" grep -q to-stderr err.txt
  check "$t: the status passes through without a terminal" rc_is 3
  if command -v script >/dev/null; then
    script -qec "$UD_BIN run $c /bin/sh -c 'test -t 0 && test -t 1 && echo is-a-tty; exit 5'" /dev/null >tty.txt 2>&1
    RC=$?; OUT=$(tr -d '\r\0' <tty.txt); ERR=
    check "$t: with a terminal: the command sees a tty" out_has "is-a-tty"
    check "$t: with a terminal: the exit status passes through" rc_is 5
  else
    skip "$t: terminal case: no 'script' command"
  fi
}

run_metadata() {
  local mode=$1 m="m-$1" e="e-$1"
  expect_ok "$mode metadata: create" create --name="$m" "$UD_FIX_PLAIN/test/busybox"
  ud setup --execmode="$mode" "$m"
  ud create --name="$e" "$UD_FIX_PLAIN/test/entry"
  ud setup --execmode="$mode" "$e"
  ud run "$m" /bin/sh -c 'echo $FIXTURE; pwd; id -u'
  check "$mode metadata: Env, WorkingDir and User of the image" out_is "$(printf 'busybox\n/home/user\n1000')"
  ud run --nometa "$m" /bin/sh -c 'echo "[$FIXTURE]"; pwd'
  check "$mode metadata: --nometa ignores them" out_is "$(printf '[]\n/')"
  ud run "$e"
  check "$mode metadata: Entrypoint + Cmd" out_is "entry cmd-arg"
  ud run "$e" other
  check "$mode metadata: a command replaces Cmd, the Entrypoint stays" out_is "entry other"
  ud run --entrypoint=/bin/echo "$e" x
  check "$mode metadata: --entrypoint replaces it" out_is "x"
  ud run --entrypoint= "$e" /bin/echo cleared
  check "$mode metadata: --entrypoint= clears it" out_is "cleared"
}
