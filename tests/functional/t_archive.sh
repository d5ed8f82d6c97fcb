#!/usr/bin/env bash
# load / save / import: docker save (legacy and OCI layouts), OCI archives,
# root filesystem tarballs; hostile archives are refused.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"
P=$UD_FIX_PLAIN

expect_ok "pull" pull "$P/test/layers:latest"
expect_ok "save" save -o saved.tar "$P/test/layers:latest"
check "save writes a docker save archive" bash -c 'tar tf saved.tar | grep -q "^manifest.json$" && tar tf saved.tar | grep -q "/layer.tar$"'
expect_fail "save onto an existing file" 1 "output file already exists" save -o saved.tar "$P/test/layers:latest"
"$UD_BIN" save "$P/test/layers:latest" >stdout.tar 2>/dev/null
check "save to standard output" bash -c 'tar tf stdout.tar | grep -q "^repositories$"'

export UDOCKER_DIR="$T_TMP/second"
expect_ok "load the saved archive" load -i saved.tar
check "load prints the image" out_has "$P/test/layers:latest"
expect_ok "the loaded image verifies" verify "$P/test/layers:latest"
expect_ok "load again" load -i saved.tar
check "an existing image is skipped" err_has "Info: repository and tag already exist"
"$UD_BIN" load renamed <saved.tar >"$T_TMP/out" 2>&1
RC=$?; OUT=$(cat "$T_TMP/out"); ERR=
check "load from standard input with a new name" out_has "renamed:latest"

skopeo copy -q --src-tls-verify=false "docker://$P/oci/entry:latest" "oci-archive:$T_TMP/oci.tar:tools/entry:3.1" >skopeo.log 2>&1
RC=$? OUT=$(cat skopeo.log) ERR=
check "skopeo writes an OCI archive (the fixture for the next checks)" rc_is 0
if [ "$RC" = 0 ]; then
  expect_ok "load an OCI archive" load -i oci.tar
  check "its ref.name gives name and tag" out_has "tools/entry:3.1"
  expect_ok "the OCI-loaded image verifies" verify tools/entry:3.1
  ud inspect tools/entry:3.1
  check "its config is kept" out_has '"cmd-arg"'
fi

tar -C "$UD_SRC/tests" -cf rootfs.tar functional
expect_ok "import a rootfs tarball" import rootfs.tar imported/fs:1
check "import reports the layer" err_has "Info: added layer"
expect_ok "the imported image verifies" verify imported/fs:1
expect_ok "the imported image is inspected" inspect imported/fs:1
check "import metadata" out_has '"comment": "created by udocker"'
"$UD_BIN" import --platform=linux/arm64 - imported/fs:2 <rootfs.tar >/dev/null 2>&1
RC=$?
check "import from standard input with a platform" rc_is 0
ud images -p
check "the platform is recorded" bash -c 'grep -q "^linux/arm64 .* imported/fs:2" <<<"$1"' _ "$OUT"
expect_fail "import onto an existing tag" 1 "tag already exists" import rootfs.tar imported/fs:1
echo "not a tarball" >junk.tar
expect_fail "import of something that is not a tar" 1 "not a tar archive" import junk.tar imported/junk:1
expect_fail "load of something that is not an archive" 1 "load failed" load -i junk.tar
tar -cf empty.tar -T /dev/null
expect_fail "load of an archive without images" 1 "not an image archive" load -i empty.tar
/usr/bin/python3 - <<'EOPY'
import io, tarfile
with tarfile.open("evil.tar", "w") as t:
    data = b"owned\n"
    ti = tarfile.TarInfo("../../../../../../tmp/udocker-evil")
    ti.size = len(data)
    t.addfile(ti, io.BytesIO(data))
with tarfile.open("evil2.tar", "w") as t:
    ti = tarfile.TarInfo("link"); ti.type = tarfile.SYMTYPE; ti.linkname = "/tmp"
    t.addfile(ti)
    data = b"owned\n"
    ti = tarfile.TarInfo("link/udocker-evil2"); ti.size = len(data)
    t.addfile(ti, io.BytesIO(data))
EOPY
expect_fail "load refuses '..' member names" 1 "refused" load -i evil.tar
check "nothing was written outside" [ ! -e /tmp/udocker-evil ]
ud load -i evil2.tar
check "load refuses writing through a symlink" rc_is 1
check "load wrote nothing through the symlink" [ ! -e /tmp/udocker-evil2 ]
check "load leaves no temporary directory" [ -z "$(ls -A "$UDOCKER_DIR/layers/.partial" 2>/dev/null)" ]
finish
