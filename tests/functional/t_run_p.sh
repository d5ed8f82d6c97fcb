#!/usr/bin/env bash
# P1 and P2 through an external proot (UDOCKER_USE_PROOT_EXECUTABLE, here
# Debian's proot 5.1), on busybox and Debian, with and without a terminal.
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
export UDOCKER_USE_PROOT_EXECUTABLE=$proot
for mode in P1 P2; do
  for img in $images; do
    c="$mode-$(basename "$img")"
    expect_ok "$mode $img: create" create --name="$c" "$img"
    expect_ok "$mode $img: setup" setup --execmode=$mode "$c"
    expect_ok "$mode $img: true" run "$c" /bin/true
    expect_fail "$mode $img: exit status" 6 "" run "$c" /bin/sh -c 'exit 6'
    ud run -e A=1 "$c" /bin/sh -c 'echo $A'
    check "$mode $img: -e" out_is "1"
    ud run -w /tmp "$c" /bin/sh -c pwd
    check "$mode $img: -w" out_is "/tmp"
    ud run --user=root "$c" /bin/sh -c 'id -u'
    check "$mode $img: --user=root" out_is "0"
    mkdir -p vol && echo data >vol/f
    ud run -v "$T_TMP/vol:/mnt/vol" "$c" /bin/cat /mnt/vol/f
    check "$mode $img: -v" out_is "data"
    expect_fail "$mode $img: invalid host volume path" 2 "invalid host volume path" \
      run -v /nonexistent/dir:/x "$c" /bin/true
    expect_fail "$mode $img: invalid working directory" 2 "invalid working directory" \
      run -w /no/such/dir "$c" /bin/true
    expect_fail "$mode $img: command not found" 2 "command not found" run "$c" no-such-command
    echo "through stdin" >in.txt
    "$UD_BIN" run "$c" /bin/cat <in.txt >out.txt 2>err.txt
    RC=$?; OUT=$(cat out.txt); ERR=$(cat err.txt)
    check "$mode $img: stdin and stdout without a terminal" out_is "through stdin"
    if command -v script >/dev/null; then
      script -qec "$UD_BIN run $c /bin/sh -c 'test -t 1 && echo is-a-tty; exit 5'" /dev/null >tty.txt 2>&1
      RC=$?; OUT=$(tr -d '\r' <tty.txt); ERR=
      check "$mode $img: with a terminal: a tty inside" out_has "is-a-tty"
      check "$mode $img: with a terminal: the status passes through" rc_is 5
    fi
  done
done
finish
