#!/usr/bin/env bash
# Local image commands, the repository layout, interchange with udocker
# 1.3.16 layouts, and every command's --help.
. "$(dirname "$0")/lib.sh"
P=$UD_FIX_PLAIN

expect_ok "pull busybox" pull "$P/test/busybox:latest"
expect_ok "pull layers" pull "$P/test/layers:latest"
# Creates at once in one store: each cleans leftovers of killed creates on
# its way in, and must never take another's directory being made for one.
creates_all_ok() {
  local pids=() i bad=0
  for i in $(seq 1 64); do
    "$UD_BIN" create "$P/test/busybox:latest" >"$T_TMP/cc.$i.out" 2>"$T_TMP/cc.$i.err" &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do wait "${pids[$i]}" || bad=$((bad + 1)); done
  ERR=$(cat "$T_TMP"/cc.*.err)
  [ "$bad" = 0 ]
}
check "64 concurrent creates all succeed" creates_all_ok

# Layout as udocker 1.3.16 writes it (reference §2.2).
tagdir="$UDOCKER_DIR/repos/$P/test/busybox/latest"
check "TAG holds '<repo dir>:<tag>' without newline" \
  [ "$(cat "$tagdir/TAG")" = "$UDOCKER_DIR/repos/$P/test/busybox:latest" ]
check "v2 marker" [ -f "$tagdir/v2" ]
check "v2 marker is empty" [ ! -s "$tagdir/v2" ]
link=$(find "$tagdir" -maxdepth 1 -type l | head -1)
check "blob links are relative, into layers/" \
  bash -c '[[ "$(readlink "$1")" == ../../../../../layers/sha256:* ]]' _ "$link"
check "each link names a blob in layers/" [ -f "$UDOCKER_DIR/layers/$(basename "$link")" ]

expect_ok "images" images
check "images lists name:tag and protection" out_has "$P/test/busybox:latest    ."
expect_ok "images -l" images -l
check "images -l lists layers with sizes" out_has " MB)"
expect_ok "images -p" images -p
check "images -p shows the platform" out_has "linux/amd64"
expect_ok "inspect" inspect "$P/test/busybox"
check "inspect prints the config, sorted, indent 4" out_has '    "architecture": "amd64",'
check "inspect shows the image's User" out_has '"User": "1000:1000"'

expect_ok "tag" tag "$P/test/busybox:latest" mine/box:v1
expect_ok "verify the tagged copy" verify mine/box:v1
expect_fail "tag onto an existing name" 1 "target already exists" tag "$P/test/busybox:latest" mine/box:v1
expect_fail "tag of a missing source" 1 "source does not exist" tag nothing/x:y mine/box:v2
expect_ok "protect" protect mine/box:v1
ud images
check "protected image shows P" out_has "mine/box:v1    P"
expect_fail "rmi of a protected image" 1 "protected" rmi mine/box:v1
expect_ok "unprotect" unprotect mine/box:v1
nblobs=$(ls "$UDOCKER_DIR/layers" | grep -c sha256)
expect_ok "rmi of the original" rmi "$P/test/busybox:latest"
check "shared layers are kept" [ "$(ls "$UDOCKER_DIR/layers" | grep -c sha256)" = "$nblobs" ]
expect_ok "the copy still verifies" verify mine/box:v1
expect_ok "rmi of the copy" rmi mine/box:v1
check "unshared layers are removed" [ "$(ls "$UDOCKER_DIR/layers" | grep -c sha256)" -lt "$nblobs" ]
check "empty repository directories are removed" [ ! -e "$UDOCKER_DIR/repos/mine" ]
expect_ok "the other image still verifies" verify "$P/test/layers:latest"

# A repository written the way udocker 1.3.16 writes it, by hand: ours reads it.
old="$T_TMP/old"
mkdir -p "$old"/{repos,layers,containers,bin,lib,doc}
src="$UD_FIX_STATE/../fixtures" 2>/dev/null
raw=$(registry_manifest "http://$P" test/entry latest)
d="$old/repos/library/entry/1.0"
mkdir -p "$d"
printf '%s' "$raw" >"$d/manifest"
: >"$d/v2"
printf '%s' "$old/repos/library/entry:1.0" >"$d/TAG"
for blob in $(grep -o 'sha256:[0-9a-f]*' <<<"$raw" | sort -u); do
  curl -sf "http://$P/v2/test/entry/blobs/$blob" -o "$old/layers/$blob"
  ln -s "../../../../layers/$blob" "$d/$blob"
done
expect_ok "a 1.3.16 repository is listed" --repo="$old" images
check "... with its image" out_has "library/entry:1.0"
expect_ok "a 1.3.16 repository verifies" --repo="$old" verify library/entry:1.0
expect_ok "a 1.3.16 image is inspected" --repo="$old" inspect library/entry:1.0
check "... showing its Entrypoint" out_has '"/bin/echo"'
# v1-style tag (load/import layout): ancestry + <id>.layer/.json links.
id=$(printf 'a%.0s' $(seq 64))
v="$old/repos/imported/img/v1tag"
mkdir -p "$v"
tar -C "$T_TMP" -cf "$old/layers/$id.layer" lib.sh 2>/dev/null || tar -cf "$old/layers/$id.layer" -T /dev/null
printf '{"id":"%s","config":{"Cmd":["/bin/sh"]},"architecture":"amd64","os":"linux"}' "$id" >"$old/layers/$id.json"
ln -s "../../../../layers/$id.layer" "$v/$id.layer"
ln -s "../../../../layers/$id.json" "$v/$id.json"
printf '["%s"]' "$id" >"$v/ancestry"
: >"$v/v1"
printf '%s' "$old/repos/imported/img:v1tag" >"$v/TAG"
expect_ok "a 1.3.16 v1 tag verifies" --repo="$old" verify imported/img:v1tag
expect_ok "a 1.3.16 v1 tag is inspected" --repo="$old" inspect imported/img:v1tag

# Ours is read the way 1.3.16 reads it (§2.2, §2.7), by an independent reader.
expect_ok "pull into a new repository" pull "$P/oci/layers:latest"
/usr/bin/python3 - "$UDOCKER_DIR" <<'EOPY' >"$T_TMP/reader" 2>&1
import json, os, sys, hashlib
top = sys.argv[1]
repos = os.path.join(top, "repos")
found = 0
for dirpath, dirs, files in os.walk(repos):
    dirs[:] = [d for d in dirs if not d.startswith(".")]
    if "TAG" not in files:
        continue
    found += 1
    tag = open(os.path.join(dirpath, "TAG")).read()
    assert tag == os.path.dirname(dirpath) + ":" + os.path.basename(dirpath), tag
    assert "v2" in files
    m = json.load(open(os.path.join(dirpath, "manifest")))
    ids = [l["digest"] for l in m["layers"]] + [m["config"]["digest"]]
    for i in ids:
        p = os.path.join(dirpath, i)
        assert os.path.islink(p), p
        assert not os.path.isabs(os.readlink(p)), p
        assert hashlib.sha256(open(p, "rb").read()).hexdigest() == i.split(":")[1], p
    for f in os.listdir(dirpath):
        assert f in ("TAG", "v1", "v2", "PROTECT", "container.json", "ancestry", "manifest") or len(f) >= 64, "unknown file " + f
    json.loads(open(os.path.join(dirpath, m["config"]["digest"])).read())
print("1.3.16 reader: %d tags ok" % found)
EOPY
RC=$?; OUT=$(cat "$T_TMP/reader"); ERR=
check "a 1.3.16-style reader accepts our repository ($OUT)" rc_is 0

# mkrepo and --repo.
expect_ok "mkrepo" mkrepo "$T_TMP/newrepo"
check "mkrepo makes the directories: repos" [ -d "$T_TMP/newrepo/repos" ]
check "mkrepo makes the directories: layers" [ -d "$T_TMP/newrepo/layers" ]
expect_fail "mkrepo of an existing directory" 1 "already exists" mkrepo "$T_TMP/newrepo"
expect_ok "pull into --repo" --repo="$T_TMP/newrepo" pull "$P/test/entry:latest"
check "the image lands in --repo" [ -f "$T_TMP/newrepo/repos/$P/test/entry/latest/TAG" ]

# Registry queries.
expect_ok "search the catalog" search --registry="http://$P" busybox
check "catalog search finds test/busybox" out_has "$P/test/busybox"
expect_ok "search --list-tags" search --list-tags "$P/test/busybox"
check "tag list" out_is "latest"
expect_ok "manifest inspect of an index" manifest inspect "$P/oci/multi"
check "the index lists both platforms" out_has '"arm64"'
expect_ok "manifest inspect --platform" manifest --platform=linux/arm64 inspect "$P/oci/multi"
check "the arm64 manifest" out_has '"layers"'

# Commands that describe themselves.
for c in help version showconf install mkrepo validate plan apply pull images rmi tag inspect \
         verify manifest search protect unprotect login logout; do
  ud "$c" --help
  check "$c --help: exit 0" rc_is 0
  check "$c --help: usage" grep -q "Usage: udocker $c\|Syntax:" <<<"$OUT"
done
expect_ok "version" version
check "version lines" out_has "version: "
expect_ok "-V" -V
expect_ok "showconf" showconf
check "showconf lists the repository" out_has "topdir = $UDOCKER_DIR"
expect_ok "install" install
check "install reports user namespaces" out_has "user namespaces:"
check "install reports the built-in engines" out_has "engine N (user namespaces): built in"
ud help
check "help lists the exit codes" out_has "128+N"
ud
check "no arguments: exit 0" rc_is 0
check "no arguments: general help" out_has "Commands:"
ud --version
check "--version" out_has "version: "

# A progress bar on a terminal, plain lines otherwise.
export UDOCKER_DIR="$T_TMP/tty"
if command -v script >/dev/null; then
  script -qc "$UD_BIN pull $P/test/layers:latest" /dev/null >"$T_TMP/tty.out" 2>&1
  check "a progress bar on a terminal" grep -q " \[.*MB" "$T_TMP/tty.out"
  check "... ending with the image's summary line" grep -Eq "layers:latest: [0-9]+\.[0-9] MB in [0-9]+\.[0-9]s" "$T_TMP/tty.out"
  check "... and no per-layer lines" bash -c '! grep -q "downloading layer" "$1"' _ "$T_TMP/tty.out"
else
  skip "progress bar: no 'script' command"
fi
ud pull "$P/test/entry:latest"
check "no progress bar without a terminal (stdout)" bash -c '! grep -q " \[.*MB" <<<"$1"' _ "$OUT"
check "no progress bar without a terminal (stderr)" bash -c '! grep -q " \[.*MB" <<<"$1"' _ "$ERR"
ud -q pull "$P/oci/entry:latest"
check "-q: pull succeeds" rc_is 0
check "-q: nothing on stdout" [ -z "$OUT" ]
finish
