#!/usr/bin/env bash
# kill -9 at random points: pull (a 170 MB image), create (Debian), setup
# (F3: every program patched) and apply (pull, create, run), 20 times each,
# as an unprivileged user on one store. After every kill the store must
# verify (what is listed is whole), the next run of the same operation must
# complete, and what the killed one left (hidden containers, locks held) must
# be gone. Prints the counts.
# Usage: tests/stress/crash.sh [UDOCKER_BINARY]   (as root: it starts the fixtures)
set -euo pipefail
UD_TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$UD_TOP/bench/lib.sh"
start_fixtures --big
user=${UD_TEST_USER:-udtest}
id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
chmod 755 "$work"
chmod -R a+rX "$state"
for f in udocker udocker-tracer libudocker-fakechroot.so; do
  if [ -e "$(dirname "$bin")/$f" ]; then cp "$(dirname "$bin")/$f" "$work/"; fi
done
chmod 755 "$work"/udocker*
mkdir -p "$work/run" && chown "$user" "$work/run"
n=${KILLS:-20}
R=$UD_FIX_PLAIN
BIG=$R/test/big:latest
DEB=$R/test/debian:latest
printf 'version: 1\ncontainers:\n  job:\n    image: "%s/test/layers:latest"\n    commands: ["echo applied"]\n' "$R" >"$work/run/job.yaml"
chmod 644 "$work/run/job.yaml"
cat >"$work/u.sh" <<EOS
#!/bin/sh
exec runuser -u "$user" -- env -i PATH=/usr/bin:/bin:/usr/sbin HOME="$work/run" \\
  UDOCKER_DIR="$work/run/repo" CURL_CA_BUNDLE="$UD_FIX_CA" UDOCKER_LOCK_TIMEOUT=60 "$work/udocker" "\$@"
EOS
chmod 755 "$work/u.sh"
u() { "$work/u.sh" "$@"; }
u images >/dev/null
# A container for the setup kills.
u pull "$DEB" >/dev/null
u create --name=fsetup "$DEB" >/dev/null
kills=0 verify_ok=0 verify_bad=0 again_ok=0 again_bad=0 leftovers=0
check_store() { # what the killed operation may have left must be whole
  local img
  for img in "$BIG" "$DEB" "$R/test/layers:latest"; do
    if u images 2>/dev/null | grep -q "${img%:latest}"; then
      if u verify "$img" >/dev/null 2>&1; then verify_ok=$((verify_ok + 1)); else
        verify_bad=$((verify_bad + 1)); echo "verify failed: $img" >&2; fi
    fi
  done
}
held_locks() {
  python3 - "$work/run/repo" <<'EOPY'
import fcntl, os, sys
held = 0
for d in ("layers/.locks", "repos/.locks", "containers"):
    for root, _, files in os.walk(os.path.join(sys.argv[1], d)):
        for f in files:
            if d == "containers" and not f.endswith(".lock"):
                continue
            try:
                with open(os.path.join(root, f), "r+") as fh:
                    fcntl.lockf(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                held += 1
print(held)
EOPY
}
kill_at() { # max_ms CMD...: starts CMD, kills it -9 after a random delay
  local max=$1
  shift
  # A process group of its own: kill -9 reaches udocker and what it started
  # (patchelf, a container's processes), as a batch system's kill does.
  setsid "$work/u.sh" "$@" >/dev/null 2>&1 &
  local pid=$!
  sleep "$(awk -v m="$max" -v r="$RANDOM" 'BEGIN {printf "%.3f", (r % m) / 1000}')"
  kill -9 -- "-$pid" 2>/dev/null || kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  kills=$((kills + 1))
}
again() { # CMD...: must complete now
  local out
  if out=$(u "$@" 2>&1); then again_ok=$((again_ok + 1)); else
    again_bad=$((again_bad + 1))
    echo "did not complete after a kill: $*" >&2
    tail -3 <<<"$out" | sed 's/^/    /' >&2
  fi
}
for i in $(seq "$n"); do
  u rmi "$BIG" >/dev/null 2>&1 || true
  kill_at 900 pull "$BIG"
  check_store
  again pull "$BIG"
done
for i in $(seq "$n"); do
  kill_at 4000 create --name="c$i" "$DEB"
  check_store
  again create --name="d$i" "$DEB"
  u rm "d$i" >/dev/null 2>&1 || true
  u rm "c$i" >/dev/null 2>&1 || true
done
for i in $(seq "$n"); do
  mode=$([ $((i % 2)) = 0 ] && echo F3 || echo N1)
  kill_at 2500 setup --execmode="$mode" fsetup
  check_store
  again setup --execmode="$mode" fsetup
  again run fsetup /bin/sh -c 'cat /etc/debian_version >/dev/null'
done
for i in $(seq "$n"); do
  u rm job >/dev/null 2>&1 || true
  u rmi "$R/test/layers:latest" >/dev/null 2>&1 || true
  kill_at 600 apply -f "$work/run/job.yaml"
  check_store
  again apply -f "$work/run/job.yaml"
done
hidden=$(find "$work/run/repo/containers" -maxdepth 1 -name '.*' | wc -l)
temps=$(find "$work/run/repo/containers" -name '*.udocker-patch*' -o -name '*.udocker-link' | wc -l)
held=$(held_locks)
echo "kill -9: $kills operations killed (pull, create, setup, apply: $n each)"
echo "verify after the kills: $verify_ok ok, $verify_bad failed"
echo "the same operation again: $again_ok completed, $again_bad failed"
echo "left behind afterwards: $hidden hidden container directories, $temps temporary files, $held locks held"
[ "$verify_bad" = 0 ] && [ "$again_bad" = 0 ] && [ "$hidden" = 0 ] && [ "$temps" = 0 ] && [ "$held" = 0 ]
