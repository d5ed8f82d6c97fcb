#!/usr/bin/env bash
# Fails when the preload library LIB could not load into an old container:
# a glibc symbol version above GLIBC_2.17 (CentOS 7's glibc), or a needed
# library other than libc.so.6 and libdl.so.2.
# Usage: scripts/check-preload.sh LIB
set -euo pipefail
lib=${1:?usage: check-preload.sh LIB}
bad=0
while read -r v sym; do
  echo "check-preload: $lib needs $sym@$v, newer than GLIBC_2.17" >&2
  bad=1
done < <(objdump -T "$lib" | awk '{for (i = 1; i <= NF; i++) if ($i ~ /^\(?GLIBC_[0-9.]+\)?$/) { v = $i; gsub(/[()]/, "", v); split(substr(v, 7), n, "."); if (n[1] > 2 || (n[1] == 2 && n[2] > 17)) print v, $NF } }')
while read -r needed; do
  case $needed in
    libc.so.6 | libdl.so.2) ;;
    *) echo "check-preload: $lib needs $needed (only libc.so.6 and libdl.so.2 are allowed)" >&2; bad=1 ;;
  esac
done < <(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
exit "$bad"
