#!/usr/bin/env bash
# Job specs: every error of a file in one validate run, alias typos, the
# shell-variable hint, examples valid as shipped, plan blocking what apply
# would fail on; the pull display on a terminal (pseudo-terminal).
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"
PTY="$UD_SRC/tests/functional/pty_run.py"
LINES_OF="$UD_SRC/tests/functional/pty_lines.py"
err_line() { grep -qxF -- "$1" <<<"$ERR"; } # a line of stderr is exactly $1

# Every error of the file, each on its own Error: line, in file order.
cat >bad.yaml <<'EOY'
version: 1
images:
  tools: {ref: busybox:latest}
volumes:
  d: {host: /tmp, paht: /x}
containers:
  a:
    image: tols
    exemode: P1
    workdir: rel
    commands:
      - "for f in *; do echo ${f}; done"
      - ["echo", "${g}"]
  b:
    image: tools
    execmode: F9
    volumes: [nope, d]
    user: ""
EOY
expect_fail "validate: a spec with many errors" 1 "bad.yaml" validate -f bad.yaml
check "validate reports all 10 errors" [ "$(grep -c '^Error: bad.yaml:' <<<"$ERR")" = 10 ]
check "... a missing key" err_line "Error: bad.yaml:5:3: volume 'd': missing key 'path'"
check "... an unknown key of the same item" err_line "Error: bad.yaml:5:19: unknown key 'paht' in volume 'd' (did you mean 'path'?)"
check "... an alias typo, with the suggestion" err_line "Error: bad.yaml:8:12: container 'a': image 'tols' is not an alias in images: (did you mean 'tools'?); for the registry's image write 'tols:latest'"
check "... an unknown key" err_line "Error: bad.yaml:9:5: unknown key 'exemode' in container 'a' (did you mean 'execmode'?)"
check "... a relative workdir" err_line "Error: bad.yaml:10:14: container 'a': workdir: found 'rel', expected an absolute path"
check "... \${f} in a shell command, with the hint" err_line "Error: bad.yaml:12:30: container 'a': commands: variable 'f' is not set (for the shell's variable write \$\${f} or \$f)"
check "... \${g} in an argument list" err_line "Error: bad.yaml:13:19: container 'a': commands: variable 'g' is not set (for a literal '\${g}' write \$\${g})"
check "... a bad mode" err_line "Error: bad.yaml:16:15: container 'b': execmode: found 'F9', expected one of auto, N1, P1, P2, F1, F2, F3, F4, R1, R2, R3, S1"
check "... an unknown volume name" err_line "Error: bad.yaml:17:15: container 'b': no volume named 'nope' in volumes:, expected a volume name or HOST:CONTAINER[:ro]"
check "... an empty user" err_line "Error: bad.yaml:18:11: container 'b': user: found '', expected NAME, UID or UID:GID"
check "... volume 'd' (broken) is not called unknown" err_lacks "no volume named 'd'"
check "... in file order" bash -c 'diff <(grep -o "^Error: bad.yaml:[0-9]*" <<<"$1") <(grep -o "^Error: bad.yaml:[0-9]*" <<<"$1" | sort -t: -k3,3n -s)' _ "$ERR"

# The alias typo alone, and what is fine.
cat >typo.yaml <<'EOY'
version: 1
images:
  tools: {ref: busybox:latest}
containers:
  c: {image: tols}
EOY
expect_fail "an image one edit from an alias is an error" 1 "typo.yaml:5:14: container 'c': image 'tols' is not an alias in images: (did you mean 'tools'?)" validate -f typo.yaml
sed -i 's/image: tols}/image: "tols:latest"}/' typo.yaml
expect_ok "... written with its tag, it is the registry's image" validate -f typo.yaml
sed -i 's/image: "tols:latest"}/image: tools}/' typo.yaml
expect_ok "... the alias itself validates" validate -f typo.yaml

# $${f} and $f are how a shell variable is written; both validate.
cat >shell.yaml <<'EOY'
version: 1
containers:
  c:
    image: busybox
    commands:
      - "for f in a b; do echo $${f} $f; done"
EOY
expect_ok "\$\${f} and \$f validate" validate -f shell.yaml

# The examples validate as shipped: no variable set.
for f in "$UD_SRC"/examples/*.yaml "$UD_SRC"/examples/slurm/*.yaml; do
  env -u DEMO_REGISTRY -u SCRATCH -u REGISTRY -u TASK "$UD_BIN" validate -f "$f" >/dev/null 2>"$T_TMP/err"
  RC=$?; OUT=; ERR=$(cat "$T_TMP/err")
  check "example ${f#"$UD_SRC"/examples/} validates with its variables unset" rc_is 0
done

# plan blocks what apply would fail on, and apply then does nothing.
IMG="$UD_FIX_PLAIN/test/busybox:latest"
cat >blocked.yaml <<EOY
version: 1
containers:
  a:
    image: "$IMG"
    volumes: ["$T_TMP/no-such-dir:/x"]
    env_file: missing.env
    commands: [["true"]]
EOY
expect_fail "plan: a missing volume directory and env file block the run" 1 "" plan -f blocked.yaml
check "the run step is blocked" out_has "run    blocked  a"
check "... because of the volume" out_has "invalid host volume path: '$T_TMP/no-such-dir' (for /x): No such file or directory; create it, or set 'create: true' on the volume"
check "... and of the env file" out_has "env file './missing.env': No such file or directory"
check "... at the volume's line" out_has "at blocked.yaml:5:15"
expect_fail "apply refuses it" 2 "invalid host volume path" apply -f blocked.yaml
check "apply pulled nothing before refusing" [ ! -d "$UDOCKER_DIR/repos/$UD_FIX_PLAIN" ]
check "apply created no container" [ -z "$(ls "$UDOCKER_DIR/containers" 2>/dev/null)" ]
ud plan --json -f blocked.yaml
check "plan --json: the run is blocked" bash -c '/usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); r=[s for s in d[\"steps\"] if s[\"kind\"]==\"run\"][0]; assert r[\"state\"]==\"blocked\", r; assert \"env file\" in r[\"reason\"], r" <<<"$1"' _ "$OUT"
printf 'A=1\n' >missing.env
sed -i "s|\"$T_TMP/no-such-dir:/x\"|made|; s|^containers:|volumes:\n  made: {host: \"$T_TMP/made\", path: /x, create: true}\ncontainers:|" blocked.yaml
expect_ok "with create: true and the env file there, plan is not blocked" plan -f blocked.yaml
check "... the run is to do" out_has "run    to do    a"

# The pull display: only on a terminal (stderr), as wide as it is.
ud pull "$IMG"
check "pull without a terminal: no escape sequence on stderr" err_lacks $'\033'
check "... no summary line" err_lacks "MB in"
export UDOCKER_DIR="$T_TMP/repo-tty"
# The display's lines, not the log's (Info:, Warning: are on stderr too).
progress_lines() { "$LINES_OF" "$1" ${2:+"$2"} | grep -E 'MB|already present' | grep -vE '^(Info|Warning|Error): '; }
longest() { progress_lines "$@" | awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }'; }
/usr/bin/python3 "$PTY" 40 0 pull40.err "$UD_BIN" pull "$UD_FIX_PLAIN/test/layers:latest" >pull40.out
RC=$?; OUT=$(cat pull40.out); ERR=$("$LINES_OF" pull40.err)
check "pull on a 40-column terminal" rc_is 0
check "... a progress bar was drawn" bash -c 'progress_lines() { "$1" "$2" | grep -E "MB|already present"; }; progress_lines "$1" pull40.err | grep -q "\["' _ "$LINES_OF"
check "... no line of it is 40 columns or more (longest: $(longest pull40.err))" [ "$(longest pull40.err)" -lt 40 ]
check "... a summary line: size and time" bash -c 'grep -Eq "layers:latest: [0-9]+\.[0-9] MB in [0-9]+\.[0-9]s$" <<<"$1"' _ "$ERR"
check "... nothing of it on stdout: no escape sequence" bash -c '! grep -q $'"'"'\033'"'"' pull40.out'
check "... nothing of it on stdout: no bar" bash -c '! grep -q "MB" pull40.out'
/usr/bin/python3 "$PTY" 40 0 quiet.err "$UD_BIN" -q pull "$UD_FIX_PLAIN/test/layers:latest" >/dev/null
check "-q: no display" [ ! -s quiet.err ]
/usr/bin/python3 "$PTY" 40 0 again.err "$UD_BIN" pull "$UD_FIX_PLAIN/test/layers:latest" >/dev/null
ERR=$("$LINES_OF" again.err)
check "pull again: the summary says already present" bash -c 'grep -Eq "layers:latest: already present$" <<<"$1"' _ "$ERR"
/usr/bin/python3 "$PTY" 40 0 run.err "$UD_BIN" run "$IMG" /bin/echo ran-it >run.out
ERR=$("$LINES_OF" run.err)
check "run IMAGE shows the pull it triggers" bash -c 'grep -Eq "busybox:latest: [0-9]+\.[0-9] MB in [0-9]+\.[0-9]s$" <<<"$1"' _ "$ERR"
check "... lines fit (longest: $(longest run.err))" [ "$(longest run.err)" -lt 40 ]
check "... the command's stdout is only its output" [ "$(cat run.out)" = ran-it ]
cat >tty.yaml <<EOY
version: 1
images:
  a: {ref: "$UD_FIX_PLAIN/test/busybox:latest"}
  b: {ref: "$UD_FIX_PLAIN/test/entry:latest"}
EOY
/usr/bin/python3 "$PTY" 40 0 apply.err "$UD_BIN" apply -f tty.yaml >/dev/null
ERR=$("$LINES_OF" apply.err)
check "apply: the present image's line" bash -c 'grep -Eq "busybox:latest: already present$" <<<"$1"' _ "$ERR"
check "apply: the pulled image's line" bash -c 'grep -Eq "entry:latest: [0-9]+\.[0-9] MB in [0-9]+\.[0-9]s$" <<<"$1"' _ "$ERR"
check "... lines fit (longest: $(longest apply.err))" [ "$(longest apply.err)" -lt 40 ]
/usr/bin/python3 "$PTY" 12 0 narrow.err "$UD_BIN" pull "$UD_FIX_PLAIN/test/entry:latest" >/dev/null
check "a 12-column terminal: lines fit (longest: $(longest narrow.err))" [ "$(longest narrow.err)" -lt 12 ]
# Widths where the label would be cut to 3 columns or less: no label, and
# the bar starts the line (no lone " [").
for cols in 21 22 23; do
  UDOCKER_DIR="$T_TMP/repo-cols$cols" /usr/bin/python3 "$PTY" "$cols" 0 "cols$cols.err" \
    "$UD_BIN" pull "$UD_FIX_PLAIN/test/entry:latest" >/dev/null
  check "a $cols-column terminal: a bar was drawn" bash -c '"$1" "$2" | grep -q "MB"' _ "$LINES_OF" "cols$cols.err"
  check "a $cols-column terminal: no progress line starts with a space" \
    bash -c '! "$1" "$2" | grep "MB" | grep -q "^ "' _ "$LINES_OF" "cols$cols.err"
  check "a $cols-column terminal: lines fit (longest: $(longest "cols$cols.err"))" [ "$(longest "cols$cols.err")" -lt "$cols" ]
done
# A resize while the bar is drawn: the next lines fit the new width.
export UDOCKER_DIR="$T_TMP/repo-winch"
/usr/bin/python3 "$PTY" 100 30 winch.err "$UD_BIN" pull "$UD_FIX_FAULTY/fault/slowblob:latest" >/dev/null 2>winch.log
at=$(sed -n 's/^resized-at //p' winch.log)
if [ -n "$at" ] && [ "$(progress_lines winch.err "$at" | grep -c '\[')" -gt 0 ]; then
  check "before the resize the bar used the width (longest: $(longest winch.err))" [ "$(longest winch.err)" -gt 40 ]
  check "after SIGWINCH the lines fit 30 columns (longest: $(longest winch.err "$at"))" [ "$(longest winch.err "$at")" -lt 30 ]
else
  skip "the slow blob was pulled before a bar could be resized"
fi
finish
