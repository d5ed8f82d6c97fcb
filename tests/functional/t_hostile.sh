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

# ===================================================== registry client

# ===================================================== job specs and inputs

# ===================================================== writes inside a container root

finish
