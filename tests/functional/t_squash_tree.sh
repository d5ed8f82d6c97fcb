#!/usr/bin/env bash
# Image files (issue 14): the SquashFS file built streaming from an image's
# layers holds the same tree a directory `create` of that image gives --
# for every fixture image, the hostile-layer corpus of t_hostile.sh (its
# generators, taken from that file), layers whose tree changes shape under
# the same names, and the real images when they are built. The builder is
# driven by ud-test-squash (tests/functional/squash_probe.c, linked with
# the store library): `build TOPDIR NAME TAG` prints the image file and
# "built" on stderr when that process built it. Trees are unpacked with
# unsquashfs and compared by treecmp.py. Also: 8 builders at once build the
# file once, a builder killed mid-build leaves nothing the next one trips
# on, and the compressor setting is honoured.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"
P=$UD_FIX_PLAIN
probe=$(dirname "$UD_BIN")/ud-test-squash
if [ ! -x "$probe" ] || ! command -v unsquashfs >/dev/null; then
  skip "no ud-test-squash (a UD_TESTS build) or no unsquashfs (Debian squashfs-tools)"
  finish
  exit $?
fi
export UDOCKER_DIR="$T_TMP/store"
C=$UDOCKER_DIR/containers

# sq NAME TAG: builds the image file; OUT its path, ERR, RC.
sq() {
  "$probe" build "$UDOCKER_DIR" "$1" "$2" >"$T_TMP/out" 2>"$T_TMP/err"
  RC=$?
  OUT=$(cat "$T_TMP/out")
  ERR=$(cat "$T_TMP/err")
}
# same_tree LABEL NAME TAG: a directory create and the image file of
# NAME:TAG hold the same tree.
same_tree() {
  local label=$1 name=$2 tag=$3 root file dir
  ud create "$name:$tag"
  check "$label: directory create" rc_is 0
  root=$C/$OUT/ROOT
  sq "$name" "$tag"
  check "$label: image file built" rc_is 0
  file=$OUT
  dir=$T_TMP/unsq.$RANDOM
  unsquashfs -q -n -d "$dir" "$file" >"$T_TMP/unsq.log" 2>&1
  OUT=$(cat "$T_TMP/unsq.log") ERR= RC=$?
  check "$label: unsquashfs reads the image file" [ -d "$dir" ]
  OUT=$(/usr/bin/python3 "$UD_SRC/tests/functional/treecmp.py" "$root" "$dir" 2>&1)
  check "$label: the image file's tree equals the directory's" out_is same
  chmod -R u+rwX "$dir" 2>/dev/null
  rm -rf "$dir"
}
# same_error LABEL NAME TAG: create and the builder refuse NAME:TAG alike.
same_error() {
  local label=$1 name=$2 tag=$3 msg
  rm -f "$UDOCKER_DIR"/squash/*.sqsh
  sq "$name" "$tag"
  check "$label: the image file is refused" rc_is 1
  msg=${ERR#ud-test-squash: }
  ud create "$name:$tag"
  check "$label: create refuses it" rc_is 1
  check "$label: with the same message" err_has "$msg"
  check "$label: nothing left in squash/.partial" [ -z "$(ls -A "$UDOCKER_DIR/squash/.partial")" ]
  check "$label: no image file" [ -z "$(find "$UDOCKER_DIR/squash" -maxdepth 1 -name '*.sqsh')" ]
}

# ---------------------------------------------------------- fixture images
fixtures="test/busybox:latest oci/busybox:latest test/layers:latest oci/layers:latest
test/entry:latest oci/entry:latest test/multi:latest"
grep -q ' debian' "$UD_FIX_STATE/images.txt" 2>/dev/null && fixtures="$fixtures test/debian:latest"
[ "${UD_TEST_BIG:-0}" = 1 ] && grep -q ' big' "$UD_FIX_STATE/images.txt" 2>/dev/null &&
  fixtures="$fixtures test/big:latest"
for ref in $fixtures; do
  ud pull "$P/$ref"
  check "$ref: pulled" rc_is 0
  same_tree "$ref" "$P/${ref%:*}" "${ref#*:}"
done
# The real images of t_realimages.sh, when realimages.sh built them.
for n in $(awk '$2 ~ /^real-/ {sub(/^real\//, "", $1); sub(/:latest$/, "", $1); print $1}' \
  "$UD_FIX_STATE/images.txt" 2>/dev/null); do
  ud pull "$P/real/$n"
  same_tree "real/$n" "$P/real/$n" latest
done

# ------------------------------------------------ t_hostile.sh's generators
# hs_mk.py and hs_mk2.py as t_hostile.sh writes them (not copied here).
for g in hs_mk hs_mk2; do
  sed -n "/^cat >$g.py <<'EOPY'\$/,/^EOPY\$/p" "$UD_SRC/tests/functional/t_hostile.sh" |
    sed '1d;$d' >$g.py
  check "$g.py taken from t_hostile.sh" grep -q '^def \|^exec' $g.py
done
n=$(/usr/bin/python3 hs_mk.py whiteouts)
for ((i = 0; i < n; i++)); do
  ud load -i hs_wh$i.tar
  same_error "hostile whiteout $i" hs/wh$i 1
done
mkdir -p hs_outside
echo keep >hs_outside/keep
VICTIM=victim OUTSIDE=$T_TMP/hs_outside /usr/bin/python3 hs_mk.py traversal
/usr/bin/python3 hs_mk.py modes
/usr/bin/python3 hs_mk.py bomb
/usr/bin/python3 hs_mk2.py caps
for img in trav modes bomb multi skip; do
  ud load -i hs_$img.tar
  check "hs/$img: loaded" rc_is 0
  same_tree "hostile $img" hs/$img 1
done
check "traversal: nothing written outside" [ "$(ls -A hs_outside)" = keep ]
export UDOCKER_MAX_LAYER_SIZE=1048576
same_error "bomb past the cap" hs/bomb 1
same_error "cap over all layers" hs/multi 1
same_error "cap on a skipped member" hs/skip 1
unset UDOCKER_MAX_LAYER_SIZE

# ------------------------------------------------ more shapes (sq_mk.py)
# Built with hs_mk.py's helpers; a layer given as bytes is used as is.
cat >sq_mk.py <<'EOPY'
import io, os, sys, tarfile
exec(open("hs_mk.py").read().split("\nbase = ")[0])
_members = tar_bytes
def tar_bytes(members, gz=False):
    return members if isinstance(members, bytes) else _members(members, gz)
def raw(entries):
    """GNU tar bytes: (name bytes, kind, data/link, mode, pax xattrs)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT,
                      encoding="utf-8", errors="surrogateescape") as t:
        for name, kind, data, mode, xa in entries:
            ti = tarfile.TarInfo(os.fsdecode(name))
            ti.mtime = 1700000000
            if xa:
                ti.pax_headers = {"SCHILY.xattr." + k: v for k, v in xa.items()}
            if kind == "d":
                ti.type, ti.mode = tarfile.DIRTYPE, mode
                t.addfile(ti)
            elif kind in "lh":
                ti.type = tarfile.SYMTYPE if kind == "l" else tarfile.LNKTYPE
                ti.linkname, ti.mode = os.fsdecode(data), mode
                t.addfile(ti)
            elif kind == "p":
                ti.type, ti.mode = tarfile.FIFOTYPE, mode
                t.addfile(ti)
            elif kind == "c":
                ti.type, ti.mode = tarfile.CHRTYPE, mode
                t.addfile(ti)
            else:
                ti.size, ti.mode = len(data), mode
                t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()
def f(name, data=b"x\n", mode=0o644, xa=None): return (name, "f", data, mode, xa)
def d(name, mode=0o755, xa=None): return (name, "d", None, mode, xa)
def l(name, to): return (name, "l", to, 0o777, None)
def h(name, to): return (name, "h", to, 0o644, None)
what = sys.argv[1]
if what == "morph":
    # The same names change kind layer after layer.
    docker_save("sq_morph.tar", "sq/morph:1", [
        raw([d(b"etc"), f(b"x", b"file\n"), d(b"y"), f(b"y/in"), l(b"z", b"etc"), f(b"w")]),
        raw([d(b"x"), f(b"x/a", b"a\n"), l(b"y", b"etc"), f(b"z/through"), d(b"w"), f(b"w/q")]),
        raw([l(b"x", b"/etc"), d(b"y"), f(b"y/new"), f(b"z", b"now a file\n"), l(b"w", b"x")]),
        raw([d(b"x"), f(b"x/b"), f(b"y", b"a file again\n"), d(b"z/"), f(b"w/under")])])
elif what == "links":
    # Hard links by path at the moment they come: to a file of an earlier
    # layer, to a whited-out file, to a directory, to a symlink, to
    # themselves, through a symlink; a target replaced afterwards.
    docker_save("sq_links.tar", "sq/links:1", [
        raw([d(b"a"), f(b"a/one", b"one\n", 0o755), f(b"a/two", b"two\n"), l(b"s", b"a"),
             l(b"a/sym", b"one"), f(b"gone", b"gone\n"), (b"fifo", "p", None, 0o644, None)]),
        raw([h(b"l1", b"a/one"), f(b".wh.gone", b""), h(b"l2", b"gone"), h(b"l3", b"a"),
             h(b"l4", b"a/sym"), h(b"l5", b"l5"), h(b"l6", b"s/two"), h(b"l7", b"a/two"),
             h(b"l8", b"fifo"), h(b"l9", b"/a/one"), h(b"l10", b"../a/one")]),
        raw([f(b"a/.wh.one", b""), f(b"a/two", b"replaced\n"), h(b"a/three", b"l1")])])
elif what == "opaque":
    docker_save("sq_opaque.tar", "sq/opaque:1", [
        raw([d(b"d"), f(b"d/a"), d(b"d/b"), f(b"d/b/c"), d(b"d/k"), f(b"d/k/old"), f(b"keep")]),
        raw([d(b"d/b"), f(b"d/n"), f(b"d/k/new"), f(b"d/.wh..wh..opq", b""),
             f(b".wh..wh.plnk", b""), d(b"e"), f(b"e/x"), f(b"e/.wh..wh..opq", b"")]),
        raw([f(b".wh..wh..opq", b""), f(b"top")])])
elif what == "names":
    long255 = b"n" * 255
    deep = b"/".join([b"d%03d" % i for i in range(600)])
    docker_save("sq_names.tar", "sq/names:1", [
        raw([d(b"\xff\xfe"), f(b"\xff\xfe/\x80bin\xc3", b"latin\n"), f(long255, b"long\n"),
             d(long255 + b"x"), f(long255 + b"x/in"), f(b"dir/" + deep + b"/leaf"),
             l(b"ltarget", b"\xff" * 3000), f(b"./dot//slashes///f", b"clean\n"),
             f(b"/abs", b"abs\n"), f(b"../out", b"out\n"), f(b"sub/../../esc", b"esc\n"),
             (b"dev", "c", None, 0o644, None), f(b"empty", b"")])])
    docker_save("sq_longfile.tar", "sq/longfile:1", [raw([f(b"m" * 256, b"x\n")])])
elif what == "xattrs":
    docker_save("sq_xattrs.tar", "sq/xattrs:1", [
        raw([d(b"d", 0o1777, {"user.dir": "one"}), f(b"f", b"x\n", 0o4755,
             {"user.a": "1", "user.b": "", "security.capability": "cap",
              "trusted.t": "t", "user.big": "v" * 70000})]),
        raw([d(b"d", 0o755, {"user.dir": "two", "user.more": "m"}),
             f(b"g", b"y\n", 0o2666, {"user.g": "g"})])])
elif what == "many":
    # 200,000 entries (under the default cap), gzip.
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for i in range(200000):
            ti = tarfile.TarInfo("m/%03d/%d" % (i % 500, i))
            t.addfile(ti, io.BytesIO(b""))
    docker_save("sq_many.tar", "sq/many:1", [["gz"] + [("m/", "d")],
                                             gzip.compress(buf.getvalue(), 1)])
EOPY
for g in morph links opaque names xattrs; do
  /usr/bin/python3 sq_mk.py $g
  ud load -i sq_$g.tar
  check "sq/$g: loaded" rc_is 0
  same_tree "$g" sq/$g 1
done
ud load -i sq_longfile.tar
same_error "a file name of 256 bytes" sq/longfile 1
mkdir -p sparse
printf abc >sparse/s
truncate -s 10M sparse/s
printf 'in the middle' | dd of=sparse/s bs=1 seek=5000000 conv=notrunc 2>/dev/null
: >sparse/empty
tar -C sparse -S -cf sparse.tar s empty
ud import sparse.tar sq/sparse:1
same_tree "sparse members" sq/sparse 1
sq sq/sparse 1
check "sparse: the holes take no room in the image file" [ "$(stat -c %s "$OUT")" -lt 100000 ]
/usr/bin/python3 sq_mk.py many
ud load -i sq_many.tar
same_tree "200,000 entries" sq/many 1

# ---------------------------------------------------------- concurrency
img=$P/test/busybox
[ -n "${fixtures##*test/debian*}" ] || img=$P/test/debian
rm -f "$UDOCKER_DIR"/squash/*.sqsh
for i in 1 2 3 4 5 6 7 8; do
  "$probe" build "$UDOCKER_DIR" "$img" latest >"conc$i.out" 2>"conc$i.err" &
done
fails=0
for i in 1 2 3 4 5 6 7 8; do wait -n || fails=$((fails + 1)); done
OUT=$(cat conc*.out) ERR=$(cat conc*.err) RC=
check "8 builders at once: all succeed" [ "$fails" = 0 ]
check "8 builders at once: all name the same file" [ "$(sort -u conc*.out | wc -l)" = 1 ]
check "8 builders at once: the file is built once" [ "$(cat conc*.err | grep -c '^built$')" = 1 ]
check "8 builders at once: nothing left in squash/.partial" [ -z "$(ls -A "$UDOCKER_DIR/squash/.partial")" ]
file=$(head -1 conc1.out)
unsquashfs -q -n -l "$file" >/dev/null 2>&1
check "8 builders at once: the file reads" [ $? = 0 ]

rm -f "$file"
"$probe" build "$UDOCKER_DIR" "$img" latest >kill.out 2>kill.err &
pid=$!
for _ in $(seq 200); do
  [ -n "$(ls -A "$UDOCKER_DIR/squash/.partial")" ] && break
  sleep 0.01
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
sq "$img" latest
check "a builder killed mid-build: the next build works" rc_is 0
check "a builder killed mid-build: the next build built it" err_has built
check "a builder killed mid-build: nothing left in squash/.partial" [ -z "$(ls -A "$UDOCKER_DIR/squash/.partial")" ]
sq "$img" latest
check "a finished image file is reused, not rebuilt" err_lacks built

# ---------------------------------------------------------- compression
rm -f "$file"
UDOCKER_SQUASH_COMPRESSION=gzip sq "$img" latest
check "gzip image file built" rc_is 0
check "gzip image file: gzip compressed" grep -q 'Compression gzip' <(unsquashfs -s "$OUT" 2>&1)
rm -f "$OUT"
sq "$img" latest
check "the default image file: zstd compressed" grep -q 'Compression zstd' <(unsquashfs -s "$OUT" 2>&1)
UDOCKER_SQUASH_COMPRESSION=xz ud images
check "an unknown squash_compression is refused" err_has "invalid squash_compression 'xz'"
finish
