#!/usr/bin/env bash
# Output a script can use (issue 12): data on stdout and everything else on
# stderr, udocker 1.3.16's images/ps columns, --json with stable keys,
# login that never waits for input that cannot come, the exit status
# table, containers that udocker 1.3.16 can still run, and documentation
# that cannot drift from the binary.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"
P=$UD_FIX_PLAIN
B="$P/test/busybox"
UUID='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'

# --- stdout is data ----------------------------------------------------
# On a fresh repository: creating it, pulling and creating all say so on
# stderr; stdout is the id alone.
check "the repository does not exist yet" [ ! -e "$UDOCKER_DIR" ]
ud create "$B"
check "create on a fresh repository succeeds" rc_is 0
check "create on a fresh repository: stdout is exactly one id" grep -qxE "$UUID" <<<"$OUT"
check "create on a fresh repository: stdout is one line" [ "$(printf '%s\n' "$OUT" | wc -l)" = 1 ]
check "create on a fresh repository: 'creating repo' is on stderr" err_has "Info: creating repo: $UDOCKER_DIR"
check "create: no Info line on stdout" out_lacks "Info:"
ud pull "$B"
check "pull: nothing on stdout" out_is ""
check "pull: its lines on stderr" err_has "Info: pull "
ID=$("$UD_BIN" create "$B" 2>/dev/null)
check 'ID=$(udocker create IMAGE) captures exactly an id' grep -qxE "$UUID" <<<"$ID"

# apply: step, summary and failure lines on stderr; stdout is the commands'.
cat >out.yaml <<EOY
version: 1
images:
  tools: {ref: "$B:latest"}
containers:
  job:
    image: tools
    commands:
      - "echo out-1; echo err-1 >&2"
      - ["echo", "out-2"]
EOY
ud apply -f out.yaml
check "apply succeeds" rc_is 0
check "apply: stdout is exactly the commands' stdout" out_is "$(printf 'out-1\nout-2')"
check "apply: the commands' stderr stays on stderr" err_has "err-1"
check "apply: step lines are on stderr" err_has "Info: create job:"
check "apply: the summary line is on stderr" err_has "Info: done: "
sed -e 's|      - \["echo", "out-2"\]|      - "echo before; exit 3"\n      - ["echo", "never"]|' out.yaml >fail.yaml
ud apply -f fail.yaml
check "apply with a failing command: its status is apply's" rc_is 3
check "apply with a failing command: stdout is exactly the commands' stdout" \
  out_is "$(printf 'out-1\nbefore')"
check "apply with a failing command: reported on stderr as an error" \
  err_has "Error: container job: command 2 exited with status 3"
ud run "$B" /bin/sh -c 'echo ran; exit 4'
check "run IMAGE passes the command's status through" rc_is 4
check "run IMAGE: stdout is exactly the command's" out_is "ran"
check "run IMAGE: a failing command is no udocker error" err_lacks "Error:"

# --- images and ps: udocker 1.3.16's columns ------------------------------
ud images
check "images: header and NAME:TAG, 4 spaces, '.' (1.3.16)" \
  out_is "$(printf 'REPOSITORY\n%s:latest    .' "$B")"
ud -q images
check "images with -q: no header" out_is "$B:latest    ."
ud images -p
check "images -p: platform in 18 columns first" \
  out_is "$(printf 'REPOSITORY\n%-18.18s . %s:latest' linux/amd64 "$B")"
ud protect "$B"
ud images
check "images: a protected image shows P" out_line "$B:latest    P"
ud unprotect "$B"

# One container, then exact ps lines (1.3.16's formats, trailing padding
# included).
for c in $(ls "$UDOCKER_DIR/containers"); do "$UD_BIN" rm "$c" >/dev/null 2>&1; done
ud create --name=named "$B"
cid=$OUT
ud ps
check "ps: the header" \
  [ "$(head -1 <<<"$OUT")" = "$(printf '%-36.36s P M %-18s %-20.20s' 'CONTAINER ID' NAMES IMAGE)" ]
check "ps: the row, NAMES as a list" \
  [ "$(sed -n 2p <<<"$OUT")" = "$(printf "%-36.36s . W %-18.100s %-20.100s" "$cid" "['named']" "$B:latest")" ]
ud ps -m
check "ps -m: the header" \
  [ "$(head -1 <<<"$OUT")" = "$(printf '%-36.36s P M MOD %-18s %-20.20s' 'CONTAINER ID' NAMES IMAGE)" ]
check "ps -m: the mode in 2 columns and a space" \
  [ "$(sed -n 2p <<<"$OUT")" = "$(printf "%-36.36s . W %2.2s %-18.100s %-20.100s" "$cid" N1 "['named']" "$B:latest")" ]
ud ps -s
size=$(du -s -m -x "$UDOCKER_DIR/containers/$cid/ROOT" | cut -f1)
check "ps -s: the header" \
  [ "$(head -1 <<<"$OUT")" = "$(printf '%-36.36s P M SIZE %-18s %-20.20s' 'CONTAINER ID' NAMES IMAGE)" ]
check "ps -s: the size right-aligned in 5 columns and a space" \
  [ "$(sed -n 2p <<<"$OUT")" = "$(printf "%-36.36s . W %5.5s %-18.100s %-20.100s" "$cid" "$size" "['named']" "$B:latest")" ]
ud rmname named
ud ps
check "ps: no names print as [] (1.3.16)" \
  [ "$(sed -n 2p <<<"$OUT")" = "$(printf "%-36.36s . W %-18.100s %-20.100s" "$cid" "[]" "$B:latest")" ]
ud name "$cid" named

# --- --json --------------------------------------------------------------
keys() { /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); d=d[0] if isinstance(d,list) else d; print(" ".join(sorted(d)))'; }
ud images --json
check "images --json succeeds" rc_is 0
check "images --json: the documented keys" \
  [ "$(keys <<<"$OUT")" = "directory files name platform protected reference tag" ]
check "images --json: the values" /usr/bin/python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert len(d) == 1 and d[0]["reference"] == sys.argv[2] + ":latest", d
assert d[0]["tag"] == "latest" and d[0]["protected"] is False and d[0]["platform"] == "linux/amd64"
assert all(set(f) == {"file", "size"} and f["size"] > 0 for f in d[0]["files"])' "$OUT" "$B"
json=$OUT
ud images --format json
check "images --format json is --json" out_is "$json"
ud images --format=json
check "images --format=json is --json" out_is "$json"
expect_fail "images --format=xml is a usage error" 1 "images: unknown format: xml" images --format=xml
ud ps --json
check "ps --json: the documented keys" \
  [ "$(keys <<<"$OUT")" = "directory ephemeral execmode id image image_file names platform protected root rootfs size_mb" ]
check "ps --json: the values" /usr/bin/python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert [c["id"] for c in d] == [sys.argv[2]] and d[0]["names"] == ["named"], d
assert d[0]["root"] == "writable" and d[0]["execmode"] == "N1" and d[0]["size_mb"] is None' "$OUT" "$cid"
ud ps -s --format=json
check "ps -s --format=json: size_mb" /usr/bin/python3 -c '
import json, sys; assert json.loads(sys.argv[1])[0]["size_mb"] == int(sys.argv[2])' "$OUT" "$size"
ud inspect --json "$B"
check "inspect --json IMAGE: the documented keys" \
  [ "$(keys <<<"$OUT")" = "config directory kind layers name platform protected reference tag" ]
check "inspect --json IMAGE: kind, config and layers" /usr/bin/python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["kind"] == "image" and "config" in d["config"] and d["layers"], d
assert all(l["digest"].startswith("sha256:") and l["size"] > 0 for l in d["layers"])' "$OUT"
ud inspect --format=json named
check "inspect --format=json CONTAINER: the documented keys" \
  [ "$(keys <<<"$OUT")" = "config directory ephemeral execmode id image image_file kind names protected root rootfs upper" ]
check "inspect --json CONTAINER: kind, id, ROOT" /usr/bin/python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["kind"] == "container" and d["id"] == sys.argv[2] and d["root"].endswith(sys.argv[2] + "/ROOT"), d' "$OUT" "$cid"
ud inspect "$B"
check "inspect without --json is still the configuration (1.3.16)" \
  /usr/bin/python3 -c 'import json,sys; assert "config" in json.loads(sys.argv[1]) and "kind" not in json.loads(sys.argv[1])' "$OUT"
ud plan --json -f out.yaml
pj=$OUT
check "plan --json: steps and blocked" [ "$(keys <<<"$pj")" = "blocked steps" ]
ud plan --format=json -f out.yaml
check "plan --format=json is plan --json" out_is "$pj"

# --- login never waits ---------------------------------------------------
# stdin a FIFO that stays open (this shell holds its write end): a prompt
# would wait until timeout kills it (124).
mkfifo stdin.fifo
exec 7<>stdin.fifo
timeout 10 "$UD_BIN" login --username=u --registry="$P" <&7 >"$T_TMP/out" 2>"$T_TMP/err"
RC=$?; OUT=$(cat "$T_TMP/out"); ERR=$(cat "$T_TMP/err")
check "login without a password nor a terminal fails at once (not killed by timeout)" rc_is 1
check "login without a password nor a terminal says why" \
  err_has "Error: login: no password given and standard input is not a terminal (use --password=PASS or --password-stdin)"
timeout 10 "$UD_BIN" login --registry="$P" <&7 >"$T_TMP/out" 2>"$T_TMP/err"
RC=$?; OUT=$(cat "$T_TMP/out"); ERR=$(cat "$T_TMP/err")
check "login without a username nor a terminal fails at once" rc_is 1
check "login without a username nor a terminal says why" \
  err_has "no username given and standard input is not a terminal (use --username=USER)"
exec 7>&-
printf '%s\n' "$UD_FIX_PASS" | { timeout 10 "$UD_BIN" login --username="$UD_FIX_USER" --password-stdin \
  --registry="$UD_FIX_BASIC" >"$T_TMP/out" 2>"$T_TMP/err"; echo $? >"$T_TMP/rc"; }
RC=$(cat "$T_TMP/rc"); OUT=$(cat "$T_TMP/out"); ERR=$(cat "$T_TMP/err")
check "login --password-stdin still reads a pipe" rc_is 0

# --- exit status table ---------------------------------------------------
ud help
check "help prints the exit status table" out_has "128+N  a container command killed by signal N"
expect_fail "exit 1: an invalid command" 1 "invalid command" nosuchcommand
expect_fail "exit 1: an unknown option" 1 "syntax error" ps --nosuchoption
expect_fail "exit 1: a missing container" 1 "" rm nosuchcontainer
expect_fail "exit 1: a missing image" 1 "" inspect "$P/test/nosuchimage:latest"
expect_fail "exit 1: a pull of an image the registry lacks" 1 "" pull "$P/test/nosuchimage:latest"
printf 'version: 1\nnosuchkey: 1\n' >bad.yaml
expect_fail "exit 1: an invalid spec" 1 "" validate -f bad.yaml
expect_fail "exit 2: a command that is not in the container" 2 "" run named /no/such/command
ud run named /bin/sh -c 'exit 7'
check "exit N: the command's own status" rc_is 7
ud run named /bin/sh -c 'kill -9 $$'
check "exit 128+N: the command killed by signal N" rc_is 137

# --- a repository shared with udocker 1.3.16 -----------------------------
# 1.3.16 reads containers/ID/execmode and refuses a mode it does not know
# (N1); without the file it runs its own default.
ok1316() { # the execmode file is absent, or names a mode 1.3.16 knows
  [ ! -e "$1/execmode" ] || grep -qxE 'P1|P2|F1|F2|F3|F4|R1|R2|R3|S1' "$1/execmode"
}
d1="$UDOCKER_DIR/containers/$cid"
ud run named /bin/true
check "create + run (auto N1): execmode is what 1.3.16 accepts" ok1316 "$d1"
check "create + run (auto N1): no execmode file" [ ! -e "$d1/execmode" ]
check "create + run: the automatic choice is kept in execmode.auto" [ "$(cat "$d1/execmode.auto")" = N1 ]
ud setup named
check "setup shows the automatic choice" out_is "$(printf 'execmode: N1\nnvidiamode: False')"
ud run "$B" /bin/true
ud ps --json
check "run IMAGE: every container's execmode is what 1.3.16 accepts" /usr/bin/python3 -c '
import json, os, re, sys
for c in json.loads(sys.argv[1]):
    p = os.path.join(c["directory"], "execmode")
    assert not os.path.exists(p) or re.fullmatch(r"P[12]|F[1-4]|R[1-3]|S1", open(p).read().strip()), p' "$OUT"
expect_ok "setup --execmode=P1" setup --execmode=P1 named
check "an explicit mode is written to execmode, as 1.3.16 does" [ "$(cat "$d1/execmode")" = P1 ]
check "an explicit mode replaces the automatic choice" [ ! -e "$d1/execmode.auto" ]
expect_ok "setup --execmode=auto" setup --execmode=auto named
check "setup --execmode=auto (N1 here): execmode removed again" [ ! -e "$d1/execmode" ]
ud run named /bin/sh -c 'echo back'
check "the container still runs here after auto" out_is "back"

# --- documentation ---------------------------------------------------------
man="$UD_SRC/docs/udocker.1"
readme="$UD_SRC/README.md"
OUT=$(/usr/bin/python3 "$UD_SRC/tests/functional/doccheck.py" "$UD_BIN" "$man" "$readme" 2>&1); RC=$?; ERR=
check "the man page has every command and option of the help texts; help, man page and README list the same variables and exit codes" rc_is 0
# The checker notices what is missing.
sed 's/\\-\\-tocontainer/\\-\\-elsewhere/g' "$man" >man-missing.1
OUT=$(/usr/bin/python3 "$UD_SRC/tests/functional/doccheck.py" "$UD_BIN" man-missing.1 "$readme" 2>&1); RC=$?; ERR=
check "doccheck: an option missing from the man page is reported" out_has "command import: option --tocontainer not in its man page entry"
grep -v 'UDOCKER_LOCK_TIMEOUT' "$readme" >readme-missing.md
OUT=$(/usr/bin/python3 "$UD_SRC/tests/functional/doccheck.py" "$UD_BIN" "$man" readme-missing.md 2>&1); RC=$?; ERR=
check "doccheck: a variable missing from README is reported" out_has "variable UDOCKER_LOCK_TIMEOUT: only in udocker help (help vs README)"
sed '/^\.SH EXIT STATUS/,/^\.SH ENVIRONMENT/{/^128+N$/d}' "$man" >man-codes.1
OUT=$(/usr/bin/python3 "$UD_SRC/tests/functional/doccheck.py" "$UD_BIN" man-codes.1 "$readme" 2>&1); RC=$?; ERR=
check "doccheck: an exit status missing from the man page is reported" out_has "exit status: help has"

finish
