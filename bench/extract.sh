#!/usr/bin/env bash
# Layer extraction benchmark, one run, medians of 5: `udocker create` of
# the one-layer Debian image (debootstrap minbase bookworm, imported)
# against `tar -xzf` of the same layer into an empty directory (each run
# removing the previous one, timed with it), and the
# openat/mkdirat/dup calls of one create (strace -c, where installed).
# Usage: bench/extract.sh [UDOCKER_BINARY]   (as root on the test machine)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
"$top/tests/fixtures/images.sh" "$images" --big >/dev/null
tgz=/var/cache/udocker-fixtures/debian-bookworm-minbase.tar.gz
[ -s "$tgz" ] || tgz="$HOME/.cache/udocker-fixtures/debian-bookworm-minbase.tar.gz"
n=${RUNS:-5}
ud -q import "$tgz" bench/debian:1 >/dev/null
rm_all() {
  # shellcheck disable=SC2046
  ud rm $(ud -q ps | awk 'NR>1 {print $1}') >/dev/null 2>&1 || true
}
create() { rm_all && ud create bench/debian:1; }
untar() { rm -rf "$work/untar" && mkdir "$work/untar" && tar -C "$work/untar" -xzf "$tgz"; }
create >/dev/null
untar
# The runs alternate (create, untar, create, ...): ext4 without a journal
# skips, one by one, the inodes deleted in the last 5 to 35 seconds when
# it allocates one, so a run's time depends on what the runs just before
# it removed, and on the machine's load of the moment. Five creates and
# then five untars gave the untars the creates' deletions and another
# phase of the load; alternating gives both sides the same history.
: >"$work/times.create"
: >"$work/times.untar"
for _ in $(seq "$n"); do
  time_runs 1 create >>"$work/times.create"
  time_runs 1 untar >>"$work/times.untar"
done
u=$(median <"$work/times.create")
t=$(median <"$work/times.untar")
entries=$(tar -tzf "$tgz" | wc -l)
printf 'create debian (%s entries): median udocker %.3f s, tar -xzf %.3f s, ratio %.2f (target <= 0.7)\n' \
  "$entries" "$u" "$t" "$(echo "$u / $t" | bc -l)"
if command -v strace >/dev/null; then
  rm_all
  strace -f -c -e trace=openat,mkdirat,dup -o "$work/strace" \
    env UDOCKER_DIR="$work/repo" "$bin" --allow-root create bench/debian:1 >/dev/null
  for call in openat mkdirat dup; do
    printf '%s calls of one create: %s\n' "$call" \
      "$(awk -v c="$call" '$NF == c {print $4}' "$work/strace")"
  done
else
  echo 'system-call counts skipped: strace is not installed'
fi
