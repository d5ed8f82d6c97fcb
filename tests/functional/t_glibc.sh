#!/usr/bin/env bash
# The F1 and P1 modes in containers of three glibc generations, made with
# debootstrap: Debian 11 (glibc 2.31, whose dlsym is in libdl.so.2 and
# whose programs call __xstat and friends), Debian 12 (2.36) and Debian 13
# (2.41). The preload library must load in all of them: it may need no glibc
# symbol version above 2.17 and no library but libc and libdl.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"
P=$UD_FIX_PLAIN
lib=$(dirname "$UD_BIN")/libudocker-fakechroot.so
if [ "$(uname -m)" != x86_64 ] || [ ! -f "$lib" ]; then
  skip "F modes: x86_64 with libudocker-fakechroot.so beside udocker only"
  finish
  exit $?
fi
RC=0 OUT= ERR=
newest=$(objdump -T "$lib" | grep -oE 'GLIBC_[0-9]+\.[0-9]+' | sed 's/GLIBC_//' | sort -V | tail -1)
check "objdump -T: no glibc symbol version above 2.17 (newest: $newest)" \
  [ "$(printf '2.17\n%s\n' "$newest" | sort -V | tail -1)" = 2.17 ]
needed=$(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort | tr '\n' ' ')
check "readelf -d: it needs libc.so.6 and libdl.so.2 only ($needed)" [ "$needed" = "libc.so.6 libdl.so.2 " ]
if [ "${UD_TEST_BIG:-0}" != 1 ]; then
  skip "Debian 11, 12 and 13 containers: UD_TEST_BIG=0"
  finish
  exit $?
fi

probe='echo "version $(cat /etc/debian_version)"
/lib/x86_64-linux-gnu/libc.so.6 | head -1
mkdir -p /tmp/gx && touch /tmp/gx/f && cp /tmp/gx/f /tmp/gx/g && ls /tmp/gx | tr "\n" " " && echo
stat -c "stat %F" /etc/debian_version
ls -l /etc/debian_version | cut -c1-10
find /etc/apt -maxdepth 1 -name sources.list.d
sh -c "echo child \$(id -un)"
echo written >/probe-glibc && cat /probe-glibc'
for v in 11:debian11:2.31 12:debian:2.36 13:debian13:2.41; do
  major=${v%%:*} rest=${v#*:}
  img=${rest%%:*} glibc=${rest#*:}
  ud create --name="g$major" "$P/test/$img:latest"
  check "Debian $major: create" rc_is 0
  id=$OUT
  for mode in F1 P1; do
    ud setup --execmode="$mode" "g$major"
    check "Debian $major: setup --execmode=$mode" rc_is 0
    rm -f "$UDOCKER_DIR/containers/$id/ROOT/probe-glibc"
    ud run "g$major" bash -c "$probe"
    check "Debian $major $mode: runs (rc 0)" rc_is 0
    check "Debian $major $mode: /etc/debian_version is $major.x" out_has "version $major."
    check "Debian $major $mode: the container's glibc $glibc" out_has "release version $glibc"
    check "Debian $major $mode: mkdir, touch, cp, ls" out_has "f g "
    check "Debian $major $mode: stat" out_has "stat regular file"
    check "Debian $major $mode: ls -l" out_has "-rw-r--r--"
    check "Debian $major $mode: find" out_has "/etc/apt/sources.list.d"
    check "Debian $major $mode: a program another one starts, id -un" out_has "child "
    check "Debian $major $mode: a write to / from inside" out_has "written"
    check "Debian $major $mode: ... lands in the container's ROOT" [ -f "$UDOCKER_DIR/containers/$id/ROOT/probe-glibc" ]
    check "Debian $major $mode: ... not in the host's /" [ ! -e /probe-glibc ]
  done
  ud doctor "g$major"
  check "Debian $major: doctor says the F modes can run it" out_has "dynamically linked (F modes can run it)"
done
finish
