#!/usr/bin/env bash
# The run matrix in R1, R2 and R3, with runc and with crun, on busybox and
# Debian, with and without a terminal.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"
P=$UD_FIX_PLAIN
images="$P/test/busybox"
[ "${UD_TEST_BIG:-0}" = 1 ] && images="$images $P/test/debian"
ud images
# A small local package for dpkg -i as root.
mkdir -p pkg/hello/DEBIAN pkg/hello/usr/share/hello
printf 'Package: udocker-hello\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@example.invalid>\nDescription: test\n' >pkg/hello/DEBIAN/control
echo hi >pkg/hello/usr/share/hello/hi.txt
dpkg-deb --root-owner-group -b pkg/hello pkg/hello.deb >/dev/null

for rt in runc crun; do
  rtpath=$(command -v "$rt" || true)
  [ -n "$rtpath" ] || rtpath=$(ls /usr/sbin/$rt /usr/bin/$rt 2>/dev/null | head -1)
  if [ -z "$rtpath" ]; then
    skip "R1 with $rt: $rt is not installed"
    continue
  fi
  export UDOCKER_USE_RUNC_EXECUTABLE=$rtpath
  for img in $images; do
    c="r1-$rt-$(basename "$img")"
    expect_ok "$rt $img: create" create --name="$c" "$img"
    expect_ok "$rt $img: setup --execmode=R1" setup --execmode=R1 "$c"
    ud setup "$c"
    check "$rt $img: setup shows R1" out_has "execmode: R1"
    expect_ok "$rt $img: true" run "$c" /bin/true
    expect_fail "$rt $img: exit status" 7 "" run "$c" /bin/sh -c 'exit 7'
    ud run -e A=1 -e B="two words" "$c" /bin/sh -c 'echo "$A|$B"'
    check "$rt $img: -e" out_is "1|two words"
    printf 'C=3\nD=4\n' >envf
    ud run --env-file=envf "$c" /bin/sh -c 'echo $C$D'
    check "$rt $img: --env-file" out_is "34"
    ud run -w /tmp "$c" /bin/sh -c pwd
    check "$rt $img: -w" out_is "/tmp"
    ud run "$c" /bin/sh -c 'id -u'
    check "$rt $img: the command runs as the container's root (mapped to you)" out_is "0"
    mkdir -p vol && echo data >vol/f
    ud run -v "$T_TMP/vol:/mnt/vol" "$c" /bin/sh -c 'cat /mnt/vol/f; echo out >/mnt/vol/g-'"$rt"
    check "$rt $img: -v reads" out_is "data"
    check "$rt $img: -v writes" [ -f "vol/g-$rt" ]
    ud run -v "$T_TMP/vol:/mnt/vol:ro" "$c" /bin/sh -c 'echo x >/mnt/vol/h'
    check "$rt $img: -v :ro: the write fails" [ "$RC" != 0 ]
    check "$rt $img: -v :ro: nothing written" [ ! -e vol/h ]
    expect_fail "$rt $img: invalid host volume path" 2 "invalid host volume path" \
      run -v /nonexistent/dir:/x "$c" /bin/true
    expect_fail "$rt $img: invalid working directory" 2 "invalid working directory" \
      run -w /no/such/dir "$c" /bin/true
    expect_fail "$rt $img: command not found" 2 "command not found" run "$c" no-such-command
    ud run --hostname=inside "$c" /bin/sh -c 'cat /proc/sys/kernel/hostname'
    check "$rt $img: --hostname" out_is "inside"
    ud run "$c" /bin/sh -c 'echo $PATH'
    check "$rt $img: the image's Env" bash -c '[ -n "$1" ]' _ "$OUT"
    export HOSTENV_PROBE=from-the-host
    ud run --hostenv "$c" /bin/sh -c 'echo $HOSTENV_PROBE'
    check "$rt $img: --hostenv" out_is "from-the-host"
    ud run "$c" /bin/sh -c 'echo "[$HOSTENV_PROBE]"'
    check "$rt $img: the host's environment stays out" out_is "[]"
    ud run --cpuset-cpus=0 "$c" /bin/sh -c 'grep Cpus_allowed_list /proc/self/status'
    check "$rt $img: --cpuset-cpus" out_has "	0"
    ud run --bindhome "$c" /bin/sh -c "test -d '$HOME' && echo home"
    check "$rt $img: --bindhome" out_is "home"
    ud run --nosysdirs "$c" /bin/sh -c 'test -e /etc/resolv.conf && grep -q "$(head -c 20 /etc/resolv.conf 2>/dev/null)" /etc/resolv.conf; echo done'
    check "$rt $img: --nosysdirs runs" rc_is 0
    ud run --hostauth "$c" /bin/sh -c 'test "$(wc -l </etc/passwd)" = "$1"' _ "$(wc -l </etc/passwd)"
    check "$rt $img: --hostauth" rc_is 0
    ud run --entrypoint=/bin/echo "$c" x
    check "$rt $img: --entrypoint" out_is "x"
    echo "through stdin" >in.txt
    "$UD_BIN" run "$c" /bin/cat <in.txt >out.txt 2>err.txt
    RC=$?; OUT=$(cat out.txt); ERR=$(cat err.txt)
    check "$rt $img: stdin and stdout pass through without a terminal" out_is "through stdin"
    "$UD_BIN" run "$c" /bin/sh -c 'echo to-stderr >&2; exit 3' 2>err.txt >/dev/null
    RC=$?
    check "$rt $img: stderr without a terminal (1.3.16 lost it)" grep -q to-stderr err.txt
    check "$rt $img: the status without a terminal (1.3.16 lost it)" rc_is 3
    if command -v script >/dev/null; then
      script -qec "$UD_BIN run $c /bin/sh -c 'test -t 0 && test -t 1 && echo is-a-tty; exit 5'" /dev/null >tty.txt 2>&1
      RC=$?; OUT=$(tr -d '\r\0' <tty.txt); ERR=
      check "$rt $img: with a terminal: a tty inside" out_has "is-a-tty"
      check "$rt $img: with a terminal: the status passes through" rc_is 5
    else
      skip "$rt $img: terminal case: no 'script' command"
    fi
  done
done
unset UDOCKER_USE_RUNC_EXECUTABLE

# R2 and R3: the runtime with udocker-tracer inside (root and --user
# emulation), the same matrix as N1 and P1/P2.
. "$(dirname "$0")/matrix.sh" || exit 1
for rt in runc crun; do
  rtpath=$(command -v "$rt" || ls /usr/sbin/$rt /usr/bin/$rt 2>/dev/null | head -1)
  if [ -z "$rtpath" ]; then
    skip "R2/R3 with $rt: $rt is not installed"
    continue
  fi
  export UDOCKER_USE_RUNC_EXECUTABLE=$rtpath
  for mode in R2 R3; do
    for img in $images; do
      run_matrix "$mode" "$img" "$mode-$rt-$(basename "$img")"
    done
    [ "$rt" = runc ] && run_metadata "$mode"
    if [ "${UD_TEST_BIG:-0}" = 1 ]; then
      ud run --user=root "$mode-$rt-debian" /bin/sh -c 'chown 5:5 /tmp && chgrp 7 /tmp && echo chowned'
      check "$mode $rt: chown to an unmapped id succeeds under root emulation" out_is "chowned"
      ud run --user=root -v "$T_TMP/pkg:/w" "$mode-$rt-debian" sh -c 'dpkg -i /w/hello.deb >/dev/null && cat /usr/share/hello/hi.txt && dpkg -r udocker-hello >/dev/null && echo removed'
      check "$mode $rt: dpkg -i of a local package as root" out_is "$(printf 'hi\nremoved')"
      ud run --user=root -v "$T_TMP/pkg:/w" "$mode-$rt-debian" sh -c 'apt-get install -y /w/hello.deb >/dev/null 2>&1; cat /usr/share/hello/hi.txt && apt-get remove -y udocker-hello >/dev/null 2>&1 && echo removed'
      check "$mode $rt: apt-get install of a local .deb as root (apt drops to _apt)" out_is "$(printf 'hi\nremoved')"
      ud run --user=root "$mode-$rt-debian" su -s /bin/sh nobody -c 'id -u; id -g'
      check "$mode $rt: su to another user under root emulation" out_is "$(printf '65534\n65534')"
    fi
  done
done
unset UDOCKER_USE_RUNC_EXECUTABLE

# Image metadata in R1.
export UDOCKER_USE_RUNC_EXECUTABLE=$(command -v runc || ls /usr/sbin/runc)
ud create --name=r1meta "$P/test/busybox"
ud setup --execmode=R1 r1meta
ud run r1meta /bin/sh -c 'echo $FIXTURE; pwd'
check "R1: the image's Env and WorkingDir" out_is "$(printf 'busybox\n/home/user')"
ud create --name=r1entry "$P/test/entry"
ud setup --execmode=R1 r1entry
ud run r1entry
check "R1: Entrypoint + Cmd" out_is "entry cmd-arg"
ud run --nometa r1meta /bin/sh -c 'echo "[$FIXTURE]"; pwd'
check "R1: --nometa" out_is "$(printf '[]\n/')"
unset UDOCKER_USE_RUNC_EXECUTABLE

# A job spec in R1.
cat >r1.yaml <<EOY
version: 1
containers:
  r1job:
    image: "$P/test/busybox:latest"
    execmode: R1
    env: {WHO: "R1"}
    commands:
      - "echo hello from \$WHO"
EOY
ud plan -f r1.yaml
check "plan shows the R1 setup" out_has "setup  to do    r1job"
ud apply -f r1.yaml
check "apply runs the job in R1" out_has "hello from R1"
ud setup r1job
check "the container is in R1" out_has "execmode: R1"
finish
