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
fast() { [ "$MS" -lt 1000 ]; }
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
  check "deep $kind nesting: answered in under a second (${MS} ms)" fast
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
check "billion laughs: answered in under a second (${MS} ms)" fast
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

# ===================================================== writes inside a container root

finish
