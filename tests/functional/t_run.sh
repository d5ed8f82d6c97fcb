#!/usr/bin/env bash
# Containers and run in N1: create, ps, names, the run matrix (matrix.sh) in
# N1 and S1, hostile layers.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"
P=$UD_FIX_PLAIN

images="$P/test/busybox"
[ "${UD_TEST_BIG:-0}" = 1 ] && images="$images $P/test/debian"

ud images # creates the repository ("Info: creating repo")
. "$(dirname "$0")/matrix.sh" || exit 1
for img in $images; do
  tag=$(basename "$img")
  expect_ok "$tag: create --name" create --name="c-$tag" "$img"
  check "$tag: create prints the id only" bash -c '[[ "$1" =~ ^[0-9a-f-]{36}$ ]]' _ "$OUT"
  id=$OUT
  check "$tag: container files as 1.3.16 writes them: ROOT" [ -d "$UDOCKER_DIR/containers/$id/ROOT" ]
  check "$tag: container files as 1.3.16 writes them: container.json" \
    [ -f "$UDOCKER_DIR/containers/$id/container.json" ]
  check "$tag: container files as 1.3.16 writes them: imagerepo.name" \
    [ "$(cat "$UDOCKER_DIR/containers/$id/imagerepo.name")" = "$img:latest" ]
  check "$tag: container files as 1.3.16 writes them: the name's symlink" \
    [ "$(readlink "$UDOCKER_DIR/containers/c-$tag")" = "$id" ]
done
# The run matrix and the metadata rules in N1, and in S1 where apptainer or
# singularity is installed.
for mode in N1 S1; do
  # shellcheck disable=SC2086
  matrix_mode "$mode" $images
done

# doctor: what this host offers (the test host has user namespaces).
ud doctor
check "doctor succeeds" rc_is 0
check "doctor reports user namespaces" out_has "user namespaces: yes"
check "doctor reports N1 available" out_has "  N1  yes"
check "doctor reports P1 available" out_has "  P1  yes"
check "doctor reports the auto choice" out_has "execmode auto: N1"
for m in F4 S1 R3; do
  check "doctor reports every mode: $m" out_has "  $m  "
done

# run IMAGE: a container made for the run, with the image's metadata (the
# rules themselves: run_metadata in the matrix).
ud run "$P/test/busybox" /bin/sh -c 'echo $FIXTURE; pwd; id -u'
check "run IMAGE: Env, WorkingDir and User of the image" out_is "$(printf 'busybox\n/home/user\n1000')"
ud run "$P/test/entry" other
check "run IMAGE: Entrypoint + a command" out_is "entry other"
ud run --name=named --rm "$P/test/busybox" /bin/true
check "--rm removes the container" bash -c '! "$1" ps | grep -q named' _ "$UD_BIN"
expect_fail "--pull=never and a missing image" 1 "pull policy is 'never'" \
  run --pull=never "$P/test/nothere" /bin/true

# Container commands.
ud ps
check "ps lists names in 1.3.16's bracket notation" out_has "['c-busybox']"
expect_ok "ps -m -p -s" ps -m -p -s
check "ps -m shows the mode" out_has " N1 "
expect_ok "name" name c-busybox second
expect_ok "run by the new name" run second /bin/true
expect_fail "name already taken" 1 "already exists" name c-busybox second
expect_ok "rename" rename second third
expect_ok "rmname" rmname third
expect_fail "rmname of a missing name" 1 "name does not exist" rmname third
ud setup c-busybox
check "setup prints the mode" out_has "execmode: N1"
expect_ok "setup --execmode=N1" setup --execmode=n1 c-busybox
check "setup --execmode=N1 notes that 1.3.16 cannot run the container then" \
  err_has "execmode N1 is now in the container's execmode file, which udocker 1.3.16 does not know"
ud setup --execmode=auto c-busybox
check "setup --execmode=auto: no such note" err_lacks "1.3.16 does not know"
expect_fail "setup of a mode that does not exist" 1 "not built in this version" setup --execmode=X9 c-busybox
# An execmode file naming no mode (a hand edit, an import --clone): runs
# refuse it with the reason; setup --execmode puts a mode back.
cdir="$UDOCKER_DIR/containers/$(readlink "$UDOCKER_DIR/containers/c-busybox")"
printf 'Z9' >"$cdir/execmode"
expect_fail "a run of a container whose execmode file names no mode is refused" 2 \
  "execution mode is not one this version knows" run c-busybox /bin/true
ud ps -m
check "ps -m shows an unknown mode as ?" out_has " ? "
expect_ok "setup --execmode after an unknown mode" setup --execmode=N1 c-busybox
check "the execmode file names the mode again" [ "$(cat "$cdir/execmode")" = N1 ]
if command -v apptainer >/dev/null || command -v singularity >/dev/null; then
  skip "S1 refusal: apptainer or singularity is installed"
else
  expect_fail "S1 without apptainer or singularity is refused with the reason" 1 \
    "S1 needs apptainer or singularity on PATH" setup --execmode=S1 c-busybox
  printf 'version: 1\ncontainers:\n  s1job:\n    image: "%s/test/busybox:latest"\n    execmode: S1\n    commands: ["true"]\n' "$P" >s1.yaml
  ud plan -f s1.yaml
  check "plan shows the S1 setup blocked" out_has "blocked"
  check "plan shows why the S1 setup is blocked" out_has "S1 needs apptainer or singularity on PATH"
fi
expect_ok "protect a container" protect c-busybox
expect_fail "rm of a protected container" 1 "protected" rm c-busybox
expect_ok "unprotect it" unprotect c-busybox
ud create "$P/test/busybox"
other=$OUT
expect_ok "rm of several containers" rm c-busybox "$other"
check "they are gone: the unnamed one" [ ! -e "$UDOCKER_DIR/containers/$other" ]
check "they are gone: the name" [ ! -e "$UDOCKER_DIR/containers/c-busybox" ]
expect_fail "rm of a missing container" 1 "container not found" rm c-busybox

# setup --purge removes the mountpoints runs created.
ud create --name=purge "$P/test/busybox"
mkdir -p "$T_TMP/pv"
ud run -v "$T_TMP/pv:/brand/new" purge /bin/true
ud inspect -p purge
proot=$OUT
check "a run creates the volume's mountpoint" [ -d "$proot/brand/new" ]
check "a run records the volume's mountpoint" [ -L "$(dirname "$proot")/.mountpoints/#brand#new" ]
expect_ok "setup --purge" setup --purge purge
check "setup --purge removes the mountpoint" [ ! -e "$proot/brand/new" ]
check "setup --purge removes the records" [ ! -e "$(dirname "$proot")/.mountpoints" ]

# run --location: a root directory outside the repository.
ud create --name=loc "$P/test/busybox"
ud inspect -p loc
locroot=$OUT
ud run --location="$locroot" /bin/sh -c 'cat /etc/hostname'
check "run --location=DIR" out_is "busybox"
expect_fail "run --location of a missing directory" 2 "invalid location" run --location=/no/such/root /bin/true

# inspect, export, import --tocontainer / --clone, clone.
ud create --name=orig "$P/test/busybox"
oid=$OUT
ud inspect -p orig
check "inspect -p prints the container's ROOT" out_is "$UDOCKER_DIR/containers/$oid/ROOT"
ud inspect orig
check "inspect prints container.json" out_has '"WorkingDir": "/home/user"'
ud run orig /bin/sh -c 'echo marker >/tmp/marker'
expect_ok "export -o" export -o exp.tar orig
check "export members start with ./" bash -c 'tar tf exp.tar | grep -q "^./tmp/marker$"'
"$UD_BIN" export orig >exp2.tar 2>/dev/null
check "export to standard output" bash -c 'tar tf exp2.tar | grep -q "^./bin/busybox$"'
expect_ok "import --tocontainer" import --tocontainer --name=imp exp.tar
mkdir -p "$T_TMP/imptmp"
TMPDIR=$T_TMP/imptmp ud import --tocontainer --name=imp - <exp.tar
check "import - with a taken --name: refused" err_has "container name already exists: imp"
check "import - with a taken --name: no copy of stdin left in TMPDIR" \
  [ -z "$(ls -A "$T_TMP/imptmp")" ]
ud run imp /bin/cat /tmp/marker
check "the imported container has the files" out_is "marker"
ud ps
check "its image is IMPORTED:unknown" out_has "IMPORTED:unknown"
expect_ok "export --clone" export --clone -o clone.tar orig
expect_ok "import --clone" import --clone clone.tar
cid=$OUT
ud run "$cid" /bin/cat /tmp/marker
check "the clone has the files" out_is "marker"
expect_ok "clone --name" clone --name=twin orig
ud run twin /bin/cat /tmp/marker
check "clone copies the container" out_is "marker"
check "clone is a new container" [ "$(readlink "$UDOCKER_DIR/containers/twin")" != "$oid" ]

# Hostile layers: nothing lands outside ROOT.
/usr/bin/python3 - <<'EOPY'
import io, tarfile
def add(t, name, data=b"x", **kw):
    ti = tarfile.TarInfo(name)
    for k, v in kw.items():
        setattr(ti, k, v)
    if ti.type in (tarfile.REGTYPE, tarfile.AREGTYPE):
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
    else:
        t.addfile(ti)
with tarfile.open("hostile.tar", "w") as t:
    add(t, "bin/", type=tarfile.DIRTYPE, mode=0o755)
    add(t, "../../../../../../tmp/udocker-hostile-dotdot")
    add(t, "/tmp/udocker-hostile-abs")
    add(t, "escape", type=tarfile.SYMTYPE, linkname="/tmp")
    add(t, "escape/udocker-hostile-symlink")
    add(t, "rel", type=tarfile.SYMTYPE, linkname="../../../../../../tmp")
    add(t, "rel/udocker-hostile-rel")
    add(t, "hardout", type=tarfile.LNKTYPE, linkname="../../../../../../etc/passwd")
    add(t, "hardabs", type=tarfile.LNKTYPE, linkname="/etc/passwd")
    add(t, "dev/null2", type=tarfile.CHRTYPE, devmajor=1, devminor=3)
    add(t, "suid", b"#!/bin/sh\n", mode=0o4755)
    add(t, "plain", b"ok\n", mode=0o444)
EOPY
expect_ok "import a hostile layer" import hostile.tar hostile/img:1
expect_ok "create from it" create hostile/img:1
hid=$OUT
root="$UDOCKER_DIR/containers/$hid/ROOT"
check "'..' entries land nowhere" [ ! -e /tmp/udocker-hostile-dotdot ]
check "absolute entries land inside ROOT" [ -e "$root/tmp/udocker-hostile-abs" ]
check "absolute entries land nowhere outside ROOT" [ ! -e /tmp/udocker-hostile-abs ]
check "no write through an absolute symlink" [ ! -e /tmp/udocker-hostile-symlink ]
check "no write through a relative symlink" [ ! -e /tmp/udocker-hostile-rel ]
check "no hard link to a file outside (relative)" [ ! -e "$root/hardout" ]
check "no hard link to a file outside (absolute)" [ ! -e "$root/hardabs" ]
check "device nodes skipped" [ ! -e "$root/dev/null2" ]
check "setuid bit dropped" [ "$(stat -c %a "$root/suid")" = 755 ]
check "files are readable and writable by their owner" [ "$(stat -c %a "$root/plain")" = 644 ]
finish
