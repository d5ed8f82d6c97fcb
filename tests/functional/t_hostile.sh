#!/usr/bin/env bash
# Hostile input never harms the user (issue 10): archives and layers, the
# store, the registry client, job specs and files written inside a
# container root. Every input is built here; each case fails when its fix
# is reverted.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"
P=$UD_FIX_PLAIN

# ===================================================== layers, archives, store

# ===================================================== registry client

# ===================================================== job specs and inputs

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

finish
