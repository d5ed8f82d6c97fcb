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
  # shellcheck disable=SC2086
  matrix_mode "$mode" $images
done
# The cases tracers get wrong.
for mode in P1 P2; do
  for img in $images; do
    c="$mode-$(basename "$img")"
    ud run "$c" /bin/sh -c 'tar -C / -cf - etc 2>/dev/null | tar -tf - | grep -c "^etc/passwd$"'
    check "$mode $img: tar -C / -cf - etc | tar -tf -" out_is "1"
    ud run "$c" /bin/sh -c '(cd /etc && (cat hostname | wc -l)) | cat'
    check "$mode $img: pipelines with subshells" out_is "1"
    ud run -w /tmp "$c" /bin/sh -c 'cd /tmp && pwd'
    check "$mode $img: cd and pwd" out_is "/tmp"
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
if [ "${UD_TEST_BIG:-0}" = 1 ]; then
  for m in P1 P2; do
    ud run "$m-debian" bash -c 'readlink -f /proc/self/exe; cd /etc && readlink /proc/self/cwd'
    check "Debian $m: /proc/self/exe and /proc/self/cwd look right" out_is "$(printf '/usr/bin/readlink\n/etc')"
  done
fi
finish
