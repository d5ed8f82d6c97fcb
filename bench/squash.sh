#!/usr/bin/env bash
# Image-backed containers (issue 14), one run, medians, ratios printed:
#  1. `create --rootfs=squash` of test/debian and of the ~170 MB test/big
#     (their image files built beforehand) against a directory `create` and
#     `tar -xzf` of the same layers; files in the container's directory;
#  2. building the image file from the layers (streaming) against `tar -xzf`
#     of the layers into a directory plus `mksquashfs` of it with the same
#     compressor, and the two files' sizes;
#  3. in N1, `run C /bin/true` and a file-heavy job from the image file
#     against the same image as a directory container, run in turn (the
#     ratio is the median of the pairs');
#  4. 16 concurrent `run --rootfs=squash` of one image (16 containers) from
#     no image file: all succeed, the file is built once.
# Usage: bench/squash.sh [UDOCKER_BINARY]   (as root on the test machine;
# the runs are made as the unprivileged user udocker-bench; create and run
# are timed inside one shell of theirs, without runuser's own start)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
start_fixtures --big
n=${RUNS:-5}
apt-get install -y squashfs-tools >/dev/null
# Runs as a user: N1 needs user namespaces, FUSE needs /dev/fuse (udev
# makes it 0666 on Debian; a bare VM may not have run that rule).
chmod 0666 /dev/fuse
id udocker-bench >/dev/null 2>&1 || useradd -m udocker-bench
chmod 0755 "$work"
mkdir -p "$work/repo" && chown udocker-bench "$work/repo"
uu() { runuser -u udocker-bench -- env UDOCKER_DIR="$work/repo" "$bin" "$@"; }
# uu_time N ARGS...: the median wall time of N runs of `udocker ARGS` as the
# bench user, timed inside one shell of theirs (runuser's own start, ~10 ms,
# is not part of what is measured).
uu_time() {
  runuser -u udocker-bench -- env UDOCKER_DIR="$work/repo" bash -c '
    n=$1 bin=$2
    shift 2
    for _ in $(seq "$n"); do
      t0=$EPOCHREALTIME
      "$bin" "$@" >/dev/null 2>&1
      t1=$EPOCHREALTIME
      echo "$t1 - $t0" | bc -l
    done' uu_time "$1" "$bin" "${@:2}" | median
}
for img in test/big test/debian; do
  uu -q pull "$UD_FIX_PLAIN/$img:latest" >/dev/null
done
layers() { # image: its layer files, base first
  local tagdir="$work/repo/repos/$UD_FIX_PLAIN/$1/latest"
  for l in $(/usr/bin/python3 -c 'import json,sys; print(" ".join(l["digest"] for l in json.load(open(sys.argv[1]))["layers"]))' "$tagdir/manifest"); do
    echo "$tagdir/$l"
  done
}
untar() { # image
  rm -rf "$work/untar" && mkdir "$work/untar"
  for l in $(layers "$1"); do tar -C "$work/untar" -xzf "$l"; done
}
ratio() { echo "$1 / $2" | bc -l; }

echo "== 1. create"
create_dir() {
  # shellcheck disable=SC2046
  uu rm $(uu -q ps --json | /usr/bin/python3 -c 'import json,sys; print(" ".join(c["id"] for c in json.load(sys.stdin) if c["rootfs"] == "dir"))') >/dev/null 2>&1 || true
  uu create "$UD_FIX_PLAIN/$1:latest"
}
# The image-backed creates of both images first: ext4 without a journal
# skips the inodes deleted in the last seconds when it allocates one
# (bench/extract.sh), and each directory create below removes the 6,657
# files of the one before; timed after them, test/big's image-backed
# create would pay for test/debian's directory creates.
declare -A sq
for img in test/debian test/big; do
  uu create --rootfs=squash --name="warm-${img#test/}" "$UD_FIX_PLAIN/$img:latest" >/dev/null
  sq[$img]=$(uu_time "$n" create --rootfs=squash "$UD_FIX_PLAIN/$img:latest")
done
for img in test/debian test/big; do
  s=${sq[$img]}
  d=$(time_runs "$n" create_dir "$img")
  t=$(time_runs "$n" untar "$img")
  files=$(find "$work/repo/containers/warm-${img#test/}/" -mindepth 1 | wc -l)
  printf 'create %s image-backed: median %.4f s (target <= 0.010), %s files in its directory (target <= 10); directory create %.3f s (ratio %.3f), tar -xzf %.3f s (ratio %.3f)\n' \
    "$img" "$s" "$files" "$d" "$(ratio "$s" "$d")" "$t" "$(ratio "$s" "$t")"
done

echo "== 2. image file"
comp=${UDOCKER_SQUASH_COMPRESSION:-zstd}
for img in test/debian test/big; do
  file=$(uu inspect --json "warm-${img#test/}" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["image_file"])')
  build() { rm -f "$file" && uu create --rootfs=squash --name=b "$UD_FIX_PLAIN/$img:latest" >/dev/null && uu rm b >/dev/null; }
  untar_mksquashfs() { untar "$img" && rm -f "$work/m.sqsh" && mksquashfs "$work/untar" "$work/m.sqsh" -comp "$comp" -Xcompression-level 6 -all-root -noappend -quiet >/dev/null; }
  b=$(time_runs 3 build)
  m=$(time_runs 3 untar_mksquashfs)
  ours=$(stat -c %s "$file")
  theirs=$(stat -c %s "$work/m.sqsh")
  printf 'image file %s (%s): median build %.3f s, tar -xzf + mksquashfs %.3f s, ratio %.2f (target < 1); size %s against %s bytes, ratio %.3f (target <= 1.10)\n' \
    "$img" "$comp" "$b" "$m" "$(ratio "$b" "$m")" "$ours" "$theirs" "$(ratio "$ours" "$theirs")"
done

echo "== 3. runs in N1"
uu create --name=dir-debian "$UD_FIX_PLAIN/test/debian:latest" >/dev/null
heavy='find / -xdev | wc -l; tar -cf - /usr | wc -c'
# uu_pair N A B ARGS...: N pairs of `run A ARGS` then `run B ARGS`, timed in
# one shell of the bench user after a pair not counted (what the first
# run reads, from either, is in the caches for the next); prints A's and
# B's median and the median of the pairs' ratios A/B, which holds when the
# machine's speed drifts during the runs (it does on a shared host).
uu_pair() {
  runuser -u udocker-bench -- env UDOCKER_DIR="$work/repo" bash -c '
    n=$1 bin=$2 a=$3 b=$4
    shift 4
    for i in $(seq 0 "$n"); do
      t0=$EPOCHREALTIME
      "$bin" run "$a" "$@" >/dev/null 2>&1
      t1=$EPOCHREALTIME
      "$bin" run "$b" "$@" >/dev/null 2>&1
      t2=$EPOCHREALTIME
      [ "$i" = 0 ] || echo "$t1 - $t0; $t2 - $t1" | bc -l | paste -sd " "
    done' uu_pair "$1" "$bin" "${@:2}" >"$work/pairs"
  echo "$(cut -d' ' -f1 "$work/pairs" | median) $(cut -d' ' -f2 "$work/pairs" | median)" \
    "$(awk '{print $1 / $2}' "$work/pairs" | median)"
}
read -r rs rd rr < <(uu_pair "$n" warm-debian dir-debian /bin/true)
read -r hs hd hr < <(uu_pair "$n" warm-debian dir-debian sh -c "$heavy")
printf 'run /bin/true: image file %.3f s, directory %.3f s, ratio %.2f (target <= 2.0)\n' "$rs" "$rd" "$rr"
printf 'file-heavy job: image file %.3f s, directory %.3f s, ratio %.2f (target <= 1.3)\n' "$hs" "$hd" "$hr"
same=$(diff <(uu run warm-debian sh -c "$heavy") <(uu run dir-debian sh -c "$heavy") >/dev/null && echo yes || echo no)
echo "file-heavy job prints the same in both: $same"

echo "== 4. 16 concurrent runs, no image file at first"
file=$(uu inspect --json warm-debian | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["image_file"])')
# shellcheck disable=SC2046
uu rm $(uu -q ps --json | /usr/bin/python3 -c 'import json,sys; print(" ".join(c["id"] for c in json.load(sys.stdin)))') >/dev/null
rm -f "$file"
t0=$EPOCHREALTIME
for i in $(seq 16); do
  uu -D run --rootfs=squash --name="c$i" "$UD_FIX_PLAIN/test/debian:latest" cat /etc/debian_version >"$work/c$i.out" 2>"$work/c$i.err" &
done
ok=0
for job in $(jobs -p); do wait "$job" && ok=$((ok + 1)); done
t1=$EPOCHREALTIME
built=$(cat "$work"/c*.err | grep -c 'built the image file' || true)
printf '16 concurrent runs: %s of 16 succeeded in %.2f s; image file built %s time(s); %s container(s); partial files left: %s\n' \
  "$ok" "$(echo "$t1 - $t0" | bc -l)" "$built" "$(uu -q ps | awk 'NR>1' | wc -l)" \
  "$(find "$work/repo/squash/.partial" -type f 2>/dev/null | wc -l)"
