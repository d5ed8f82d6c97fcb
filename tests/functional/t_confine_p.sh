#!/usr/bin/env bash
# P1/P2 confinement (the built-in tracer): AF_UNIX sockets, openat2,
# fchmodat2, execveat, i386 system calls, /proc/PID of host processes,
# `..` above `/`; nothing created or changed outside ROOT and volumes.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"
P=$UD_FIX_PLAIN
unset UDOCKER_USE_PROOT_EXECUTABLE
probe=$(dirname "$UD_BIN")/ud-test-confine
if [ "$(uname -m)" != x86_64 ] || [ ! -x "$probe" ]; then
  skip "P confinement: x86_64 and $probe needed"
  finish
  exit $?
fi
mkdir -p probe && cp "$probe" probe/
# The dynamic build runs on Debian, through the container's loader.
[ -x "$probe-dyn" ] && cp "$probe-dyn" probe/
# The same with its interpreter's name padded with NULs to 300 bytes at
# the end of the file (the kernel runs it): still the container's loader.
pad_interp() {
  python3 - "$1" "$2" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
phoff, = struct.unpack_from('<Q', b, 32)
phentsize, phnum = struct.unpack_from('<HH', b, 54)
for i in range(phnum):
    at = phoff + i * phentsize
    if struct.unpack_from('<I', b, at)[0] == 3:  # PT_INTERP
        off, = struct.unpack_from('<Q', b, at + 8)
        size, = struct.unpack_from('<Q', b, at + 32)
        name = bytes(b[off:off + size]).split(b'\0')[0]
        struct.pack_into('<Q', b, at + 8, len(b))
        struct.pack_into('<QQ', b, at + 32, 300, 300)
        b += name.ljust(300, b'\0')
open(sys.argv[2], 'wb').write(b)
PY
  chmod 755 "$2"
}
[ -x "$probe-dyn" ] && pad_interp "$probe-dyn" probe/ud-test-confine-padded
# A host process the container must not reach through /proc/PID/cwd.
mkdir -p "$T_TMP/hostcwd" && echo host >"$T_TMP/hostcwd/secret"
(cd "$T_TMP/hostcwd" && exec sleep 600) &
hostpid=$!
long=$(printf 'a%.0s' $(seq 1 90))

snapshot() { find "$1" -printf '%p %m %s %y\n' 2>/dev/null | sort; }
mode_is() { [ "$(stat -c %a "$1" 2>/dev/null)" = "$2" ]; }

# confine MODE IMAGE PROBE: the cases in one mode, image and probe build.
confine() {
  local m=$1 img=$2 pr=$3 c root mark before sock t
  t="$m $(basename "$img") $pr"
  c="cp-$m-$(basename "$img")"
  expect_ok "$t: create" create --name="$c" "$img"
  expect_ok "$t: setup --execmode=$m" setup --execmode="$m" "$c"
  ud inspect -p "$c"
  root=$OUT
  check "$t: the container's ROOT ($root)" [ -d "$root/etc" ]
  mark="$T_TMP/mark-$c"
  mkdir -p "$mark" && echo host >"$mark/f" && chmod 644 "$mark/f"
  before=$(snapshot "$mark")
  sock="/tmp/s$$-${c: -2}$m"
  run() { ud run -v "$T_TMP/probe:/probe" "$c" "$@"; }
  run /bin/sh -c "mkdir -p $mark && echo c >$mark/f && chmod 644 $mark/f && printf '#!/bin/sh\necho hello from the container\n' >/etc/udc-hello && chmod 755 /etc/udc-hello && echo prepared"
  check "$t: the same path as the host marker inside the container" out_is "prepared"

  run /probe/$pr bind "$sock"
  check "$t: AF_UNIX bind and connect in /tmp" out_has "connect: ok"
  check "$t: getsockname names the guest path" out_line "name: $sock"
  check "$t: getpeername names the guest path" out_line "peername: $sock"
  check "$t: accept gives the peer's guest path" out_line "accepted: $sock.c"
  check "$t: the socket file is in ROOT/tmp" [ -S "$root$sock" ]
  check "$t: no socket file in the host's /tmp" [ ! -e "$sock" ]
  run /probe/$pr bind "/tmp/udc-$$-$long"
  check "$t: a socket path too long once translated: ENAMETOOLONG" out_has "bind: errno 36"
  check "$t: ... and no such socket on the host" [ ! -e "/tmp/udc-$$-$long" ]

  run /probe/$pr openat2 "/etc/udc-openat2"
  check "$t: openat2 O_CREAT of /etc/x succeeds" out_has "openat2: ok"
  check "$t: ... and creates ROOT/etc/x" [ -f "$root/etc/udc-openat2" ]
  run /probe/$pr openat2 "/../../..$mark/dotdot"
  check "$t: openat2 of /../../..MARK/x creates it inside ROOT" [ -f "$root$mark/dotdot" ]

  run /probe/$pr fchmodat2 "$mark/f"
  check "$t: fchmodat2 succeeds" out_has "fchmodat2: ok"
  check "$t: fchmodat2 changes the ROOT file" mode_is "$root$mark/f" 600
  check "$t: fchmodat2 leaves the host file of that path alone" mode_is "$mark/f" 644

  run /probe/$pr execveat /etc/udc-hello
  check "$t: execveat of a container program" out_is "hello from the container"

  run /probe/$pr dgram /etc/udc-dgram
  check "$t: sendto an AF_UNIX datagram socket in ROOT/etc" out_has "recv 1: ok"
  check "$t: recvfrom gives the sender's guest path" out_line "from: /etc/udc-dgram.c"
  check "$t: sendmsg to it" out_has "recv 2: ok"
  check "$t: recvmsg gives the sender's guest path" out_line "msg_name: /etc/udc-dgram.c"
  check "$t: ... bound in ROOT/etc" [ -S "$root/etc/udc-dgram" ]
  # An x32 call would run untranslated (ENOSYS too where the kernel has
  # no x32).
  run /probe/$pr x32 "$mark/x32dir"
  check "$t: an x32 system call: ENOSYS" out_has "x32 mkdir: errno 38"
  check "$t: ... and no directory made on the host" [ ! -e "$mark/x32dir" ]
  run /probe/$pr handle /etc/udc-hello
  check "$t: name_to_handle_at of a container file" out_has "handle: ok"
  run /probe/$pr listxattrat /etc/udc-hello
  check "$t: listxattrat of a container file" out_has "listxattrat: ok"
  run /probe/$pr bindmount "$mark" /tmp
  if out_has "unshare: errno"; then
    skip "$t: bind mount source: no user namespaces here"
  else
    check "$t: a bind mount's source is the container's" out_has "content: c"
  fi
  run /probe/$pr uring -
  check "$t: io_uring_setup refused with ENOSYS" out_has "uring: errno 38"

  run /probe/$pr int80 "$mark/f"
  check "$t: int 0x80 write returns ENOSYS" out_has "int80 write: -38"
  check "$t: int 0x80 open returns ENOSYS" out_has "int80 open: -38"

  if [ "$pr" = ud-test-confine-dyn ]; then
    real=$(readlink -f "$root")
    run /probe/$pr loader -
    check "$t: the program runs with the container's loader" out_has "loader: $real/"
    run /probe/ud-test-confine-padded loader -
    check "$t: ... and so does one whose interpreter is padded past 255 bytes" \
      out_has "loader: $real/"
  fi

  run /probe/$pr stat "/proc/$hostpid/cwd/secret"
  check "$t: /proc/PID/cwd of a host process is not followed" out_has "stat: errno 13"
  ud run -w /etc -v "$T_TMP/probe:/probe" "$c" /probe/$pr stat /proc/self/cwd/udc-hello
  check "$t: /proc/self/cwd of the container's process is" out_has "stat: ok"

  check "$t: nothing changed in the host marker dir" [ "$(snapshot "$mark")" = "$before" ]
  rm -f "$sock" "/tmp/udc-$$-$long"
}
for m in P1 P2; do
  confine "$m" "$P/test/busybox" ud-test-confine
  if [ "${UD_TEST_BIG:-0}" = 1 ] && [ -x probe/ud-test-confine-dyn ]; then
    confine "$m" "$P/test/debian" ud-test-confine-dyn
  fi
done
kill "$hostpid" 2>/dev/null
wait 2>/dev/null
finish
