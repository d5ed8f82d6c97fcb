#!/usr/bin/env bash
# Hostile input never harms the user (issue 10): archives and layers, the
# store, the registry client, job specs and files written inside a
# container root. Every input is built here; each case fails when its fix
# is reverted.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"
P=$UD_FIX_PLAIN

# ===================================================== layers, archives, store
# Inputs are built by hs_mk.py: rootfs and container-export tarballs for
# import, docker-save archives (layers of any member names) for load.
export UDOCKER_DIR="$T_TMP/store"
cat >hs_mk.py <<'EOPY'
import gzip, hashlib, io, json, os, sys, tarfile

def member(t, name, kind="f", data=b"x\n", mode=None, link=None):
    ti = tarfile.TarInfo(name)
    ti.mtime = 1700000000
    if kind == "d":
        ti.type, ti.mode = tarfile.DIRTYPE, 0o755 if mode is None else mode
        t.addfile(ti)
    elif kind == "l":
        ti.type, ti.linkname, ti.mode = tarfile.SYMTYPE, link, 0o777
        t.addfile(ti)
    elif kind == "h":
        ti.type, ti.linkname = tarfile.LNKTYPE, link
        t.addfile(ti)
    elif kind == "z":  # data is a size: that many zero bytes
        ti.size, ti.mode = data, 0o644
        t.addfile(ti, Zeros(data))
    else:
        ti.size, ti.mode = len(data), 0o644 if mode is None else mode
        t.addfile(ti, io.BytesIO(data))

class Zeros:
    def __init__(self, n): self.n = n
    def read(self, k=-1):
        k = self.n if k < 0 else min(k, self.n)
        self.n -= k
        return b"\0" * k

def tar_bytes(members, gz=False):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for m in members:
            member(t, *m)
    data = buf.getvalue()
    return gzip.compress(data, 9) if gz else data

def write_tar(path, members, gz=False):
    with open(path, "wb") as f:
        f.write(tar_bytes(members, gz))

def docker_save(path, repotag, layers):
    """layers: lists of members; one layer.tar each (gzip when a layer
    starts with the marker "gz")."""
    with tarfile.open(path, "w") as t:
        names, diffs = [], []
        for i, l in enumerate(layers):
            gz = bool(l) and l[0] == "gz"
            data = tar_bytes(l[1:] if gz else l, gz)
            diffs.append("sha256:" + hashlib.sha256(data).hexdigest())
            names.append("l%d/layer.tar" % i)
            member(t, names[-1], "f", data)
        cfg = json.dumps({"architecture": "amd64", "os": "linux",
                          "config": {"Cmd": ["/bin/sh"]},
                          "rootfs": {"type": "layers", "diff_ids": diffs}}).encode()
        member(t, "cfg.json", "f", cfg)
        man = [{"Config": "cfg.json", "RepoTags": [repotag], "Layers": names}]
        member(t, "manifest.json", "f", json.dumps(man).encode())

base = [("etc/", "d"), ("etc/hello", "f", b"hello\n")]
what = sys.argv[1]
if what == "base":
    write_tar("hs_base.tar", base)
elif what == "whiteouts":
    # One archive per refused whiteout: as a container export (import
    # --clone), as a rootfs (import --tocontainer) and as an image layer.
    for i, wh in enumerate([".wh..", ".wh...", ".wh.", "etc/.wh..", "etc/.wh...",
                            "./.wh...", "etc/sub/.wh.."]):
        write_tar("hs_clone%d.tar" % i, [("./", "d"), ("./ROOT/", "d"),
                  ("./ROOT/etc/", "d"), ("./ROOT/etc/hello", "f", b"hello\n"), (wh, "f", b"")])
        write_tar("hs_root%d.tar" % i, base + [("etc/sub/", "d"), (wh, "f", b"")])
        docker_save("hs_wh%d.tar" % i, "hs/wh%d:1" % i,
                    [base, [("etc/sub/", "d"), (wh, "f", b"")]])
    print(i + 1)
elif what == "traversal":
    victim = os.environ["VICTIM"]   # containers/<victim>/ROOT/etc/hello
    outside = os.environ["OUTSIDE"]  # a directory of the test's, outside the store
    up = "../../" + victim + "/ROOT/etc"
    docker_save("hs_trav.tar", "hs/trav:1", [
        base + [("lnk", "l", None, None, up), ("abs", "l", None, None, outside),
                ("lnk/hello", "f", b"pwned\n"), ("abs/planted", "f", b"pwned\n"),
                (up + "/hello", "f", b"pwned\n"), ("/etc/absolute", "f", b"in\n"),
                ("hard", "h", None, None, up + "/hello"),
                ("hard2", "h", None, None, "lnk/hello"),
                ("hard3", "h", None, None, outside + "/keep"),
                ("esc", "l", None, None, outside + "/keep"),
                ("dsym", "l", None, None, outside)],
        [("lnk/.wh.hello", "f", b""), ("abs/.wh.keep", "f", b""),
         ("lnk/hello2", "f", b"pwned\n"), ("abs/planted2", "f", b"pwned\n"),
         ("esc", "f", b"replaced\n"), ("dsym/", "d"), ("dsym/f", "f", b"inside\n")]])
elif what == "modes":
    docker_save("hs_modes.tar", "hs/modes:1", [base + [
        ("tmp/", "d", None, 0o1777), ("pub/", "d", None, 0o777),
        ("sgid/", "d", None, 0o2775), ("gw", "f", b"x\n", 0o666),
        ("suid", "f", b"#!/bin/sh\n", 0o4755), ("sgidf", "f", b"x\n", 0o2755)]])
elif what == "bomb":
    docker_save("hs_bomb.tar", "hs/bomb:1", [["gz"] + base + [("zero", "z", 16 << 20)]])
elif what == "big":
    # Slow to read back (1 GiB of zeros, gzip), small on disk.
    with open("hs_big.tar.gz", "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) as g:
            with tarfile.open(fileobj=g, mode="w|") as t:
                member(t, "zero", "z", 1 << 30)
EOPY
C=$UDOCKER_DIR/containers
/usr/bin/python3 hs_mk.py base
ud import hs_base.tar hs/base:1
ud create --name=victim hs/base:1
HS_VICTIM=$OUT
ud protect victim
ud create --name=other hs/base:1
HS_OTHER=$OUT
ud ps
HS_PS=$OUT
HS_LIST=$(ls -A "$C")

# The protected container, the second one and their files are all there.
hs_intact() {
  [ "$(cat "$C/$HS_VICTIM/ROOT/etc/hello" 2>/dev/null)" = hello ] &&
    [ -e "$C/$HS_VICTIM/PROTECT" ] &&
    [ "$(cat "$C/$HS_OTHER/ROOT/etc/hello" 2>/dev/null)" = hello ] &&
    [ "$(readlink "$C/victim")" = "$HS_VICTIM" ] && [ "$(readlink "$C/other")" = "$HS_OTHER" ]
}
# containers/ holds what it held before and ps lists the same containers.
hs_nothing_left() {
  [ "$(ls -A "$C")" = "$HS_LIST" ] && [ "$("$UD_BIN" ps 2>/dev/null)" = "$HS_PS" ]
}
# A refused archive: exit 1, the member named, nothing removed, nothing left.
hs_refused() { # what member
  check "$1: refused" rc_is 1
  check "$1: the error names the member" err_has "member '$2'"
  check "$1: the protected and the other container are intact" hs_intact
  check "$1: nothing left behind" hs_nothing_left
}
check "store: two containers to protect" hs_intact

n=$(/usr/bin/python3 hs_mk.py whiteouts)
whs=(".wh.." ".wh..." ".wh." "etc/.wh.." "etc/.wh..." "./.wh..." "etc/sub/.wh..")
for ((i = 0; i < n; i++)); do
  ud import --clone hs_clone$i.tar
  hs_refused "import --clone with whiteout '${whs[$i]}'" "${whs[$i]}"
  ud import --tocontainer --name=hs_root$i hs_root$i.tar
  hs_refused "import --tocontainer with whiteout '${whs[$i]}'" "${whs[$i]}"
  ud load -i hs_wh$i.tar
  ud create --name=hs_wh$i hs/wh$i:1
  hs_refused "create from a layer with whiteout '${whs[$i]}'" "${whs[$i]}"
done
/usr/bin/python3 - <<'EOPY'
import tarfile, io
with tarfile.open("hs_ctl.tar", "w") as t:
    ti = tarfile.TarInfo("\x1b[2J/.wh.."); t.addfile(ti)
EOPY
ud import --tocontainer hs_ctl.tar
check "a refused member name is printed escaped" err_has "member '\\x1b[2J/.wh..'"

# Traversal: "..", absolute names, symlinks planted by an earlier member
# or layer, hard links out of the root: nothing written or removed
# outside ROOT, the container is made.
mkdir -p hs_outside
echo keep >hs_outside/keep
VICTIM=$HS_VICTIM OUTSIDE=$T_TMP/hs_outside /usr/bin/python3 hs_mk.py traversal
ud load -i hs_trav.tar
ud create --name=hs_trav hs/trav:1
check "traversal layers: the container is made" rc_is 0
hs_trav_root=$C/$OUT/ROOT
check "traversal: nothing written or removed through '..' or symlinks" hs_intact
hs_outside_same() { [ "$(ls -A hs_outside)" = keep ] && [ "$(cat hs_outside/keep)" = keep ]; }
check "traversal: nothing written or removed through an absolute symlink" hs_outside_same
check "traversal: an absolute name lands inside ROOT" [ "$(cat "$hs_trav_root/etc/absolute" 2>/dev/null)" = in ]
check "traversal: a symlink replaced by a file, not written through" [ "$(cat "$hs_trav_root/esc" 2>/dev/null)" = replaced ]
check "traversal: a symlink replaced by a directory, not written through" [ "$(cat "$hs_trav_root/dsym/f" 2>/dev/null)" = inside ]
hs_no_hard_links() { [ ! -e "$hs_trav_root/hard" ] && [ ! -e "$hs_trav_root/hard2" ] && [ ! -e "$hs_trav_root/hard3" ] &&
  [ "$(stat -c %h "$C/$HS_VICTIM/ROOT/etc/hello")" = 1 ] && [ "$(stat -c %h hs_outside/keep)" = 1 ]; }
check "traversal: no hard link to a file outside ROOT" hs_no_hard_links
ud rm hs_trav

# Modes: no group/other write, no setuid/setgid; sticky stays; 0700
# container directories.
/usr/bin/python3 hs_mk.py modes
ud load -i hs_modes.tar
ud create --name=hs_modes hs/modes:1
hs_id=$OUT
hs_modes() { # path mode
  [ "$(stat -c %a "$C/$hs_id/ROOT/$1")" = "$2" ]
}
check "modes: a 1777 directory keeps its sticky bit, loses other write" hs_modes tmp 1755
check "modes: a 0777 directory loses group and other write" hs_modes pub 755
check "modes: a setgid 2775 directory comes out 755" hs_modes sgid 755
check "modes: a 0666 file comes out 644" hs_modes gw 644
check "modes: setuid dropped" hs_modes suid 755
check "modes: setgid dropped" hs_modes sgidf 755
check "modes: the container directory is 0700" [ "$(stat -c %a "$C/$hs_id")" = 700 ]
ud export -o hs_modes_export.tar --clone hs_modes
ud import --clone hs_modes_export.tar
check "modes: an imported clone's directory is 0700" [ "$(stat -c %a "$C/$OUT")" = 700 ]
ud rm "$OUT"
ud import --tocontainer hs_base.tar
check "modes: an imported container's directory is 0700" [ "$(stat -c %a "$C/$OUT")" = 700 ]
ud rm "$OUT"
ud rm hs_modes

# A decompression bomb: 16 MiB of zeros in a 16 KiB gzip layer, 1 MiB cap.
/usr/bin/python3 hs_mk.py bomb
ud load -i hs_bomb.tar
UDOCKER_MAX_LAYER_SIZE=1M ud create --name=hs_bomb hs/bomb:1
check "bomb: create fails at the cap" rc_is 1
check "bomb: the error names the limit" err_has "exceeds the limit of 1048576 bytes"
check "bomb: the error names the layer" err_has "layer '$UDOCKER_DIR/repos/hs/bomb/1/sha256:"
check "bomb: nothing left behind" hs_nothing_left
echo "max_layer_size = 2M" >"$UDOCKER_DIR/udocker.conf"
ud create --name=hs_bomb hs/bomb:1
check "bomb: udocker.conf max_layer_size caps it too" err_has "exceeds the limit of 2097152 bytes"
check "bomb: nothing left behind (udocker.conf)" hs_nothing_left
rm "$UDOCKER_DIR/udocker.conf"
UDOCKER_MAX_LAYER_SIZE=lots ud create hs/bomb:1
check "bomb: an invalid limit is refused" err_has "invalid max_layer_size 'lots'"
ud create --name=hs_bomb hs/bomb:1
check "bomb: under the default limit the container is made" rc_is 0
ud rm hs_bomb

# import --mv: a concurrent import's sweep of stale temporaries (older
# than an hour) must not take the user's tarball while it is imported.
/usr/bin/python3 hs_mk.py big
touch -d '2 hours ago' hs_big.tar.gz
hs_big_sum=$(sha256sum <hs_big.tar.gz | cut -d' ' -f1)
"$UD_BIN" import --mv hs_big.tar.gz hs/mv:1 >hs_mv.out 2>hs_mv.err &
hs_pid=$!
hs_seen=0
for ((i = 0; i < 2000; i++)); do
  if ls "$UDOCKER_DIR/layers/.partial/" 2>/dev/null | grep -qv '\.lock$'; then
    kill -STOP $hs_pid 2>/dev/null && hs_seen=1
    break
  fi
  kill -0 $hs_pid 2>/dev/null || break
  sleep 0.005
done
ud import hs_base.tar hs/sweeper:1
kill -CONT $hs_pid 2>/dev/null
wait $hs_pid
RC=$? OUT=$(cat hs_mv.out) ERR=$(cat hs_mv.err)
check "import --mv: a concurrent import ran while it was in flight" [ $hs_seen = 1 ]
check "import --mv: it succeeds" rc_is 0
hs_mv_kept() {
  local f
  for f in "$UDOCKER_DIR"/layers/*.layer; do
    [ "$(sha256sum <"$f" | cut -d' ' -f1)" = "$hs_big_sum" ] && return 0
  done
  return 1
}
check "import --mv: the tarball is in the store" hs_mv_kept
check "import --mv: and no longer at its old path" [ ! -e hs_big.tar.gz ]
rm -f "$UDOCKER_DIR"/layers/.partial/* hs_big.tar.gz
ud rmi hs/mv:1

# Lock and partial files planted as symlinks are refused, never written
# through.
echo precious >hs_target
hs_target_same() { [ "$(cat hs_target)" = precious ]; }
hs_plant() { # path: a symlink to hs_target
  mkdir -p "$(dirname "$1")" && ln -sfn "$T_TMP/hs_target" "$1"
}
hs_layer=$(grep -o 'sha256:[0-9a-f]*' <<<"$(registry_manifest "http://$P" test/layers latest)" | sed -n 2p)
for hs_case in "layers/.locks/$hs_layer" "layers/.partial/$hs_layer" "layers/.locks/gc"; do
  export UDOCKER_DIR="$T_TMP/store-${hs_case//\//_}"
  mkdir -p "$UDOCKER_DIR"
  ud images
  echo precious >hs_target
  hs_plant "$UDOCKER_DIR/$hs_case"
  ud pull "$P/test/layers:latest"
  check "pull with a symlink at $hs_case: fails" rc_is 1
  check "pull with a symlink at $hs_case: the error names it" err_has "'$UDOCKER_DIR/$hs_case' is a symbolic link"
  check "pull with a symlink at $hs_case: its target is unchanged" hs_target_same
done
# create pulls a missing image under the gc lock too.
ud create "$P/test/busybox:latest"
check "create with a symlink at layers/.locks/gc: fails" rc_is 1
check "create with a symlink at layers/.locks/gc: the error names it" err_has "/layers/.locks/gc' is a symbolic link"
check "create with a symlink at layers/.locks/gc: its target is unchanged" hs_target_same
check "create with a symlink at layers/.locks/gc: no container" [ -z "$(ls -A "$UDOCKER_DIR/containers")" ]
export UDOCKER_DIR="$T_TMP/store"
echo precious >hs_target
hs_taglock=$(printf '%s' "hs/copy:2" | sha256sum | cut -d' ' -f1)
hs_plant "$UDOCKER_DIR/repos/.locks/$hs_taglock"
ud tag hs/base:1 hs/copy:2
check "tag with a symlink at repos/.locks/<tag>: fails" rc_is 1
check "tag with a symlink at repos/.locks/<tag>: the error names it" err_has "/repos/.locks/$hs_taglock' is a symbolic link"
check "tag with a symlink at repos/.locks/<tag>: its target is unchanged" hs_target_same
check "tag with a symlink at repos/.locks/<tag>: no tag" [ ! -e "$UDOCKER_DIR/repos/hs/copy/2/TAG" ]
check "store: after every hostile input both containers are intact" hs_intact
export UDOCKER_DIR="$T_TMP/repo"

# More hostile archives (hs_mk2.py): clone exports whose ROOT is a
# symlink, load archives whose names carry escape bytes, size caps over
# all layers, on skipped members and on compressed load archives.
export UDOCKER_DIR="$T_TMP/store"
cat >hs_mk2.py <<'EOPY'
import gzip, hashlib, io, json, os, sys, tarfile
exec(open("hs_mk.py").read().split("\nbase = ")[0])
E = "\x1b[2J"
base = [("etc/", "d"), ("etc/hello", "f", b"hello\n")]
def oci(path, index):
    """An OCI layout whose index.json is index (bytes)."""
    with tarfile.open(path, "w") as t:
        member(t, "oci-layout", "f", b'{"imageLayoutVersion":"1.0.0"}')
        member(t, "index.json", "f", index)
def save_raw(path, entries):
    """A docker-save archive from (manifest list, members) as given."""
    man, ms = entries
    with tarfile.open(path, "w") as t:
        for m in ms:
            member(t, *m)
        member(t, "manifest.json", "f", json.dumps(man).encode())
what = sys.argv[1]
if what == "rootlink":
    # A container export whose ROOT is a symlink to a directory outside
    # the store, or to another container's ROOT.
    for i, target in enumerate(sys.argv[2:]):
        write_tar("hs_rootlink%d.tar" % i, [("./", "d"), ("ROOT", "l", None, None, target)])
elif what == "esc":
    cfg = ("cfg.json", "f", b'{"architecture":"amd64","os":"linux","config":{}}')
    write_tar("hs_esc0.tar", [(E + "/../x", "f")])
    write_tar("hs_esc1.tar", [("lnk", "l", None, None, "/tmp"), (E + "h", "h", None, None, "lnk/x")])
    write_tar("hs_esc2.tar", [(E + "lnk", "l", None, None, "/tmp"), (E + "lnk/x", "f")])
    save_raw("hs_esc3.tar", ([{"Config": "cfg.json", "Layers": [E + "l/layer.tar"],
                               "RepoTags": ["hs/esc:1"]}], [cfg]))
    save_raw("hs_esc4.tar", ([{"Config": "cfg.json", "Layers": [],
                               "RepoTags": [E + "bad:1"]}], [cfg]))
    oci("hs_esc5.tar", E.encode())
elif what == "caps":
    # Three layers of 600 KiB each (under a 1 MiB cap one by one, not
    # together); a 16 MiB member that is skipped (through a symlink) last
    # in its layer; a gzip docker-save archive holding 16 MiB of padding.
    docker_save("hs_multi.tar", "hs/multi:1",
                [["gz", ("z%d" % i, "z", 600 << 10)] for i in range(3)])
    docker_save("hs_skip.tar", "hs/skip:1",
                [["gz", ("lnk", "l", None, None, "/tmp"), ("lnk/zero", "z", 16 << 20)]])
    docker_save("hs_plain.tar", "hs/gzload:1", [base])
    with tarfile.open("hs_plain.tar") as src, open("hs_gzload.tar.gz", "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as g:
            with tarfile.open(fileobj=g, mode="w|") as t:
                for ti in src.getmembers():
                    t.addfile(ti, src.extractfile(ti))
                member(t, "pad", "z", 16 << 20)
    # bzip2: 64 MiB of zeros in a few hundred bytes.
    import bz2
    with open("hs_bz.tar.bz2", "wb") as f:
        f.write(bz2.compress(tar_bytes(base + [("zero", "z", 64 << 20)])))
EOPY
mkdir -p hs_out2
echo keep >hs_out2/keep
/usr/bin/python3 hs_mk2.py rootlink "$T_TMP/hs_out2" "$C/$HS_VICTIM/ROOT"
hs_out2_same() { [ "$(ls -A hs_out2)" = keep ] && [ "$(cat hs_out2/keep)" = keep ]; }
for hs_i in 0 1; do
  ud import --clone hs_rootlink$hs_i.tar
  check "import --clone, ROOT a symlink ($hs_i): refused" rc_is 1
  check "import --clone, ROOT a symlink ($hs_i): the error says so" err_has "ROOT is not a directory"
  check "import --clone, ROOT a symlink ($hs_i): nothing left behind" hs_nothing_left
  check "import --clone, ROOT a symlink ($hs_i): the other containers are intact" hs_intact
  check "import --clone, ROOT a symlink ($hs_i): the target is unchanged" hs_out2_same
done

/usr/bin/python3 hs_mk2.py esc
# The error shows the escape byte escaped and has no raw ESC byte.
hs_escaped() { err_has '\x1b' && ! grep -q $'\x1b' <<<"$ERR"; }
hs_esc_what=("an absolute or '..' member" "a hard link through a symlink" "a member written through a symlink"
  "a missing layer of manifest.json" "an invalid RepoTags name" "an index.json that is not JSON")
for hs_i in 0 1 2 3 4 5; do
  ud load -i hs_esc$hs_i.tar
  check "load, escape bytes in ${hs_esc_what[$hs_i]}: refused" rc_is 1
  check "load, escape bytes in ${hs_esc_what[$hs_i]}: printed escaped" hs_escaped
done
check "load of names with escape bytes: nothing left in layers/.partial" [ -z "$(ls -A "$UDOCKER_DIR/layers/.partial")" ]

/usr/bin/python3 hs_mk2.py caps
ud load -i hs_multi.tar
UDOCKER_MAX_LAYER_SIZE=1M ud create --name=hs_multi hs/multi:1
check "cap over all layers: three layers under it one by one, not together, are refused" rc_is 1
check "cap over all layers: the error names the limit" err_has "exceeds the limit of 1048576 bytes"
check "cap over all layers: nothing left behind" hs_nothing_left
UDOCKER_MAX_LAYER_SIZE=4M ud create --name=hs_multi2 hs/multi:1
check "cap over all layers: under it together, the container is made" rc_is 0
ud rm hs_multi2
ud load -i hs_skip.tar
UDOCKER_MAX_LAYER_SIZE=1M ud create --name=hs_skip hs/skip:1
check "cap on a skipped last member: refused" rc_is 1
check "cap on a skipped last member: the error names the limit" err_has "exceeds the limit of 1048576 bytes"
check "cap on a skipped last member: nothing left behind" hs_nothing_left
UDOCKER_MAX_LAYER_SIZE=1M ud load -i hs_gzload.tar.gz
check "cap on a gzip load archive: refused" rc_is 1
check "cap on a gzip load archive: the error names the limit" err_has "exceeds the limit of 1048576 bytes"
check "cap on a gzip load archive: nothing left in layers/.partial" [ -z "$(ls -A "$UDOCKER_DIR/layers/.partial")" ]
check "cap on a gzip load archive: no image" [ ! -e "$UDOCKER_DIR/repos/hs/gzload" ]
ud load -i hs_gzload.tar.gz
check "a gzip load archive under the default cap loads" rc_is 0
UDOCKER_MAX_LAYER_SIZE=1M ud import hs_bz.tar.bz2 hs/bz:1
check "cap on import of a bzip2 tarball: refused" rc_is 1
check "cap on import of a bzip2 tarball: the error names the limit" err_has "exceeds the limit of 1048576 bytes"
check "cap on import of a bzip2 tarball: no image" [ ! -e "$UDOCKER_DIR/repos/hs/bz" ]
check "cap on import of a bzip2 tarball: nothing left in layers/.partial" [ -z "$(ls -A "$UDOCKER_DIR/layers/.partial")" ]

# An import killed (-9) while it copies the tarball leaves nothing that
# the stale sweep of the next import (entries older than an hour) misses.
/usr/bin/python3 - <<'EOPY'
with open("hs_kill.tar", "wb") as f:
    f.truncate(256 << 20)  # zeros: an empty tar archive, slow to copy
EOPY
"$UD_BIN" import hs_kill.tar hs/kill:1 >/dev/null 2>&1 &
hs_pid=$!
hs_seen=0
for ((i = 0; i < 2000; i++)); do
  if ls -A "$UDOCKER_DIR/layers/.partial/" 2>/dev/null | grep -qv '\.lock$'; then
    kill -STOP $hs_pid 2>/dev/null && hs_seen=1
    break
  fi
  kill -0 $hs_pid 2>/dev/null || break
  sleep 0.005
done
kill -9 $hs_pid 2>/dev/null
wait $hs_pid 2>/dev/null
check "import killed while copying: it was caught copying" [ $hs_seen = 1 ]
touch -h -d '2 hours ago' "$UDOCKER_DIR"/layers/.partial/* "$UDOCKER_DIR"/layers/.partial/.[!.]* 2>/dev/null
ud import hs_base.tar hs/sweep2:1
check "import killed while copying: the next import works" rc_is 0
check "import killed while copying: its sweep leaves layers/.partial empty" [ -z "$(ls -A "$UDOCKER_DIR/layers/.partial")" ]
check "import killed while copying: no image" [ ! -e "$UDOCKER_DIR/repos/hs/kill/1/TAG" ]
ud rmi hs/sweep2:1

# A sparse member ending in a hole (GNU tar -S) keeps its size, as a
# hole; a sparse size past the cap is refused.
mkdir -p hs_sparse
printf abc >hs_sparse/s
truncate -s 10M hs_sparse/s
tar -C hs_sparse -S -cf hs_sparse.tar s
ud import --tocontainer hs_sparse.tar
check "sparse member ending in a hole: imported" rc_is 0
check "sparse member ending in a hole: same size" [ "$(stat -c %s "$C/$OUT/ROOT/s" 2>/dev/null)" = 10485760 ]
check "sparse member ending in a hole: same content" cmp -s "$C/$OUT/ROOT/s" hs_sparse/s
ud rm "$OUT"
UDOCKER_MAX_LAYER_SIZE=1M ud import --tocontainer hs_sparse.tar
check "sparse member past the cap: refused" rc_is 1
check "sparse member past the cap: the error names the limit" err_has "sparse size 10485760 exceeds the limit of 1048576 bytes"
check "sparse member past the cap: nothing left behind" hs_nothing_left
check "store: after the archives of hs_mk2.py both containers are intact" hs_intact
export UDOCKER_DIR="$T_TMP/repo"

# ===================================================== registry client
f=$UD_FIX_FAULTY
# ud_t ARGS...: ud with a time limit (a hang is a failure, rc 124).
ud_t() {
  timeout 90 "$UD_BIN" "$@" >"$T_TMP/out" 2>"$T_TMP/err"
  RC=$?
  OUT=$(cat "$T_TMP/out")
  ERR=$(cat "$T_TMP/err")
}
err_has_i() { grep -qiF -- "$1" <<<"$ERR"; }
no_esc_in() { [[ $1 != *$'\x1b'* ]]; }
leaks_seen() { curl -s "http://$f/leak/seen"; }
no_leak() { ! leaks_seen | grep -qv ': -$'; }

# Credentials go only to the registry they were stored for: a blob
# redirect to another host that asks for a Bearer token must not get them
# (nor must its token realm).
export UDOCKER_DIR="$T_TMP/repo-reg-auth"
ud login --username=leakuser --password=leakpass --registry="$f"
ud_t pull "$f/fault/authleak:latest"
check "registry: redirect target asking for auth fails the pull" rc_is 1
check "registry: redirect target asking for auth: clear error" err_has "credentials are not sent there"
check "registry: ... the redirect target was asked" bash -c 'curl -s "http://$1/leak/seen" | grep -q "^storage: -$"' _ "$f"
check "registry: ... and no credential reached the other host or its realm" no_leak
# A token realm over plain http gets no Basic credentials from an https registry.
cat >"$T_TMP/tlsreg.py" <<'EOF'
import ssl
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
cert, key, realm, portfile = sys.argv[1:5]
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def do_GET(self):
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            code, body = 200, b"{}"
        else:
            code, body = 401, b"{}"
        self.send_response(code)
        self.send_header("WWW-Authenticate", 'Bearer realm="%s",service="tls"' % realm)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
EOF
python3 "$T_TMP/tlsreg.py" "$UD_FIX_STATE/server.pem" "$UD_FIX_STATE/server.key" \
  "http://$f/leak/token" "$T_TMP/tlsport" 2>"$T_TMP/tlsreg.log" &
tlspid=$!
for _ in $(seq 50); do [ -s "$T_TMP/tlsport" ] && break; sleep 0.1; done
tls=127.0.0.1:$(cat "$T_TMP/tlsport" 2>/dev/null)
check "registry: the https registry with an http realm is up" [ -s "$T_TMP/tlsport" ]
ud_t login --username=leakuser --password=leakpass --registry="https://$tls"
check "registry: ... its http realm was asked for a token" bash -c 'curl -s "http://$1/leak/seen" | grep -q "^token: -$"' _ "$f"
check "registry: https registry with an http realm: no credential sent to the realm" no_leak
kill "$tlspid" 2>/dev/null
wait "$tlspid" 2>/dev/null

# -D never prints secrets: passwords, their base64, tokens (JWTs start "eyJ").
export UDOCKER_DIR="$T_TMP/repo-reg-debug"
b64=$(printf '%s' "$UD_FIX_USER:$UD_FIX_PASS" | base64 -w0)
for reg in "$UD_FIX_BASIC" "$UD_FIX_TOKEN"; do
  ud -D login --username="$UD_FIX_USER" --password="$UD_FIX_PASS" --registry="$reg"
  check "registry: -D login to $reg works" rc_is 0
  check "registry: -D login to $reg: no password" err_lacks "$UD_FIX_PASS"
  check "registry: -D login to $reg: no base64 credentials" err_lacks "$b64"
  ud -D pull "$reg/private/busybox:latest"
  check "registry: -D pull from $reg works" rc_is 0
  check "registry: -D pull from $reg shows the HTTP exchange" err_has "> GET /v2/"
  check "registry: -D pull from $reg shows Authorization masked" err_has_i "> Authorization: <hidden>"
  check "registry: -D pull from $reg: no password" err_lacks "$UD_FIX_PASS"
  check "registry: -D pull from $reg: no base64 credentials" err_lacks "$b64"
  check "registry: -D pull from $reg: no token" err_lacks "eyJ"
done

# Bounded answers: an endless manifest, an endless error body, a stalled blob.
export UDOCKER_DIR="$T_TMP/repo-reg-bounds"
ud_t pull "$f/fault/endless:latest"
check "registry: endless manifest body fails" rc_is 1
check "registry: endless manifest body: error says too large" err_has "the answer is larger than 4194304 bytes"
ud_t pull "$f/fault/enderror:latest"
check "registry: endless error body fails" rc_is 1
check "registry: endless error body: error has the status" err_has "answered HTTP 400"
start=$(date +%s)
UDOCKER_STALL_TIMEOUT=2 ud_t pull "$f/fault/stallblob:latest"
check "registry: a stalled blob fails" rc_is 1
check "registry: stalled blob: error says it stalled" err_has "the transfer stalled"
check "registry: stalled blob: fails within the stall timeout ($(($(date +%s) - start)) s)" [ $(($(date +%s) - start)) -lt 30 ]
export UDOCKER_DIR="$T_TMP/repo-reg-oversize"
ud_t pull "$f/fault/oversize:latest"
check "registry: oversize blob fails" rc_is 1
check "registry: ... saying so" err_has "more than the"
check "registry: ... and leaves no partial behind" [ -z "$(ls -A "$UDOCKER_DIR/layers/.partial" 2>/dev/null)" ]
ud_t pull "$f/fault/ok:latest"
check "registry: a good pull works afterwards" rc_is 0

# Only http and https are followed: a blob redirect and a token realm to file://.
export UDOCKER_DIR="$T_TMP/repo-reg-proto"
ud_t pull "$f/fault/fileredirect:latest"
check "registry: blob redirect to file:// fails" rc_is 1
check "registry: blob redirect to file://: clear error" err_has "only http and https URLs are followed"
ud_t pull "$f/fault/filerealm:latest"
check "registry: file:// token realm fails" rc_is 1
check "registry: file:// token realm: clear error" err_has "is not an http or https URL"

# Registry text is printed with control characters escaped.
export UDOCKER_DIR="$T_TMP/repo-reg-esc"
ud_t pull "$f/fault/escjson:latest"
check "registry: error JSON with ESC fails the pull" rc_is 1
check "registry: error JSON with ESC: message shown escaped" err_has 'DENIED: \x1b[2J'
check "registry: ... with no raw ESC on stderr" no_esc_in "$ERR"
ud_t pull "$f/fault/escbody:latest"
check "registry: error body with ESC fails the pull" rc_is 1
check "registry: error body with ESC: shown escaped" err_has 'Error: forged line\nInfo'
check "registry: ... with no raw ESC on stderr" no_esc_in "$ERR"
ud_t search --list-tags "$f/fault/escjson"
check "registry: tag list with ESC is listed" rc_is 0
check "registry: ... with no raw ESC on stdout" no_esc_in "$OUT"

# Hostile registry, second round (issue 10 review).
# A registry trickling a blob (4 bytes/s) cannot hold a pull for ever: the
# stall timeout also asks for a minimum speed.
export UDOCKER_DIR="$T_TMP/repo-reg-trickle"
start=$(date +%s)
UDOCKER_STALL_TIMEOUT=2 ud_t pull "$f/fault/trickle:latest"
took=$(($(date +%s) - start))
check "registry trickle: a blob trickled at 4 bytes/s fails" rc_is 1
check "registry trickle: ... saying it stalled" err_has "the transfer stalled: less than 1024 bytes/s"
check "registry trickle: ... within the stall timeouts ($took s)" [ "$took" -lt 30 ]

# Tag lists: pages are followed (n/last), but a page that repeats, or a
# list without end, is an error and not a loop or a memory exhaustion.
export UDOCKER_DIR="$T_TMP/repo-reg-pages"
ud_t search --list-tags "$f/fault/pageloop"
check "registry pageloop: a tag list repeating its page fails" rc_is 1
check "registry pageloop: ... naming the loop" err_has "pagination loop"
ud_t search --list-tags "$f/fault/hugecat"
check "registry hugecat: a tag list without end fails" rc_is 1
check "registry hugecat: ... at the list cap" err_has "larger than 67108864 bytes"

# Headers that never end are cut at a cap with a clear error.
export UDOCKER_DIR="$T_TMP/repo-reg-hdrflood"
ud_t pull "$f/fault/hdrflood:latest"
check "registry hdrflood: endless blob headers fail the pull" rc_is 1
check "registry hdrflood: ... saying the headers are too large" err_has "headers are larger than 262144 bytes"

# A token whose expires_in is 0 or past int64 seconds still works.
export UDOCKER_DIR="$T_TMP/repo-reg-expiry"
ud_t pull "$f/fault/expiry:latest"
check "registry expiry: a token with expires_in 0 is used" rc_is 0
ud_t pull "$f/fault/expiry:hugelatest"
check "registry expiry: a token with a huge expires_in is used" rc_is 0

# -D hides a Set-Cookie folded onto a continuation line, a proxy password
# from http_proxy, and secrets in the query of a redirect URL.
export UDOCKER_DIR="$T_TMP/repo-reg-debug2"
ud_t -D pull "$f/fault/cookie:latest"
check "registry -D cookie: the pull works" rc_is 0
check "registry -D cookie: the Set-Cookie header is shown masked" err_has "< Set-Cookie: <hidden>"
check "registry -D cookie: no cookie value on its continuation line" err_lacks "COOKIESECRET"
http_proxy="http://puser:PROXYSECRET@$f" ud_t -D pull "$f/fault/ok:latest"
check "registry -D proxy: libcurl's proxy line is shown" err_has "puser:<hidden>@"
check "registry -D proxy: no proxy password" err_lacks "PROXYSECRET"
export UDOCKER_DIR="$T_TMP/repo-reg-query"
ud_t -D pull "$f/fault/querytoken:latest"
check "registry -D query: the redirected pull works" rc_is 0
check "registry -D query: the redirect URL is shown masked" err_has "X-Amz-Signature=<hidden>"
check "registry -D query: no signature" err_lacks "QSECRET1"
check "registry -D query: no access token" err_lacks "QSECRET2"

# A wrong password is never printed, not even by -D.
export UDOCKER_DIR="$T_TMP/repo-reg-wrongpw"
b64w=$(printf '%s' "$UD_FIX_USER:WRONGPASS9" | base64 -w0)
for reg in "$UD_FIX_BASIC" "$UD_FIX_TOKEN"; do
  ud_t -D login --username="$UD_FIX_USER" --password=WRONGPASS9 --registry="$reg"
  check "registry -D wrong password $reg: login fails" rc_is 1
  check "registry -D wrong password $reg: says so" err_has "invalid username or password"
  check "registry -D wrong password $reg: no password" err_lacks "WRONGPASS9"
  check "registry -D wrong password $reg: no base64 credentials" err_lacks "$b64w"
done

# The keystore is 0600, and a symlink at its path is refused, not followed.
ks="$T_TMP/ks-dir/keystore"
UDOCKER_KEYSTORE="$ks" ud_t login --username="$UD_FIX_USER" --password="$UD_FIX_PASS" --registry="$UD_FIX_BASIC"
check "registry keystore: login stores the credentials" rc_is 0
check "registry keystore: the keystore is mode 0600" [ "$(stat -c %a "$ks" 2>/dev/null)" = 600 ]
echo '{}' >"$T_TMP/ks-target"
chmod 600 "$T_TMP/ks-target"
ln -s "$T_TMP/ks-target" "$T_TMP/ks-link"
UDOCKER_KEYSTORE="$T_TMP/ks-link" ud_t login --username="$UD_FIX_USER" --password="$UD_FIX_PASS" --registry="$UD_FIX_BASIC"
check "registry keystore: a symlinked keystore is refused" rc_is 1
check "registry keystore: ... and its target is untouched" [ "$(cat "$T_TMP/ks-target")" = '{}' ]

# A manifest redirected to another host that asks for a token gets no
# credentials (nor does its realm).
export UDOCKER_DIR="$T_TMP/repo-reg-authmanifest"
ud login --username=leakuser --password=leakpass --registry="$f"
ud_t pull "$f/fault/authmanifest:latest"
check "registry authmanifest: redirect target asking for auth fails the pull" rc_is 1
check "registry authmanifest: ... with a clear error" err_has "credentials are not sent there"
check "registry authmanifest: ... the redirect target was asked" bash -c 'curl -s "http://$1/leak/seen" | grep -q "^manifest: -$"' _ "$f"
check "registry authmanifest: ... and no credential reached it" no_leak

# A registry echoing the credentials it got in an error body: the message
# shows the body with them hidden.
export UDOCKER_DIR="$T_TMP/repo-reg-echoauth"
ud_t pull "$f/fault/echoauth:latest"
check "registry echoauth: the error answer fails the pull" rc_is 1
check "registry echoauth: ... its body is shown, secrets hidden" err_has "Authorization: Basic <hidden> (password <hidden>)"
check "registry echoauth: ... no base64 credentials" err_lacks "$(printf leakuser:leakpass | base64 -w0)"
check "registry echoauth: ... no password" err_lacks "leakpass"

# A resumed blob answered with another range than the one asked for (the
# whole blob again, or bytes further on) is downloaded again from byte 0.
export UDOCKER_DIR="$T_TMP/repo-reg-badrange"
ud_t pull "$f/fault/badrange:latest"
check "registry badrange: a resume answered from byte 0 still pulls" rc_is 0
export UDOCKER_DIR="$T_TMP/repo-reg-skiprange"
ud_t pull "$f/fault/skiprange:latest"
check "registry skiprange: a resume answered from a later byte still pulls" rc_is 0

# Registry bytes in a JSON parser's message are escaped (manifest inspect,
# inspect of an image whose config is not JSON).
export UDOCKER_DIR="$T_TMP/repo-reg-esc2"
ud_t manifest inspect "$f/fault/escgarbage:latest"
check "registry escgarbage: manifest inspect of a non-JSON manifest fails" rc_is 1
check "registry escgarbage: ... saying so" err_has "manifest is not valid JSON"
check "registry escgarbage: ... with no raw ESC on stderr" no_esc_in "$ERR"
ud_t pull "$f/fault/escconfig:latest"
ud_t inspect "$f/fault/escconfig:latest"
check "registry escconfig: inspect of a non-JSON config fails" rc_is 1
check "registry escconfig: ... saying so" err_has "configuration is not valid JSON"
check "registry escconfig: ... with no raw ESC on stderr" no_esc_in "$ERR"

# ===================================================== job specs and inputs
# spec_ud ARGS...: udocker under `timeout 10` (a hang fails the case instead
# of the suite); $RC, $OUT, $ERR as ud, and $MS the milliseconds it took.
spec_ud() {
  local t0
  t0=$(date +%s%N)
  timeout 10 "$UD_BIN" "$@" >"$T_TMP/out" 2>"$T_TMP/err"
  RC=$?
  MS=$((($(date +%s%N) - t0) / 1000000))
  OUT=$(cat "$T_TMP/out")
  ERR=$(cat "$T_TMP/err")
}
# Well under the 10 s a quadratic parse of these inputs took (and the
# timeout), with room for a sanitizer build on a loaded host.
fast() { [ "$MS" -lt 5000 ]; }
not_found() { ! grep -qF -- "$1" <<<"$OUT"; }
# Specs nested 200,000 levels deep: flow sequences, flow mappings, block
# sequences. libyaml's scanner is quadratic on deep flow collections.
python3 - <<'EOP'
n = 200000
open("deep-flow.yaml", "w").write("version: 1\nimages: {a: " + "[" * n + "]" * n + "}\n")
open("deep-map.yaml", "w").write("version: 1\nimages: " + "{a: " * n + "x" + "}" * n + "\n")
open("deep-block.yaml", "w").write("version: 1\nimages:\n  x:\n    " + "- " * n + "x\n")
EOP
for kind in flow map block; do
  spec_ud validate -f "deep-$kind.yaml"
  check "deep $kind nesting: refused (exit 1)" rc_is 1
  check "deep $kind nesting: names file:line:col" err_has "deep-$kind.yaml:"
  check "deep $kind nesting: says the limit" err_has "nested more than 64 levels deep"
  check "deep $kind nesting: answered in under 5 s (${MS} ms)" fast
done
# A billion laughs needs aliases: refused at the first one.
python3 - <<'EOP'
lines = ["version: 1", "images:", "  l0: &l0 {ref: x/y}"]
for i in range(1, 10):
    lines.append("  l%d: &l%d [%s]" % (i, i, ", ".join(["*l%d" % (i - 1)] * 10)))
open("laughs.yaml", "w").write("\n".join(lines) + "\n")
EOP
spec_ud validate -f laughs.yaml
check "billion laughs: aliases refused with file:line:col" err_has "laughs.yaml:4:12: YAML aliases"
check "billion laughs: answered in under 5 s (${MS} ms)" fast
# Not a regular file: refused before it is read.
spec_ud validate -f /dev/zero
check "validate -f /dev/zero: refused, not read forever" rc_is 1
check "validate -f /dev/zero: says it is a device" err_has "'/dev/zero' is a character device, expected a regular file"
mkfifo spec.fifo
spec_ud validate -f spec.fifo
check "validate -f FIFO: refused without waiting for a writer" rc_is 1
check "validate -f FIFO: says it is a FIFO" err_has "'spec.fifo' is a FIFO, expected a regular file"
mkdir spec.dir
spec_ud validate -f spec.dir
check "validate -f DIR: says it is a directory" err_has "'spec.dir' is a directory, expected a regular file"
# stdin works, and is capped too.
printf 'version: 1\nimages: {a: {ref: "%s/test/busybox"}}\n' "$P" >stdin.yaml
spec_ud validate -f - <stdin.yaml
check "validate -f - reads the spec from stdin" out_has "valid (1 image"
spec_ud validate -f - </dev/zero
check "validate -f - </dev/zero: stops at the cap" err_has "'<stdin>': more than 1048576 bytes"
# The lock file beside a spec and env files go through the same reader.
printf 'version: 1\ncontainers:\n  lk: {image: "%s/test/busybox"}\n' "$P" >locked.yaml
mkfifo locked.yaml.lock
spec_ud plan -f locked.yaml
check "a FIFO as FILE.lock is refused, not waited on" err_has "lock file: 'locked.yaml.lock' is a FIFO"
ud create --name=envc "$P/test/busybox"
mkfifo env.fifo
spec_ud run --env-file="$T_TMP/env.fifo" envc /bin/true
check "run --env-file=FIFO is refused, not waited on" err_has "is a FIFO, expected a regular file"
check "run --env-file=FIFO: exit 2 (run not prepared)" rc_is 2

# Volume container paths: normalised, and never outside the container.
mkdir -p vhost && echo inside-volume >vhost/f
spec_ud run -v "$T_TMP/vhost:/../../x" envc /bin/true
check "run -v DIR:/../../x: exit 2" rc_is 2
check "run -v DIR:/../../x: says why" err_has "invalid container volume path '/../../x'"
spec_ud run --name=escape -v "$T_TMP/vhost:/a/../../x" "$P/test/busybox" /bin/true
check "run -v DIR:/a/../../x IMAGE: exit 2" rc_is 2
check "run -v DIR:/a/../../x IMAGE: says why" err_has "'..' climbs above '/'"
spec_ud run -v "$T_TMP/vhost:/data//x/./" envc /bin/cat /data/x/f
check "run -v DIR:/data//x/./ binds at /data/x" out_is "inside-volume"
cat >vol-escape.yaml <<EOY
version: 1
volumes:
  up: {host: /tmp, path: /data/../../etc}
containers:
  c:
    image: "$P/test/busybox"
    volumes: ["/tmp:/../x"]
EOY
spec_ud validate -f vol-escape.yaml
check "spec volume path above /: exit 1" rc_is 1
check "spec volume path above /: file:line:col of the volume" \
  err_has "vol-escape.yaml:3:3: volume 'up': invalid container volume path '/data/../../etc'"
sed -i '/^volumes:/,/^containers:/{/^volumes:/d;/  up:/d}' vol-escape.yaml
spec_ud validate -f vol-escape.yaml
check "spec inline volume above /: file:line:col of the entry" \
  err_has "vol-escape.yaml:5:15: container 'c': invalid container volume path '/../x'"

# plan says blocked what apply would fail on; apply then creates nothing.
cat >blocked-vol.yaml <<EOY
version: 1
containers:
  blockedvol:
    image: "$P/test/busybox"
    volumes: ["$T_TMP/no/such/dir:/x"]
    commands: [["/bin/true"]]
EOY
spec_ud plan -f blocked-vol.yaml
check "plan: missing host volume dir: exit 1" rc_is 1
check "plan: missing host volume dir: the run is blocked" out_has "run    blocked  blockedvol"
check "plan: missing host volume dir: the reason" out_has "invalid host volume path: '$T_TMP/no/such/dir' (for /x)"
check "plan: missing host volume dir: where" out_has "at blocked-vol.yaml:5:15"
spec_ud plan --json -f blocked-vol.yaml
check "plan --json: the run step is blocked with the reason" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
run = [s for s in d["steps"] if s["kind"] == "run"][0]
assert d["blocked"] and run["state"] == "blocked" and "invalid host volume path" in run["reason"]
' "$OUT"
spec_ud apply -f blocked-vol.yaml
check "apply of a blocked run: exit 2" rc_is 2
check "apply of a blocked run: the reason" err_has "invalid host volume path: '$T_TMP/no/such/dir'"
ud ps
check "apply of a blocked run: no container created" not_found "blockedvol"
spec_ud run --name=clivol -v "$T_TMP/no/such/dir:/x" "$P/test/busybox" /bin/true
check "run -v MISSING:/x IMAGE: exit 2" rc_is 2
ud ps
check "run -v MISSING:/x IMAGE: no container created" not_found "clivol"
sed -i "s|volumes: \[.*|volumes: [made]\n    env_file: [no-such.env]|" blocked-vol.yaml
sed -i "1a volumes:\n  made: {host: \"$T_TMP/made/here\", path: /m, create: true}" blocked-vol.yaml
spec_ud plan -f blocked-vol.yaml
check "plan: missing env_file: blocked with the reason" out_has "env file './no-such.env': No such file"
spec_ud apply -f blocked-vol.yaml
check "apply with a missing env_file: exit 2" rc_is 2
ud ps
check "apply with a missing env_file: no container created" not_found "blockedvol"
sed -i '/env_file:/d' blocked-vol.yaml
spec_ud plan -f blocked-vol.yaml
check "plan: create: true volume is not blocked" rc_is 0
spec_ud apply -f blocked-vol.yaml
check "apply: create: true makes the host directory" [ -d "$T_TMP/made/here" ]

# Inputs the first cases did not try. Big flat specs stay fast: one
# mapping of 75,000 images, 25,000 named volumes bound by one container.
python3 - <<'EOP'
open("many-images.yaml", "w").write("version: 1\nimages:\n" + "".join("  k%d: x/y\n" % i for i in range(75000)))
open("many-vols.yaml", "w").write("version: 1\nvolumes:\n" + "".join("  v%d: {host: /tmp, path: /v}\n" % i for i in range(25000))
    + "containers:\n  c:\n    image: x/y\n    volumes: [" + ",".join("v%d" % i for i in range(25000)) + "]\n")
EOP
spec_ud validate -f many-images.yaml
check "75,000 keys in one mapping: valid" out_has "valid (75000 images"
check "75,000 keys in one mapping: validated in under 5 s (${MS} ms)" fast
spec_ud validate -f many-vols.yaml
check "25,000 named volumes: valid" out_has "valid (0 images, 25000 volumes"
check "25,000 named volumes: validated in under 5 s (${MS} ms)" fast
# A NUL byte and invalid UTF-8 are refused with their position.
printf 'version: 1\nimages:\n  a: {ref: x/y}\n  b: x\0y\n' >nul.yaml
spec_ud validate -f nul.yaml
check "spec with a NUL byte: names line and column" err_has "nul.yaml:4:7: spec contains a NUL byte"
printf 'version: 1\nimages:\n  a: {ref: x/y}\n  b: x\377\376y\n' >badutf8.yaml
spec_ud validate -f badutf8.yaml
check "spec with invalid UTF-8: names line and column" err_has "badutf8.yaml:4:7: YAML syntax error: invalid leading UTF-8 octet"
# Tags would give a value a meaning the loader does not: refused.
printf 'version: 1\nimages:\n  a: {ref: x/y}\n  b: !!binary eC95Cg==\n' >tag.yaml
spec_ud validate -f tag.yaml
check "spec with !!binary: refused with its position" err_has "tag.yaml:4:6: YAML tag '!!binary' is not supported"
printf 'version: 1\nimages:\n  a: !!python/object:os.system {ref: x/y}\n' >tag.yaml
spec_ud validate -f tag.yaml
check "spec with !!python/object: refused" err_has "YAML tag '!!python/object:os.system' is not supported"
# A BOM and CRLF line endings are fine; a duplicate key names both lines.
printf '\357\273\277version: 1\r\nimages:\r\n  a: {ref: x/y}\r\n  a: {ref: x/z}\r\n' >dupkey.yaml
spec_ud validate -f dupkey.yaml
check "BOM + CRLF spec: duplicate key at the second, naming the first" \
  err_has "dupkey.yaml:4:3: images: duplicate key 'a' (first at line 3)"

# Env files as Docker reads them: bad names and bytes name the line.
printf 'A=1\nB=x\0C=hidden\n' >nul.env
printf 'E=5\n=value\n' >noname.env
printf 'MY VAR=1\n' >space.env
printf '\357\273\277BOM=1\r\nSPEC_HOST_VAR\nSPEC_UNSET_VAR\n  LEAD=2\n' >good.env
spec_ud run --env-file="$T_TMP/nul.env" envc /bin/true
check "env file with a NUL byte: refused naming the line" err_has "nul.env': line 2: contains a NUL byte"
spec_ud run --env-file="$T_TMP/noname.env" envc /bin/true
check "env file '=value': refused (no variable name)" err_has "noname.env': line 2: '=value' has no variable name"
check "env file '=value': exit 2" rc_is 2
spec_ud run --env-file="$T_TMP/space.env" envc /bin/true
check "env file 'MY VAR=1': refused as Docker does" err_has "variable name 'MY VAR' contains whitespace"
SPEC_HOST_VAR=from-host spec_ud run --env-file="$T_TMP/good.env" envc /bin/env
check "env file: BOM and CRLF stripped" out_line "BOM=1"
check "env file: NAME alone takes the host's value" out_line "SPEC_HOST_VAR=from-host"
check "env file: NAME alone and unset is left out" out_lacks "SPEC_UNSET_VAR"
check "env file: leading whitespace skipped" out_line "LEAD=2"

# -v splits at every ':': an empty part is an error, not skipped.
spec_ud run -v "$T_TMP/vhost::/x" envc /bin/true
check "run -v DIR::/x: refused" err_has "found '$T_TMP/vhost::/x', expected HOST:CONTAINER[:ro|rw]"
spec_ud run -v "$T_TMP/vhost:/x:" envc /bin/true
check "run -v DIR:/x: (trailing ':'): refused" rc_is 2

# plan finds what apply would fail on for every container, so nothing of
# the first is created when a later one is blocked.
touch afile
python3 -c "open('big.env', 'w').write('B=1\\n' * 300000)"
ln -s "$T_TMP/nowhere" dangling
mkdir -p rodir && chmod 555 rodir
for what in "afile/sub:/a" "dangling:/b" "rodir/x:/c" "many.env"; do
  case $what in
  *.env) vol="env_file: [big.env]" ;;
  *) vol="volumes: [{}]" ;;
  esac
  cat >second.yaml <<EOY
version: 1
volumes:
  v: {host: "$T_TMP/${what%%:*}", path: "${what#*:}", create: true}
containers:
  firstok:
    image: "$P/test/busybox"
    commands: [["/bin/true"]]
  second:
    image: "$P/test/busybox"
    $vol
    commands: [["/bin/true"]]
EOY
  sed -i 's/volumes: \[{}\]/volumes: [v]/' second.yaml
  [ "$what" = many.env ] && sed -i '/^volumes:/,/^containers:/{/^volumes:/d;/  v:/d}' second.yaml
  spec_ud plan -f second.yaml
  check "plan, second container on $what: blocked" out_has "run    blocked  second"
  spec_ud apply -f second.yaml
  check "apply, second container on $what: exit 2" rc_is 2
  ud ps
  check "apply, second container on $what: the first was not created" not_found "firstok"
done

# plan of 20,000 containers of one image: the host is probed once, not
# once per container, and "used by" grows in constant time.
python3 - <<'EOP'
open("many-containers.yaml", "w").write("version: 1\nimages:\n  img: x/y\ncontainers:\n"
    + "".join("  c%d: {image: img}\n" % i for i in range(20000)))
EOP
spec_ud plan --offline -f many-containers.yaml
check "plan of 20,000 containers: lists the last" out_has "setup  to do    c19999"
check "plan of 20,000 containers: in under 5 s (${MS} ms)" fast

# ===================================================== writes inside a container root

# Files udocker writes inside a container root (system files, mountpoints,
# setup --nvidia, F2's loader, setup --purge) never follow the image's
# symlinks out of it. A symlink is resolved as inside the container: an
# absolute one from ROOT, ".." never above it (docs/architecture.md).
# rootfs_tar OUT [LINK=TARGET ...]: a busybox rootfs with these symlinks.
rootfs_tar() {
  local out=$1
  shift
  /usr/bin/python3 - "$out" "$@" <<'EOPY'
import io, os, sys, tarfile
out, links = sys.argv[1], sys.argv[2:]
with tarfile.open(out, "w") as t:
    def d(name):
        ti = tarfile.TarInfo(name); ti.type = tarfile.DIRTYPE; ti.mode = 0o755; t.addfile(ti)
    def f(name, path, mode=0o755):
        data = open(path, "rb").read()
        ti = tarfile.TarInfo(name); ti.size = len(data); ti.mode = mode
        t.addfile(ti, io.BytesIO(data))
    def l(name, target):
        ti = tarfile.TarInfo(name); ti.type = tarfile.SYMTYPE; ti.linkname = target; t.addfile(ti)
    for x in ("bin", "tmp", "mnt", "dev", "proc", "sys", "usr", "usr/lib64", "lib",
              "lib/x86_64-linux-gnu"):
        d(x)
    f("bin/busybox", "/bin/busybox")
    for a in ("sh", "true", "cat", "ls", "echo"):
        l("bin/" + a, "busybox")
    libc = os.path.realpath("/lib/x86_64-linux-gnu/libc.so.6")
    if os.path.exists(libc):
        f("lib/x86_64-linux-gnu/libc.so.6", libc)
    for spec in links:
        name, target = spec.split("=", 1)
        l(name, target)
EOPY
}
# empty DIR: the host directory got nothing.
empty() { [ -d "$1" ] && [ -z "$(ls -A "$1")" ]; }
up=../../../../../../../../../../../../../..
mkdir -p hostetc hostrel vol
rootfs_tar evil.tar "etc=$T_TMP/hostetc" "mnt/rel=$up$T_TMP/hostrel"
expect_ok "root: import a rootfs whose /etc and /mnt/rel lead to host dirs" import evil.tar evil/root:1
modes="N1 P1 R1"
for mode in $modes; do
  rm -rf hostetc/* hostrel/*
  ud create --name="evil-$mode" evil/root:1
  eroot="$UDOCKER_DIR/containers/$OUT/ROOT"
  if [ "$mode" = R1 ]; then
    rt=$(command -v runc || ls /usr/sbin/runc 2>/dev/null || true)
    if [ -z "$rt" ]; then
      skip "root: R1: runc is not installed"
      continue
    fi
    export UDOCKER_USE_RUNC_EXECUTABLE=$rt
  fi
  ud setup --execmode="$mode" "evil-$mode"
  if [ "$RC" != 0 ]; then
    skip "root: $mode cannot run here: $ERR"
    continue
  fi
  ud run --user=4321 -v "$T_TMP/vol:/etc/vol" -v "$T_TMP/vol:/mnt/rel/vol" "evil-$mode" /bin/true
  check "root: $mode: the run succeeds, its files resolved in ROOT" rc_is 0
  check "root: $mode: nothing written through the absolute /etc link" empty hostetc
  check "root: $mode: nothing written through the climbing relative link" empty hostrel
  check "root: $mode: /etc/hosts' mountpoint is where /etc leads inside ROOT" \
    [ -e "$eroot$T_TMP/hostetc/hosts" ]
  check "root: $mode: the volume's mountpoint too" [ -d "$eroot$T_TMP/hostrel/vol" ]
done
unset UDOCKER_USE_RUNC_EXECUTABLE
ud run evil-N1 /bin/cat /etc/hosts
check "root: N1: /etc/hosts in the container is the host's, through its own link" \
  out_is "$(cat /etc/hosts)"

# setup --purge removes what runs recorded, only inside ROOT: a recorded
# mountpoint whose directory became a symlink to a host dir leaves that
# dir's (empty) entries alone.
mkdir -p victim/data victim2 && : >victim2/file && : >vfile
ud create --name=purge evil/root:1
proot_="$UDOCKER_DIR/containers/$OUT/ROOT"
ud run -v "$T_TMP/vol:/mnt/vol/data" -v "$T_TMP/vfile:/mnt/f2/file" -v "$T_TMP/vol:/mnt/plain" purge /bin/true
check "root: purge: the run recorded its mountpoints" [ -d "$proot_/mnt/vol/data" ]
rm -rf "$proot_/mnt/vol" "$proot_/mnt/f2"
ln -s "$T_TMP/victim" "$proot_/mnt/vol"
ln -s "$up$T_TMP/victim2" "$proot_/mnt/f2"
expect_ok "root: setup --purge" setup --purge purge
check "root: purge: an empty host dir behind an absolute link survives" [ -d victim/data ]
check "root: purge: an empty host file behind a relative link survives" [ -f victim2/file ]
check "root: purge: a mountpoint inside ROOT is removed" [ ! -e "$proot_/mnt/plain" ]

# F1 and F2 on Debian: a volume under a relative link climbing out, and a
# loader (/lib64) that leads to a host copy F2 would patch.
if [ "${UD_TEST_BIG:-0}" != 1 ]; then
  skip "root: F1/F2 on Debian: UD_TEST_BIG=0"
elif [ "$(uname -m)" != x86_64 ]; then
  skip "root: F1/F2: x86_64 only in this version"
else
  mkdir -p hostf hostlib64
  ud create --name=evil-f "$P/test/debian"
  froot="$UDOCKER_DIR/containers/$OUT/ROOT"
  ln -s "$up$T_TMP/hostf" "$froot/mnt/evil"
  expect_ok "root: F1: setup" setup --execmode=F1 evil-f
  ud run -v "$T_TMP/vol:/mnt/evil/vol" evil-f /bin/true
  check "root: F1: the run succeeds" rc_is 0
  check "root: F1: no mountpoint made through the climbing link" empty hostf
  ud create --name=evil-f2 "$P/test/debian"
  f2root="$UDOCKER_DIR/containers/$OUT/ROOT"
  ld=$(readlink -f "$f2root/lib64/ld-linux-x86-64.so.2")
  cp "$ld" hostlib64/ld-linux-x86-64.so.2 && cp "$ld" ld.orig
  rm -rf "$f2root/lib64" && ln -s "$up$T_TMP/hostlib64" "$f2root/lib64"
  ud setup --execmode=F2 evil-f2
  check "root: F2: a loader leading out of ROOT is refused" rc_is 1
  check "root: F2: and the host file is not patched" cmp -s hostlib64/ld-linux-x86-64.so.2 ld.orig
fi

# setup --nvidia into an image whose library, tool and etc directories are
# links to host dirs: nothing lands there (stand-in driver as t_nvidia.sh).
if ! command -v gcc >/dev/null; then
  skip "root: nvidia: no gcc to build stand-in libraries"
else
  mkdir -p nv/lib nv/bin nv/etc/OpenCL/vendors hostnvlib hostnvbin hostnvetc
  printf 'int cuInit(unsigned f) { return (int)f; }\n' >cuda.c
  gcc -shared -fPIC -o nv/lib/libcuda.so.535.54.03 cuda.c
  ln -s libcuda.so.535.54.03 nv/lib/libcuda.so.1
  printf '#!/bin/sh\necho smi\n' >nv/bin/nvidia-smi && chmod 755 nv/bin/nvidia-smi
  echo libnvidia-opencl.so.1 >nv/etc/OpenCL/vendors/nvidia.icd
  rootfs_tar nvevil.tar "usr/lib/x86_64-linux-gnu=$T_TMP/hostnvlib" \
    "usr/bin=$up$T_TMP/hostnvbin" "etc=$T_TMP/hostnvetc"
  ud import nvevil.tar evil/nv:1
  ud create --name=evil-nv evil/nv:1
  nroot="$UDOCKER_DIR/containers/$OUT/ROOT"
  UDOCKER_NVIDIA_LIBDIRS=$T_TMP/nv/lib UDOCKER_NVIDIA_BINDIR=$T_TMP/nv/bin \
    UDOCKER_NVIDIA_ETCDIR=$T_TMP/nv/etc ud setup --nvidia evil-nv
  check "root: nvidia: setup succeeds (libraries into /usr/lib64)" rc_is 0
  check "root: nvidia: no library in the host dir /usr/lib/x86_64-linux-gnu led to" empty hostnvlib
  check "root: nvidia: no tool in the host dir /usr/bin led to" empty hostnvbin
  check "root: nvidia: no ICD file in the host dir /etc led to" empty hostnvetc
  check "root: nvidia: the tool is where /usr/bin leads inside ROOT" \
    [ -x "$nroot$T_TMP/hostnvbin/nvidia-smi" ]
  check "root: nvidia: the libraries are in ROOT/usr/lib64" [ -f "$nroot/usr/lib64/libcuda.so.535.54.03" ]
fi

# hostile_tar OUT [--clone] ITEM...: a busybox rootfs (under ROOT/ with
# --clone: an `export --clone` tarball) plus items: l:NAME=TARGET (symlink),
# p:NAME (FIFO), f:NAME=TEXT (file), d:NAME (directory); NAMEs are tar
# member names.
hostile_tar() {
  /usr/bin/python3 - "$@" <<'EOPY'
import io, sys, tarfile
out, items = sys.argv[1], sys.argv[2:]
pre = ""
if items and items[0] == "--clone":
    pre, items = "ROOT/", items[1:]
with tarfile.open(out, "w") as t:
    def add(name, kind, data=b"", target="", mode=0o755):
        ti = tarfile.TarInfo(name); ti.type = kind; ti.mode = mode
        if kind == tarfile.SYMTYPE: ti.linkname = target
        ti.size = len(data) if kind == tarfile.REGTYPE else 0
        t.addfile(ti, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
    if pre: add("ROOT", tarfile.DIRTYPE)
    for x in ("bin", "tmp", "mnt", "dev", "proc", "sys"):
        add(pre + x, tarfile.DIRTYPE)
    add(pre + "bin/busybox", tarfile.REGTYPE, open("/bin/busybox", "rb").read())
    for a in ("true", "cat", "ls", "echo", "id"):
        add(pre + "bin/" + a, tarfile.SYMTYPE, target="busybox")
    for it in items:
        kind, rest = it.split(":", 1)
        name, _, val = rest.partition("=")
        if kind == "l": add(name, tarfile.SYMTYPE, target=val)
        elif kind == "p": add(name, tarfile.FIFOTYPE, mode=0o644)
        elif kind == "f": add(name, tarfile.REGTYPE, (val + "\n").encode(), mode=0o644)
        elif kind == "d": add(name, tarfile.DIRTYPE)
        elif kind == "c": add(name, tarfile.REGTYPE, open(val, "rb").read())
EOPY
}
# tud ARGS...: ud with a time limit (rc 124: udocker hung).
tud() {
  timeout 60 "$UD_BIN" "$@" >"$T_TMP/out" 2>"$T_TMP/err" </dev/null
  RC=$?
  OUT=$(cat "$T_TMP/out")
  ERR=$(cat "$T_TMP/err")
}
not_hung() { [ "$RC" != 124 ]; }
no_secret() { ! grep -q SECRET-HOST-LINE "$1"; }
# not_in_tar TAR TEXT: no member of TAR holds TEXT.
not_in_tar() { ! tar -xOf "$1" 2>/dev/null | grep -qa -- "$2"; }

# Reads of the container's own files (passwd and group for --user, the
# shell's ELF interpreter, libc for doctor and nvidia) resolve in ROOT too:
# an image never makes udocker read a host file into the container, and a
# FIFO (in ROOT or on the host) is refused, not waited on.
echo "secretuser:x:777:777:SECRET-HOST-LINE:/:/bin/sh" >hsecret
mkfifo hfifo
hostile_tar pwleak.tar d:etc "l:etc/passwd=$T_TMP/hsecret" "l:etc/group=$up$T_TMP/hsecret"
ud import pwleak.tar evil/pw:1
ud create --name=evil-pw evil/pw:1
ud run --user=4321 evil-pw /bin/cat /etc/passwd /etc/group
check "root: read: --user's passwd is read in ROOT, not through a link to a host file" \
  out_lacks SECRET-HOST-LINE
ud run --user=secretuser evil-pw /bin/id -u
check "root: read: a user named only in the host file is not found" rc_is 2
hostile_tar pwfifo.tar d:etc "l:etc/passwd=$T_TMP/hfifo" "l:etc/group=$T_TMP/hfifo"
ud import pwfifo.tar evil/pwfifo:1
ud create --name=evil-pwfifo evil/pwfifo:1
tud run --user=4321 evil-pwfifo /bin/true
check "root: read: a passwd link to a host FIFO does not hang the run" not_hung
check "root: read: and the run goes on without it" rc_is 0
hostile_tar fifos.tar d:etc p:etc/passwd p:etc/group d:lib d:lib/x86_64-linux-gnu \
  p:lib/x86_64-linux-gnu/libc.so.6 p:bin/sh "l:usr=$T_TMP/hostusr"
mkdir -p hostusr/bin && mkfifo hostusr/bin/env
ud import fifos.tar evil/fifos:1
ud create --name=evil-fifos evil/fifos:1
tud run --user=4321 evil-fifos /bin/true
check "root: read: a FIFO as /etc/passwd in ROOT does not hang the run" not_hung
tud doctor evil-fifos
check "root: read: doctor on FIFOs as libc and /bin/sh does not hang" not_hung
tud setup --execmode=F1 evil-fifos
check "root: read: setup F1 (the shell's interpreter) does not hang" not_hung

# A container imported with --clone brings its own metadata beside ROOT
# (.patch.orig, .mountpoints, ld.so.orig): putting F2's loader and F3's
# originals back
# never follows ROOT's links out, and the store files are never followed.
mkdir -p hostclone hostrec
ln -s /nowhere hostrec/keep
hostile_tar clone1.tar --clone "l:ROOT/etc=$T_TMP/hostclone" f:execmode=F3 \
  f:patch.path=/elsewhere d:.patch.orig d:.patch.orig/etc f:.patch.orig/etc/planted=x
ud import --clone clone1.tar
c1=$OUT
ud setup --execmode=N1 "$c1"
check "root: clone: F3's originals are not put back through ROOT's link to a host dir" \
  empty hostclone
hostile_tar clone3.tar --clone c:ROOT/bin/sh=/bin/dash d:ROOT/lib64 \
  f:ROOT/lib64/ld-linux-x86-64.so.2=loader f:execmode=F2 "l:ld.so.orig=$T_TMP/hsecret"
ud import --clone clone3.tar
c3root="$UDOCKER_DIR/containers/$OUT/ROOT"
ud setup --execmode=N1 "$OUT"
check "root: clone: F2's loader is not restored from a host file ld.so.orig leads to" \
  no_secret "$c3root/lib64/ld-linux-x86-64.so.2"
hostile_tar clone2.tar --clone "l:.mountpoints=$T_TMP/hostrec"
ud import --clone clone2.tar
c2=$OUT
ud run -v "$T_TMP/vol:/mnt/newvol" "$c2" /bin/true
check "root: clone: a run records no mountpoint in the host dir .mountpoints leads to" \
  [ ! -e "hostrec/#mnt#newvol" ]
ud setup --purge "$c2"
check "root: clone: setup --purge leaves the host dir .mountpoints leads to alone" \
  [ -L hostrec/keep ]

# setup --purge: a recorded mountpoint file replaced by a hard link to a
# non-empty host file, a recorded directory that is no longer empty.
ud create --name=purge2 evil/root:1
p2root="$UDOCKER_DIR/containers/$OUT/ROOT"
echo keep >hostkeep
ud run -v "$T_TMP/vfile:/mnt/hf" -v "$T_TMP/vol:/mnt/hd" purge2 /bin/true
rm -f "$p2root/mnt/hf" && ln hostkeep "$p2root/mnt/hf"
echo data >"$p2root/mnt/hd/inside"
ud setup --purge purge2
check "root: purge: a hard link to a host file is left alone" [ "$(cat hostkeep)" = keep ]
check "root: purge: a mountpoint directory that holds files is kept" [ -f "$p2root/mnt/hd/inside" ]

# rm and export of a container whose ROOT links to host files: rm never
# follows a link (nor chmods through one), export stores links as links.
mkdir -p hostrm/sub && echo HOSTRM-TOKEN >hostrm/file && chmod 0500 hostrm/sub
hostile_tar rmlinks.tar "l:hostdir=$T_TMP/hostrm" "l:hostfile=$T_TMP/hostrm/file" d:locked \
  "l:locked/in=$T_TMP/hostrm/sub" "l:etc=$T_TMP/hostrm"
ud import rmlinks.tar evil/rm:1
ud create --name=evil-rm evil/rm:1
chmod 0000 "$UDOCKER_DIR/containers/$OUT/ROOT/locked"
ud export -o rmlinks-out.tar evil-rm
check "root: export: the tarball holds no host file a link leads to" \
  not_in_tar rmlinks-out.tar HOSTRM-TOKEN
expect_ok "root: rm: a container whose ROOT links to host files" rm evil-rm
check "root: rm: the host file behind a link survives" [ "$(cat hostrm/file)" = HOSTRM-TOKEN ]
check "root: rm: the mode of a host dir behind a link is unchanged" \
  [ "$(stat -c %a hostrm/sub)" = 500 ]
chmod 0755 hostrm/sub

# setup --nvidia --force over an earlier copy whose library became a link
# to a host file: the link is replaced, the host file left alone.
if command -v gcc >/dev/null && [ -n "${nroot:-}" ]; then
  echo victim >nvvictim
  rm -f "$nroot/usr/lib64/libcuda.so.535.54.03"
  ln -s "$T_TMP/nvvictim" "$nroot/usr/lib64/libcuda.so.535.54.03"
  UDOCKER_NVIDIA_LIBDIRS=$T_TMP/nv/lib UDOCKER_NVIDIA_BINDIR=$T_TMP/nv/bin \
    UDOCKER_NVIDIA_ETCDIR=$T_TMP/nv/etc ud setup --nvidia --force evil-nv
  check "root: nvidia --force: setup succeeds" rc_is 0
  check "root: nvidia --force: the host file a copied library led to is unchanged" \
    [ "$(cat nvvictim)" = victim ]
  check "root: nvidia --force: the library is a file in ROOT again" \
    [ ! -L "$nroot/usr/lib64/libcuda.so.535.54.03" ]
fi

finish
