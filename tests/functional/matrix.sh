#!/usr/bin/env bash
# The run matrix every execution mode must pass, the one copy of it: sourced
# by t_run.sh (N1, S1), t_run_ptrace.sh (P1, P2 with the built-in tracer),
# t_run_p.sh (P1, P2 with an external proot), t_run_f.sh (F1-F4) and
# t_run_r1.sh (R1, R2, R3 with runc and with crun). Needs lib.sh.
#
# run_matrix MODE IMAGE NAME: creates container NAME from IMAGE, sets it to
# MODE and checks every run option, error and stdio case on it (and, on an
# image with dpkg, the Debian cases).
# run_metadata MODE: the image metadata rules (Env, WorkingDir, User,
# Entrypoint, Cmd, --nometa, --entrypoint) in MODE.
# Where a mode differs, mode_can says so and why: the case is then skipped
# with that reason (or, for --user, the mode's own rule is checked instead),
# never dropped.

# MATRIX_ROOTFS=squash: every container the matrix creates is
# image-backed (create --rootfs=squash), and the checks' names say so.

# matrix_create DESC NAME IMAGE: expect_ok of create, with --rootfs=squash
# under MATRIX_ROOTFS=squash.
matrix_create() {
  if [ "${MATRIX_ROOTFS:-dir}" = squash ]; then
    expect_ok "$1" create --rootfs=squash --name="$2" "$3"
  else
    expect_ok "$1" create --name="$2" "$3"
  fi
}

# The engine behind MODE, in the checks' names: P1/P2 are the built-in
# tracer unless UDOCKER_USE_PROOT_EXECUTABLE names a proot; the R modes run
# the runtime UDOCKER_USE_RUNC_EXECUTABLE names (else runc).
mode_label() {
  case $1 in
  P*) if [ -n "${UDOCKER_USE_PROOT_EXECUTABLE:-}" ]; then echo "$1 proot"; else echo "$1"; fi ;;
  R*) echo "$1 $(basename "${UDOCKER_USE_RUNC_EXECUTABLE:-runc}")" ;;
  *) echo "$1" ;;
  esac
}

# mode_runs MODE: whether MODE's engine is on this host; else $WHY says why.
mode_runs() {
  WHY=
  case $1 in
  S1)
    if [ -z "${UDOCKER_USE_SINGULARITY_EXECUTABLE:-}" ] && ! command -v apptainer >/dev/null &&
      ! command -v singularity >/dev/null; then
      WHY="neither apptainer nor singularity is installed"
    fi
    ;;
  R*)
    if [ -z "${UDOCKER_USE_RUNC_EXECUTABLE:-}" ] && ! command -v runc >/dev/null &&
      ! command -v crun >/dev/null; then
      WHY="neither runc nor crun is installed"
    fi
    ;;
  P* | F*)
    [ "$(uname -m)" = x86_64 ] || [ -n "${UDOCKER_USE_PROOT_EXECUTABLE:-}" ] ||
      WHY="the built-in $1 engine is x86_64 only in this version"
    ;;
  esac
  [ -z "$WHY" ]
}

# mode_can FEATURE MODE: whether MODE has FEATURE; when not, $WHY says why.
#   user        the command runs as any --user asked, and as the image's User
#   root        --user=root runs the command as (real or emulated) uid 0
#   selfsignal  a command that signals itself dies of it
#   hostname    --hostname is what uname(2) reports
#   uts         --hostname sets a UTS namespace's name (/proc/sys/kernel/hostname)
#   emptyproc   --nosysdirs leaves /proc unmounted
#   rootemu     root emulation: chown to any id, su to another user, dpkg as root
#   su          su to another user under root emulation
#   rovolume    a -v HOST:DIR:ro volume refuses writes
#   static      the mode runs a statically linked container (the busybox fixtures)
#   ports       -p HOST:CONTAINER remaps the command's bind to a privileged port
mode_can() {
  WHY=
  local proot=${UDOCKER_USE_PROOT_EXECUTABLE:-}
  case $1:$2 in
  user:R1) WHY="R1 runs the command as the container's root: a rootless runtime maps one id" ;;
  user:S1 | root:S1) WHY="S1 runs the command as you" ;;
  selfsignal:R1)
    WHY="in R1 the command is init of the runtime's pid namespace: the kernel drops the signals init sends itself"
    ;;
  selfsignal:P*)
    [ -n "$proot" ] &&
      WHY="Debian's proot 5.1 exits 255 when the command dies of a signal (it says 'terminated with signal 15')"
    ;;
  hostname:S1) WHY="S1 cannot set the host name" ;;
  hostname:P*) [ -n "$proot" ] && WHY="an external proot cannot set the host name" ;;
  uts:P* | uts:F*) WHY="$2 fakes uname(2): no UTS namespace of its own" ;;
  uts:S1) WHY="S1 cannot set the host name" ;;
  emptyproc:R*) WHY="the runtime always mounts its own /proc" ;;
  emptyproc:S1) WHY="the tool always mounts its own /proc" ;;
  rootemu:N1 | rootemu:R1) WHY="$2's user namespace maps one id: no chown to another one" ;;
  rootemu:S1) WHY="S1 emulates no root" ;;
  su:F2) WHY="bug: in F2 su says 'Authentication failure' (pam_rootok does not take the emulated root)" ;;
  rovolume:P*) [ -n "$proot" ] && WHY="an external proot cannot make a volume read-only" ;;
  static:F*) WHY="the F modes run dynamically linked glibc containers alone" ;;
  ports:P*) [ -n "$proot" ] && WHY="an external proot remaps no ports" ;;
  ports:*) WHY="-p remaps a bind only under the built-in tracer (P1, P2)" ;;
  esac
  [ -z "$WHY" ]
}

# The uid and gid a mode without 'user' runs the command as.
mode_ids() {
  case $1 in
  R1) printf '0\n0' ;;
  *) printf '%s\n%s' "$(id -u)" "$(id -g)" ;;
  esac
}

# A small local package for dpkg -i as root, in $T_TMP/pkg/hello.deb.
matrix_hello_deb() {
  [ -f "$T_TMP/pkg/hello.deb" ] && return 0
  mkdir -p "$T_TMP/pkg/hello/DEBIAN" "$T_TMP/pkg/hello/usr/share/hello"
  printf 'Package: udocker-hello\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@example.invalid>\nDescription: test\n' \
    >"$T_TMP/pkg/hello/DEBIAN/control"
  echo hi >"$T_TMP/pkg/hello/usr/share/hello/hi.txt"
  dpkg-deb --root-owner-group -b "$T_TMP/pkg/hello" "$T_TMP/pkg/hello.deb" >/dev/null
}

run_matrix() {
  local mode=$1 img=$2 c=$3 t
  t="$(mode_label "$1") $(basename "$2")${MATRIX_ROOTFS:+ $MATRIX_ROOTFS}"
  # can FEATURE CASE: mode_can, and the skip with its reason when not.
  can() { mode_can "$1" "$mode" || { skip "$t: $2: $WHY"; return 1; }; }
  matrix_create "$t: create" "$c" "$img"
  # What the image has (an image-backed container's ROOT is empty).
  local has_busybox=0 has_dpkg=0
  ud run "$c" /bin/sh -c 'test -x /bin/busybox && echo busybox; test -x /usr/bin/dpkg && echo dpkg'
  out_line busybox && has_busybox=1
  out_line dpkg && has_dpkg=1
  expect_ok "$t: setup --execmode=$mode" setup --execmode="$mode" "$c"
  ud setup "$c"
  check "$t: setup shows $mode" out_has "execmode: $mode"
  expect_ok "$t: true" run "$c" /bin/true
  expect_fail "$t: exit status passes through" 7 "" run "$c" /bin/sh -c 'exit 7'
  if can selfsignal "death by signal 15 gives 143"; then
    ud run "$c" /bin/sh -c 'kill -TERM $$'
    check "$t: death by signal 15 gives 143" rc_is 143
  fi
  ud run -e A=1 -e B="two words" "$c" /bin/sh -c 'echo "$A|$B"'
  check "$t: -e" out_is "1|two words"
  printf 'C=3\n# comment\nD=4\n' >envf
  ud run --env-file=envf "$c" /bin/sh -c 'echo $C$D'
  check "$t: --env-file" out_is "34"
  ud run -w /tmp "$c" /bin/sh -c pwd
  check "$t: -w" out_is "/tmp"
  if can root "--user=root"; then
    ud run --user=root "$c" /bin/sh -c 'id -u; id -g'
    check "$t: --user=root" out_is "$(printf '0\n0')"
  fi
  if mode_can user "$mode"; then
    ud run --user=4242:4343 "$c" /bin/sh -c 'id -u; id -g'
    check "$t: --user=uid:gid" out_is "$(printf '4242\n4343')"
    ud run --user=nobody "$c" /bin/sh -c 'id -un'
    check "$t: --user=name from the container's passwd" out_is "nobody"
    ud run --user=4242 "$c" /bin/sh -c 'whoami; echo $USER'
    check "$t: a uid the container does not know gets a passwd entry" out_is "$(printf 'udoc4242\nudoc4242')"
    ud run --containerauth --user=4242 "$c" whoami
    check "$t: --containerauth leaves passwd alone" [ "$RC" != 0 ]
  else
    # The mode's own rule instead: who the command runs as.
    ud run --user=4242:4343 "$c" /bin/sh -c 'id -u; id -g'
    check "$t: --user=uid:gid: $WHY" out_is "$(mode_ids "$mode")"
    skip "$t: --user=name, passwd entries, --containerauth: $WHY"
  fi
  expect_fail "$t: unknown user" 2 "invalid user: nosuchuser" run --user=nosuchuser "$c" /bin/true
  ud run --hostauth "$c" /bin/sh -c 'grep -c "^root:" /etc/passwd; test "$(wc -l </etc/passwd)" = "$1"' _ "$(wc -l </etc/passwd)"
  check "$t: --hostauth binds the host's passwd" rc_is 0
  ud run "$c" /bin/sh -c 'echo "$container_names|$container_execmode"'
  check "$t: udocker's container_* variables" out_is "$c|$mode"
  mkdir -p vol && echo data >vol/f
  rm -f vol/g vol/h
  ud run -v "$T_TMP/vol:/mnt/vol" "$c" /bin/sh -c 'cat /mnt/vol/f; echo out >/mnt/vol/g'
  check "$t: -v reads" out_is "data"
  check "$t: -v writes" [ "$(cat vol/g)" = out ]
  if can rovolume "-v :ro refuses writes"; then
    ud run -v "$T_TMP/vol:/mnt/vol:ro" "$c" /bin/sh -c 'echo x >/mnt/vol/h'
    check "$t: -v :ro refuses writes: the write fails" [ "$RC" != 0 ]
    check "$t: -v :ro refuses writes: nothing written" [ ! -e vol/h ]
    ud run -v "$T_TMP/vol:/mnt/vol:ro" "$c" /bin/sh -c 'cat /mnt/vol/f; rm -f /mnt/vol/f; mkdir /mnt/vol/d'
    check "$t: -v :ro reads" out_is "data"
    check "$t: -v :ro refuses rm" [ -e vol/f ]
    check "$t: -v :ro refuses mkdir" [ ! -e vol/d ]
  fi
  ud run -v "$T_TMP/vol" "$c" /bin/sh -c "cat $T_TMP/vol/f"
  check "$t: -v HOST alone binds to the same path" out_is "data"
  ud run --bindhome "$c" /bin/sh -c "test -d '$HOME' && echo home"
  check "$t: --bindhome" out_is "home"
  printf '#!/bin/sh\necho "script $1"\n' >"$T_TMP/s.sh"
  chmod +x "$T_TMP/s.sh"
  ud run -v "$T_TMP:/w" "$c" /w/s.sh arg
  check "$t: a #! script from a volume" out_is "script arg"
  expect_fail "$t: invalid host volume path" 2 "invalid host volume path" \
    run -v /nonexistent/dir:/x "$c" /bin/true
  ud run -w /no/such/dir "$c" /bin/sh -c pwd
  check "$t: -w of a missing directory makes it, as Docker does" out_is "/no/such/dir"
  expect_fail "$t: invalid working directory (a file)" 2 "invalid working directory" \
    run -w /etc/passwd "$c" /bin/true
  expect_fail "$t: command not found" 2 "command not found: no-such-command" \
    run "$c" no-such-command
  if can hostname "--hostname"; then
    ud run --hostname=inside "$c" /bin/sh -c 'uname -n'
    check "$t: --hostname" out_is "inside"
  fi
  if can uts "--hostname sets the UTS namespace's name"; then
    ud run --hostname=inside "$c" /bin/sh -c 'cat /proc/sys/kernel/hostname'
    check "$t: --hostname sets the UTS namespace's name" out_is "inside"
  fi
  ud run --nosysdirs "$c" /bin/sh -c 'echo ran'
  check "$t: --nosysdirs runs" out_is "ran"
  if can emptyproc "--nosysdirs leaves /proc empty"; then
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
  ud run "$c" /bin/sh -c 'ls -la / | grep -c " bin"'
  check "$t: ls -la / succeeds" rc_is 0
  check "$t: ls -la / lists /bin" [ "${OUT:-0}" -ge 1 ]
  # The count on stdout, find's own exit status as the command's.
  ud run "$c" /bin/sh -c '{ find / -xdev 2>/dev/null; echo "find-status=$?"; } |
    awk '"'"'/^find-status=/ { s = substr($0, 13); next } { n++ } END { print n; exit s }'"'"
  check "$t: find / -xdev succeeds" rc_is 0
  check "$t: find / -xdev (${OUT:-0} entries)" [ "${OUT:-0}" -gt 50 ]
  local found=${OUT:-0}
  ud run "$c" /bin/sh -c 'i=0; while [ $i -lt 50 ]; do /bin/true & i=$((i+1)); done; wait; echo forked'
  check "$t: 50 children" out_is "forked"
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
  if [ "$has_busybox" = 0 ]; then
    skip "$t: -p: no busybox httpd in the image"
  elif can ports "-p"; then
    matrix_port
  fi
  if [ "$has_dpkg" = 1 ]; then
    matrix_debian
  else
    skip "$t: the Debian cases: no dpkg in the image"
  fi
  unset -f can
}

# -p: a bind to the container's port 80 (privileged) binds a free host
# port, in run_matrix's variables. The server's stderr is the failure's
# ERR; a port another socket took between the choice and the bind (the
# server says "Address already in use") is a lost race: another port.
matrix_port() {
  local hp srv try
  mkdir -p www && echo "served by $t" >www/index.html
  for try in 1 2 3; do
    hp=$(free_port)
    "$UD_BIN" run -p "$hp:80" -v "$T_TMP/www:/www" "$c" busybox httpd -f -p 80 -h /www \
      >/dev/null 2>"$T_TMP/httpd.err" &
    srv=$!
    OUT=
    # Up to 20 s: httpd under P2 stops at every call, slower still in the
    # ASan build on a loaded host (5 s was once too short there).
    for _ in $(seq 200); do
      OUT=$(curl -s "http://127.0.0.1:$hp/index.html") && [ -n "$OUT" ] && break
      kill -0 "$srv" 2>/dev/null || break
      sleep 0.1
    done
    kill "$srv" 2>/dev/null
    wait "$srv" 2>/dev/null
    grep -q "Address already in use" "$T_TMP/httpd.err" || break
  done
  RC=0
  ERR="(try $try, port $hp) $(cat "$T_TMP/httpd.err")"
  check "$t: -p $hp:80 remaps the container's bind" out_is "served by $t"
}

# The cases of a Debian image (dynamic programs, threads, root emulation),
# in run_matrix's variables.
matrix_debian() {
  check "$t: find / -xdev lists all of Debian ($found entries)" [ "$found" -gt 1000 ]
  ud run "$c" bash -c 'cd /tmp && pwd -P'
  check "$t: bash -c 'cd /tmp && pwd -P'" out_is "/tmp"
  ud run "$c" sh -c 'apt-get --version | head -1'
  check "$t: apt-get --version (dynamic, through the container's ld.so)" out_has "apt 2."
  ud run "$c" sh -c 'dpkg -l | grep -c "^ii"'
  check "$t: dpkg -l succeeds" rc_is 0
  check "$t: dpkg -l lists the packages" [ "${OUT:-0}" -gt 50 ]
  ud run "$c" sh -c 'seq 1 200000 | sort -n -S 1M --parallel=4 | tail -1'
  check "$t: a multithreaded program (sort --parallel=4)" out_is "200000"
  can rootemu "root emulation (chown, dpkg -i, apt-get, su)" || return 0
  matrix_hello_deb
  ud run --user=root "$c" /bin/sh -c 'chown 5:5 /tmp && chgrp 7 /tmp && echo chowned'
  check "$t: chown to an unmapped id succeeds under root emulation" out_is "chowned"
  ud run --user=root -v "$T_TMP/pkg:/w" "$c" sh -c 'dpkg -i /w/hello.deb >/dev/null && cat /usr/share/hello/hi.txt && dpkg -r udocker-hello >/dev/null && echo removed'
  check "$t: dpkg -i of a local package as root" out_is "$(printf 'hi\nremoved')"
  ud run --user=root -v "$T_TMP/pkg:/w" "$c" sh -c 'apt-get install -y /w/hello.deb >/dev/null 2>&1; cat /usr/share/hello/hi.txt && apt-get remove -y udocker-hello >/dev/null 2>&1 && echo removed'
  check "$t: apt-get install of a local .deb as root (apt drops to _apt)" out_is "$(printf 'hi\nremoved')"
  if can su "su to another user under root emulation"; then
    ud run --user=root "$c" su -s /bin/sh nobody -c 'id -u; id -g'
    check "$t: su to another user under root emulation" out_is "$(printf '65534\n65534')"
  fi
}

run_metadata() {
  local mode=$1 t tag
  t="$(mode_label "$1") metadata${MATRIX_ROOTFS:+ $MATRIX_ROOTFS}"
  tag=$(mode_label "$1" | tr ' ' -)
  local m="m-$tag" e="e-$tag"
  if ! mode_can static "$mode"; then
    skip "$t: the metadata fixtures are static busybox: $WHY"
    return 0
  fi
  matrix_create "$t: create" "$m" "$UD_FIX_PLAIN/test/busybox"
  ud setup --execmode="$mode" "$m"
  matrix_create "$t: create the Entrypoint one" "$e" "$UD_FIX_PLAIN/test/entry"
  ud setup --execmode="$mode" "$e"
  ud run "$m" /bin/sh -c 'echo $FIXTURE; pwd'
  check "$t: Env and WorkingDir of the image" out_is "$(printf 'busybox\n/home/user')"
  ud run "$m" /bin/sh -c 'id -u; id -g'
  if mode_can user "$mode"; then
    check "$t: User of the image" out_is "$(printf '1000\n1000')"
  else
    check "$t: User of the image: $WHY" out_is "$(mode_ids "$mode")"
  fi
  ud run --nometa "$m" /bin/sh -c 'echo "[$FIXTURE]"; pwd'
  check "$t: --nometa ignores them" out_is "$(printf '[]\n/')"
  ud run "$e"
  check "$t: Entrypoint + Cmd" out_is "entry cmd-arg"
  ud run "$e" other
  check "$t: a command replaces Cmd, the Entrypoint stays" out_is "entry other"
  ud run --entrypoint=/bin/echo "$e" x
  check "$t: --entrypoint replaces it" out_is "x"
  ud run --entrypoint= "$e" /bin/echo cleared
  check "$t: --entrypoint= clears it" out_is "cleared"
}

# matrix_mode MODE IMAGE...: run_matrix on each image and run_metadata, or
# one skip saying why MODE cannot run on this host.
matrix_mode() {
  local mode=$1 img tag
  shift
  if ! mode_runs "$mode"; then
    skip "$(mode_label "$mode"): the run matrix: $WHY"
    return 0
  fi
  tag=$(mode_label "$mode" | tr ' ' -)
  for img in "$@"; do
    run_matrix "$mode" "$img" "$tag-$(basename "$img")"
  done
  run_metadata "$mode"
}
