#!/usr/bin/env bash
# F1-F4 (the preload library libudocker-fakechroot.so; F3/F4 with the
# container's programs patched by patchelf): the run matrix (matrix.sh) on
# the Debian image, the cases a preload library gets wrong, refusal of static
# containers, and setup transitions between every pair of modes.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"
P=$UD_FIX_PLAIN
. "$(dirname "$0")/matrix.sh" || exit 1
ud images
if [ "$(uname -m)" != x86_64 ]; then
  skip "F modes: x86_64 only in this version"
  finish
  exit $?
fi

# A static container (busybox-static) cannot run under a preload library.
ud create --name=fstatic "$P/test/busybox"
expect_fail "F1 refuses a static container, saying why" 1 "dynamically linked glibc container" \
  setup --execmode=F1 fstatic
ud setup fstatic
check "the refused container keeps its mode" out_has "execmode: N1"
ud doctor fstatic
check "doctor CONTAINER says the F modes cannot run a static one" \
  out_has "container fstatic: no glibc (static or musl programs)"

if [ "${UD_TEST_BIG:-0}" != 1 ]; then
  skip "F modes on Debian: UD_TEST_BIG=0"
  finish
  exit $?
fi
D=$P/test/debian
ud create --name=fdoc "$D"
ud doctor fdoc
check "doctor CONTAINER reports the container's glibc" \
  out_has "container fdoc: glibc 2.36, dynamically linked (F modes can run it)"
for mode in F1 F2 F3 F4; do
  matrix_mode "$mode" "$D"
  c="$mode-debian"
  ud run "$c" bash -c 'cd /tmp && pwd -P; readlink -f /bin/sh; readlink /etc/alternatives/awk'
  check "$mode: pwd -P, readlink -f and absolute symlinks look like the container's" \
    out_is "$(printf '/tmp\n/usr/bin/dash\n/usr/bin/mawk')"
  ud run "$c" sh -c 'env -i /usr/bin/env | grep -c "^LD_PRELOAD="; system_test=$(sh -c "echo nested"); echo $system_test'
  check "$mode: a program started with an empty environment still runs in the container" \
    out_is "$(printf '1\nnested')"
done

# setup transitions between every pair of modes keep the container runnable,
# and leaving the F modes gives the absolute symlinks back their container form.
ud create --name=trans "$D"
modes="N1 P1 P2 F1 F2 F3 F4 R1 R2 R3"
for a in $modes; do
  for b in $modes; do
    [ "$a" = "$b" ] && continue
    ud setup --execmode="$a" trans && ud setup --execmode="$b" trans
    ud run trans /bin/sh -c 'cat /etc/debian_version >/dev/null && readlink /etc/alternatives/awk'
    if [ "$b" = "${b#F}" ]; then
      check "setup $a -> $b: runs, symlinks in container form" out_is "/usr/bin/mawk"
    else
      check "setup $a -> $b: runs" out_is "/usr/bin/mawk"
    fi
  done
done
ud inspect -p trans
troot=$OUT
ud setup --execmode=F2 trans
check "F2 keeps the loader's original" [ -f "$(dirname "$troot")/ld.so.orig" ]
ud setup --execmode=N1 trans
check "leaving F2 removes the loader's original" [ ! -e "$(dirname "$troot")/ld.so.orig" ]
# Against a container that never left N1 (another one listed first may be
# in F2 itself, with its loader patched).
ud create --name=ldref "$D"
ud inspect -p ldref
check "leaving F2 restores the loader exactly" \
  cmp -s "$troot/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" \
    "$OUT/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
check "no absolute symlink names the host path after leaving F" \
  bash -c '! find "$1" -type l -lname "$1*" | grep -q .' _ "$troot"

ud setup --execmode=F3 trans
check "F3 keeps the original programs" [ -d "$(dirname "$troot")/.patch.orig/usr/bin" ]
check "F3 records the patched path" [ -f "$(dirname "$troot")/patch.path" ]
check "F3 records the patch time" [ -f "$(dirname "$troot")/patch.time" ]
ud setup --execmode=F1 trans
ud inspect -p F1-debian
pristine=$OUT
check "leaving F3 puts every patched program back byte for byte" \
  bash -c 'for f in usr/bin/ls usr/bin/dpkg usr/lib/x86_64-linux-gnu/libc.so.6 usr/bin/bash; do cmp -s "$1/$f" "$2/$f" || exit 1; done' _ "$troot" "$pristine"
check "and removes the kept originals" [ ! -e "$(dirname "$troot")/.patch.orig" ]
check "and removes the patch records" [ ! -e "$(dirname "$troot")/patch.path" ]
# F4: a program that was not there at setup (so not patched) still runs
# through the container's loader.
mkdir -p newbin && cp /bin/true newbin/ && chmod 755 newbin/true
ud run -v "$T_TMP/newbin:/newbin" F4-debian /bin/sh -c '/newbin/true && echo ran-unpatched'
check "F4 runs a program added after the setup" out_is "ran-unpatched"

# A moved container (clone): F1 converts its links for the new place.
ud setup --execmode=F1 trans
expect_ok "clone an F1 container" clone --name=moved trans
ud run moved /bin/sh -c 'readlink /etc/alternatives/awk; cat /etc/debian_version >/dev/null && echo ran'
check "the clone runs in F1 where it is" out_is "$(printf '/usr/bin/mawk\nran')"
ud setup --execmode=F3 trans
expect_ok "clone an F3 container" clone --name=moved3 trans
ud run moved3 /bin/sh -c 'ls /usr/bin/ls >/dev/null && echo ran'
check "the F3 clone is patched again for where it is" out_is "ran"
ud inspect -p moved3
check "its patch.path names its own directory" \
  [ "$(cat "$(dirname "$OUT")/patch.path")" = "$(dirname "$OUT")" ]

# execmode auto where user namespaces are not available (a user namespace of
# our own whose limit for nested ones is 0): F1 for the glibc container, P1
# for the static one.
if unshare -r sh -c 'echo 0 >/proc/sys/user/max_user_namespaces' 2>/dev/null; then
  cat >auto.yaml <<EOY
version: 1
containers:
  autodeb:
    image: "$D:latest"
    commands: ["echo \$container_execmode"]
  autobox:
    image: "$P/test/busybox:latest"
    commands: ["echo \$container_execmode"]
EOY
  nons() { unshare -r sh -c 'echo 0 >/proc/sys/user/max_user_namespaces; exec "$@"' _ "$UD_BIN" --allow-root "$@"; }
  OUT=$(nons doctor 2>&1); RC=$?; ERR=
  check "doctor without user namespaces: N1 no, with the reason" out_has "  N1  no: "
  check "doctor without user namespaces: auto P1" out_has "execmode auto: P1"
  OUT=$(nons apply -f auto.yaml 2>&1); RC=$?; ERR=
  check "auto without user namespaces: apply succeeds" rc_is 0
  check "auto picks F1 for the glibc container" grep -qx F1 <<<"$OUT"
  check "auto picks P1 for the static one" grep -qx P1 <<<"$OUT"
  check "auto says it picked F1" out_has "auto picks F1 for this container"
else
  skip "auto without user namespaces: cannot make a user namespace to test in"
fi
finish
