#!/usr/bin/env bash
# Many jobs, one store: 16 processes apply specs against one repository at
# once, as an unprivileged user: the same image and container name (6), the
# same container name made from one image by several specs (5), different
# images with containers of their own (5). Every apply must succeed or fail
# with a clear message; each blob is downloaded once; verify passes; no lock
# is left held. Prints the counts.
# Usage: tests/stress/concurrent.sh [UDOCKER_BINARY]   (as root: it starts the fixtures)
set -euo pipefail
UD_TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$UD_TOP/bench/lib.sh"
start_fixtures
user=${UD_TEST_USER:-udtest}
id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
chmod 755 "$work"
chmod -R a+rX "$state"
cp "$bin" "$work/udocker"
for extra in udocker-tracer libudocker-fakechroot.so; do
  if [ -e "$(dirname "$bin")/$extra" ]; then cp "$(dirname "$bin")/$extra" "$work/"; fi
done
chmod 755 "$work"/udocker*
mkdir -p "$work/run" && chown "$user" "$work/run"
R=$UD_FIX_PLAIN
spec() { # name image container
  printf 'version: 1\ncontainers:\n  %s:\n    image: "%s"\n    commands: ["echo ran in %s"]\n' "$3" "$2" "$3" >"$work/run/$1.yaml"
}
for i in $(seq 1 6); do spec "same-$i" "$R/test/busybox:latest" shared; done
for i in $(seq 1 5); do spec "name-$i" "$R/oci/busybox:latest" shared2; done
imgs=("$R/test/layers:latest" "$R/test/entry:latest" "$R/oci/layers:latest" "$R/oci/entry:latest" "$R/test/multi:latest")
for i in $(seq 1 5); do spec "diff-$i" "${imgs[$((i - 1))]}" "own-$i"; done
chmod 644 "$work"/run/*.yaml
as_user() {
  runuser -u "$user" -- env -i PATH=/usr/bin:/bin:/usr/sbin HOME="$work/run" UDOCKER_DIR="$work/run/repo" \
    CURL_CA_BUNDLE="$UD_FIX_CA" UDOCKER_LOCK_TIMEOUT=120 "$@"
}
as_user "$work/udocker" images >/dev/null 2>&1 || true
pids=()
for f in "$work"/run/*.yaml; do
  as_user "$work/udocker" apply -f "$f" >"${f%.yaml}.out" 2>"${f%.yaml}.err" &
  pids+=($!)
done
if [ -n "${UD_STRESS_SHOW:-}" ]; then wait; tail -n 3 "$work"/run/*.out "$work"/run/*.err; fi
ok=0 failed=0 unclear=0
files=("$work"/run/*.yaml)
for i in "${!pids[@]}"; do
  if wait "${pids[$i]}"; then
    ok=$((ok + 1))
    grep -q "ran in" "${files[$i]%.yaml}.out" || unclear=$((unclear + 1))
  else
    failed=$((failed + 1))
    echo "failed: $(basename "${files[$i]}"): $(tail -n 3 "${files[$i]%.yaml}.err")"
    grep -q "^Error: " "${files[$i]%.yaml}.err" || unclear=$((unclear + 1))
  fi
done
# apply's summary line is on stderr.
downloaded=$(cat "$work"/run/*.err | sed -n 's/.* \([0-9]*\) blobs\{0,1\} downloaded.*/\1/p' | awk '{s+=$1} END {print s+0}')
stored=$(find "$work/run/repo/layers" -maxdepth 1 -type f -name 'sha256:*' | wc -l)
verified=0 bad=0
for img in "$R/test/busybox:latest" "$R/oci/busybox:latest" "${imgs[@]}"; do
  if as_user "$work/udocker" verify "$img" >/dev/null 2>&1; then verified=$((verified + 1)); else bad=$((bad + 1)); fi
done
held=$(python3 - "$work/run/repo" <<'EOPY'
import fcntl, os, sys
held = 0
for d in ("layers/.locks", "repos/.locks"):
    top = os.path.join(sys.argv[1], d)
    for root, _, files in os.walk(top):
        for f in files:
            with open(os.path.join(root, f), "r+") as fh:
                try:
                    fcntl.lockf(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    held += 1
print(held)
EOPY
)
echo "concurrent applies: ${#pids[@]} processes, $ok succeeded, $failed failed ($unclear without their output or a clear message)"
echo "blobs: $downloaded downloaded in all, $stored in the store (each downloaded once: $([ "$downloaded" = "$stored" ] && echo yes || echo NO))"
echo "verify: $verified images ok, $bad failed; locks still held: $held"
[ "$failed" = 0 ] && [ "$unclear" = 0 ] && [ "$downloaded" = "$stored" ] && [ "$bad" = 0 ] && [ "$held" = 0 ]
