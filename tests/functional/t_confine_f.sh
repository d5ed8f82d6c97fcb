#!/usr/bin/env bash
# F1 and F3 confinement (the preload library): paths with ".." above "/",
# symlinks climbing out of ROOT, AF_UNIX socket addresses,
# syscall(SYS_openat2), and statically linked programs (refused). Nothing
# may be created outside the container root and its volumes.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"
P=$UD_FIX_PLAIN
if [ "$(uname -m)" != x86_64 ]; then
  skip "F modes: x86_64 only in this version"
  finish
  exit $?
fi
if [ "${UD_TEST_BIG:-0}" != 1 ]; then
  skip "F confinement on Debian: UD_TEST_BIG=0"
  finish
  exit $?
fi
dyn=$(dirname "$UD_BIN")/ud-test-fconfine
st=$(dirname "$UD_BIN")/ud-test-fconfine-static
if [ ! -x "$dyn" ] || [ ! -x "$st" ]; then
  skip "F confinement: $dyn or $st not built"
  finish
  exit $?
fi
mkdir -p probe && cp "$dyn" "$st" probe/
tag=udconf$$
# Socket names short enough for sun_path as host paths under ROOT (85+).
sk=u$$
host_clean() { ! ls -d /tmp/"$tag"* /tmp/"$sk".* >/dev/null 2>&1; }
# A file created where it belongs: in ROOT, and not at the host path.
in_root() { [ -e "$root/$1" ]; }
sock_in_root() { [ -S "$root/$1" ]; }
absent() { [ ! -e "$1" ]; }

for mode in F1 F3; do
  c=conf-$mode
  ud create --name="$c" "$P/test/debian"
  ud setup --execmode="$mode" "$c"
  check "$mode: setup" rc_is 0
  ud inspect -p "$c"
  root=$OUT
  up=$(dirname "$root")
  v=(-v "$T_TMP/probe:/probe")

  ud run "${v[@]}" "$c" /probe/ud-test-fconfine "unix:/tmp/$sk.s"
  check "$mode: AF_UNIX bind and connect in /tmp" out_has "unix:/tmp/$sk.s: ok"
  check "$mode: getsockname gives the guest path" out_line "name /tmp/$sk.s"
  check "$mode: getpeername gives the guest path" out_line "peername /tmp/$sk.s"
  check "$mode: accept gives the peer's guest path" out_line "peer /tmp/$sk.s.c"
  check "$mode: the socket file is in ROOT/tmp" sock_in_root "tmp/$sk.s"
  check "$mode: no socket file in the host's /tmp" absent "/tmp/$sk.s"

  ud run "${v[@]}" "$c" /probe/ud-test-fconfine "dgram:/tmp/$sk.d"
  check "$mode: AF_UNIX datagram bind, sendto and sendmmsg in /tmp" out_has "dgram:/tmp/$sk.d: ok"
  check "$mode: recvfrom gives the sender's guest path" out_line "from /tmp/$sk.d.c"
  check "$mode: recvmsg gives the sender's guest path" out_line "msgfrom /tmp/$sk.d.c"
  check "$mode: the datagram socket file is in ROOT/tmp" sock_in_root "tmp/$sk.d"
  # Fits in sun_path as the guest's, not as the host's: refused, not cut.
  long=/tmp/$tag.$(printf 'l%.0s' $(seq $((100 - ${#tag} - 6))))
  ud run "${v[@]}" "$c" /probe/ud-test-fconfine "unix:$long"
  check "$mode: a socket path too long on the host fails with ENAMETOOLONG" \
    out_has "unix:$long: File name too long"

  ud run "${v[@]}" "$c" /probe/ud-test-fconfine "openat2:/tmp/$tag.x"
  check "$mode: syscall(SYS_openat2, O_CREAT)" out_has "openat2:/tmp/$tag.x: ok"
  check "$mode: openat2 created ROOT/tmp/x" in_root "tmp/$tag.x"
  check "$mode: openat2 created nothing in the host's /tmp" absent "/tmp/$tag.x"

  ud run "${v[@]}" "$c" /probe/ud-test-fconfine "inroot:/etc:/passwd"
  check "$mode: openat2 with RESOLVE_IN_ROOT resolves under its dirfd" \
    out_has "inroot:/etc:/passwd: ok"

  ud run "${v[@]}" "$c" /probe/ud-test-fconfine "create:/../$tag.a" chdir:/ "create:../$tag.b" \
    "create:/tmp/../../../$tag.c"
  check "$mode: /../x, ../x from / and /tmp/../../../x are created" \
    out_is "$(printf '%s\n' "create:/../$tag.a: ok" "chdir:/: ok" "create:../$tag.b: ok" \
      "create:/tmp/../../../$tag.c: ok")"
  for f in a b c; do
    check "$mode: '..' above / created ROOT/$tag.$f" in_root "$tag.$f"
    check "$mode: '..' above / created nothing beside ROOT ($tag.$f)" absent "$up/$tag.$f"
  done

  ud run "${v[@]}" "$c" /probe/ud-test-fconfine "symlink:../../../../../../../../tmp:/tmp/$tag.up" \
    "create:/tmp/$tag.up/$tag.esc"
  check "$mode: a symlink climbing with .. is followed" out_has "create:/tmp/$tag.up/$tag.esc: ok"
  check "$mode: the climbing symlink stays in ROOT" in_root "tmp/$tag.esc"
  check "$mode: the climbing symlink created nothing in the host's /tmp" absent "/tmp/$tag.esc"

  expect_fail "$mode: a static first program is refused, saying why" 2 "statically linked" \
    run "${v[@]}" "$c" /probe/ud-test-fconfine-static "create:/tmp/$tag.st1"
  check "$mode: the refusal names the program" err_has "/probe/ud-test-fconfine-static"
  check "$mode: the refusal says to use P1 or N1" err_has "P1 or N1"
  ud run "${v[@]}" "$c" /bin/sh -c "/probe/ud-test-fconfine-static create:/tmp/$tag.st2; echo rc=\$?"
  check "$mode: a static program started from the container is refused" out_has "rc=126"
  check "$mode: its refusal says why on stderr" err_has "ud-test-fconfine-static: statically linked"
  check "$mode: the static program ran nowhere (ROOT)" absent "$root/tmp/$tag.st2"

  ud run "$c" /bin/sh -c 'cat /dev/stdin; ls /proc/self/fd/ | grep -c .' <<<"through /dev/stdin"
  check "$mode: /dev/stdin and /proc/self/fd (host links) still work" \
    out_line "through /dev/stdin"

  check "$mode: nothing was created in the host's /tmp" host_clean
done
rm -f /tmp/"$tag"* /tmp/"$sk".* 2>/dev/null
finish
