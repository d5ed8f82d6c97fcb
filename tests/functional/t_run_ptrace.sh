#!/usr/bin/env bash
# The built-in tracer (P1/P2 without an external proot) on busybox and
# Debian: the cases tracers get wrong, exit codes, signals, root emulation.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"
P=$UD_FIX_PLAIN
unset UDOCKER_USE_PROOT_EXECUTABLE
if [ "$(uname -m)" != x86_64 ]; then
  skip "built-in tracer: x86_64 only in this version"
  finish
  exit $?
fi
ud images
. "$(dirname "$0")/matrix.sh" || exit 1
images="$P/test/busybox"
[ "${UD_TEST_BIG:-0}" = 1 ] && images="$images $P/test/debian"
for mode in P1 P2; do
  for img in $images; do
    run_matrix "$mode" "$img" "t$mode-$(basename "$img")"
  done
  run_metadata "$mode"
done
# The cases tracers get wrong.
for mode in P1 P2; do
  for img in $images; do
    c="t$mode-$(basename "$img")"
    ud run "$c" /bin/sh -c 'ls -la / | grep -c " bin"'
    check "$mode $img: ls -la / succeeds" rc_is 0
    check "$mode $img: ls -la / lists /bin" [ "$OUT" -ge 1 ]
    ud run "$c" /bin/sh -c 'find / -xdev 2>/dev/null | wc -l'
    check "$mode $img: find / -xdev | wc -l succeeds" rc_is 0
    check "$mode $img: find / -xdev | wc -l ($OUT entries)" [ "$OUT" -gt 50 ]
    ud run "$c" /bin/sh -c 'tar -C / -cf - etc 2>/dev/null | tar -tf - | grep -c "^etc/passwd$"'
    check "$mode $img: tar -C / -cf - etc | tar -tf -" out_is "1"
    ud run "$c" /bin/sh -c '(cd /etc && (cat hostname | wc -l)) | cat'
    check "$mode $img: pipelines with subshells" out_is "1"
    ud run -w /tmp "$c" /bin/sh -c 'cd /tmp && pwd'
    check "$mode $img: cd and pwd" out_is "/tmp"
    ud run "$c" /bin/sh -c 'i=0; while [ $i -lt 100 ]; do /bin/true & i=$((i+1)); done; wait; echo forked'
    check "$mode $img: 100 children" out_is "forked"
    printf '#!/bin/sh\necho "script $1"\n' >"$T_TMP/s.sh"
    chmod +x "$T_TMP/s.sh"
    ud run -v "$T_TMP:/w" "$c" /w/s.sh arg
    check "$mode $img: a #! script from a volume" out_is "script arg"
    # A relative symlink chain that crosses into a volume and back out.
    mkdir -p "$T_TMP/chain/sub" && echo chained >"$T_TMP/chain/sub/target"
    ln -sfn sub/target "$T_TMP/chain/l1"
    ud run -v "$T_TMP/chain:/mnt/chain" "$c" /bin/sh -c 'cd /tmp && ln -sfn ../mnt/chain/l1 l0 && cat /tmp/l0 && readlink -f /tmp/l0'
    check "$mode $img: a relative symlink chain crossing a volume" out_is "$(printf 'chained\n/mnt/chain/sub/target')"
    ud run --user=root "$c" /bin/sh -c 'id -u; chown 0:0 /tmp && echo chowned'
    check "$mode $img: --user=root emulated" out_is "$(printf '0\nchowned')"
    ud run --kernel=9.9.9-udocker "$c" /bin/uname -r
    check "$mode $img: --kernel fakes uname" out_is "9.9.9-udocker"
    ud run "$c" /bin/sh -c 'rm -rf /tmp/t && mkdir -p /tmp/t/a/b && touch /tmp/t/a/b/f && rm -rf /tmp/t && test ! -e /tmp/t && echo gone'
    check "$mode $img: rm -rf of a tree (paths relative to directory fds)" out_is "gone"
    # Lookups relative to a directory fd (P1's listener): a name with a
    # '/', '..', an absolute path, an absolute symlink, a read-only volume.
    probe=$(dirname "$UD_BIN")/ud-test-dirfd
    if [ -x "$probe" ]; then
      mkdir -p "$T_TMP/probe" "$T_TMP/rov" && cp "$probe" "$T_TMP/probe/" && echo ro >"$T_TMP/rov/f"
      ud run --user=root -v "$T_TMP/probe:/probe" -v "$T_TMP/rov:/rov:ro" "$c" /bin/sh -c \
        'echo in-container >/etc/probe-target; ln -sfn /etc/probe-target /etc/probe-abs; /probe/ud-test-dirfd /etc ../etc/probe-target probe-abs /etc/probe-target probe-target; /probe/ud-test-dirfd /rov f w:f'
      check "$mode $img: lookups relative to a directory fd are translated" out_is "$(printf '%s\n' \
        '../etc/probe-target: in-container 13 13' 'probe-abs: in-container 13 13' \
        '/etc/probe-target: in-container 13 13' 'probe-target: in-container 13 13' \
        'f: ro 3 3' 'w:f: Read-only file system')"
    else
      skip "$mode $img: dirfd lookups: $probe not built"
    fi
    ud run "$c" /bin/sh -c 'cat /dev/stdin' <<<"through /dev/stdin"
    check "$mode $img: /dev/stdin (a /proc magic link to a pipe)" out_is "through /dev/stdin"
  done
done
# -p: a bind to the container's port 80 (privileged) binds a free host port.
for mode in P1 P2; do
  mkdir -p www && echo "served by $mode" >www/index.html
  hp=$((20000 + RANDOM % 20000))
  # Not a port something else listens on (a server some other run left).
  while ss -Hltn "sport = :$hp" 2>/dev/null | grep -q .; do hp=$((20000 + RANDOM % 20000)); done
  "$UD_BIN" run -p "$hp:80" -v "$T_TMP/www:/www" "t$mode-busybox" busybox httpd -f -p 80 -h /www >/dev/null 2>&1 &
  srv=$!
  OUT=
  for _ in $(seq 50); do
    OUT=$(curl -s "http://127.0.0.1:$hp/index.html") && [ -n "$OUT" ] && break
    sleep 0.1
  done
  kill "$srv" 2>/dev/null
  wait "$srv" 2>/dev/null
  RC=0; ERR=
  check "$mode: -p $hp:80 remaps the container's bind" out_is "served by $mode"
done
if [ "${UD_TEST_BIG:-0}" = 1 ]; then
  for m in P1 P2; do
    ud run "t$m-debian" bash -c 'cd /tmp && pwd -P'
    check "Debian $m: bash -c 'cd /tmp && pwd -P'" out_is "/tmp"
    ud run "t$m-debian" sh -c 'apt-get --version | head -1'
    check "Debian $m: apt-get --version (dynamic, through the container's ld.so)" out_has "apt 2."
    ud run "t$m-debian" sh -c 'dpkg -l | grep -c "^ii"'
    check "Debian $m: dpkg -l succeeds" rc_is 0
    check "Debian $m: dpkg -l lists the packages" [ "$OUT" -gt 50 ]
    ud run "t$m-debian" bash -c 'readlink -f /proc/self/exe; cd /etc && readlink /proc/self/cwd'
    check "Debian $m: /proc/self/exe and /proc/self/cwd look right" out_is "$(printf '/usr/bin/readlink\n/etc')"
  done
  # dpkg -i of a small local package as (emulated) root, and a threaded program.
  mkdir -p pkg/hello/DEBIAN pkg/hello/usr/share/hello
  printf 'Package: udocker-hello\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@example.invalid>\nDescription: test\n' >pkg/hello/DEBIAN/control
  echo hi >pkg/hello/usr/share/hello/hi.txt
  dpkg-deb --root-owner-group -b pkg/hello pkg/hello.deb >/dev/null
  for m in P1 P2; do
    ud run --user=root -v "$T_TMP/pkg:/w" "t$m-debian" sh -c 'dpkg -i /w/hello.deb >/dev/null && cat /usr/share/hello/hi.txt && dpkg -r udocker-hello >/dev/null && echo removed'
    check "Debian $m: dpkg -i of a local package as root" out_is "$(printf 'hi\nremoved')"
    ud run --user=root -v "$T_TMP/pkg:/w" "t$m-debian" sh -c 'apt-get install -y /w/hello.deb >/dev/null 2>&1; cat /usr/share/hello/hi.txt && apt-get remove -y udocker-hello >/dev/null 2>&1 && echo removed'
    check "Debian $m: apt-get install of a local .deb as root (apt drops to _apt)" out_is "$(printf 'hi\nremoved')"
    ud run --user=root "t$m-debian" su -s /bin/sh nobody -c 'id -u; id -g'
    check "Debian $m: su to another user under root emulation" out_is "$(printf '65534\n65534')"
    ud run "t$m-debian" sh -c 'seq 1 200000 | sort -n -S 1M --parallel=4 | tail -1'
    check "Debian $m: a multithreaded program (sort --parallel=4)" out_is "200000"
  done
fi
finish
