#!/usr/bin/env bash
# cwltool's udocker mode (Debian 12's cwltool) with this udocker: cwltool's
# own udocker tests (tests/test_udocker.py, its fixture pointed at $UD_BIN),
# and CWL CommandLineTools with DockerRequirement: files in and out through
# volumes, --workdir, --env, stdout capture, exit codes, a scatter run in
# parallel. cwltool calls `udocker images --no-trunc --all`, `udocker pull
# IMAGE` and `udocker [--quiet] run --nobanner --volume=SRC:DST --workdir=DIR
# --rm --env=K=V IMAGE CMD...`. The images are the Debian fixture under the
# names the tests use (debian:stable-slim, docker.io/bash:4.4), served by the
# plain registry as a Docker Hub mirror would (UDOCKER_REGISTRY).
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"
if [ "${UD_TEST_BIG:-0}" != 1 ]; then
  skip "cwltool: needs the Debian image (UD_TEST_BIG=1)"
  finish
  exit $?
fi
ctests=/usr/lib/python3/dist-packages/cwltool/tests
if ! command -v cwltool >/dev/null || ! /usr/bin/python3 -c 'import pytest' 2>/dev/null ||
  [ ! -f "$ctests/test_udocker.py" ]; then
  skip "cwltool: cwltool, python3-pytest or cwltool's tests are not installed"
  finish
  exit $?
fi
export UDOCKER_REGISTRY="http://$UD_FIX_PLAIN"

# The names cwltool's tests pull, from the mirror: library/NAME for a
# one-component name, docker.io/ names there too.
expect_ok "pull debian:stable-slim from UDOCKER_REGISTRY" pull debian:stable-slim
check "... the manifest is library/debian:stable-slim's" \
  [ "$(digest_of "$UDOCKER_DIR/repos/debian/stable-slim/manifest")" = "$UD_FIX_DIGEST_library_debian" ]
printf '[DEFAULT]\ndockerio_registry_url = http://%s\n' "$UD_FIX_PLAIN" >"$T_TMP/hub.conf"
UDOCKER_REGISTRY= ud --config="$T_TMP/hub.conf" pull docker.io/bash:4.4
check "dockerio_registry_url: pull docker.io/bash:4.4 from the mirror" rc_is 0
check "... the manifest is library/bash:4.4's" \
  [ "$(digest_of "$UDOCKER_DIR/repos/docker.io/bash/4.4/manifest")" = "$UD_FIX_DIGEST_library_bash" ]
# What cwltool lists to find an image: accepted, the same listing (every tag
# is listed and nothing is truncated anyway).
ud images
plain=$OUT
expect_ok "images --no-trunc --all is accepted" images --no-trunc --all
check "... and lists what images lists" out_is "$plain"
check "... debian:stable-slim among them" out_line "debian:stable-slim    ."

# cwltool's own udocker tests. Their fixture downloads udocker 1.3.5 from
# GitHub: its body is replaced by our binary's path, nothing else changes.
ct=$T_TMP/ct
mkdir -p "$ct"
cp -r "$ctests" "$ct/tests"
rm -rf "$ct/tests/__pycache__"
printf '[pytest]\n' >"$ct/pytest.ini"
/usr/bin/python3 - "$ct/tests/test_udocker.py" >"$T_TMP/out" 2>"$T_TMP/err" <<'EOF'
import ast, sys
path = sys.argv[1]
src = open(path).read()
lines = src.splitlines(True)
found = [n for n in ast.parse(src).body if isinstance(n, ast.FunctionDef) and n.name == "udocker"]
if len(found) != 1:
    sys.exit("no udocker fixture in " + path)
body = found[0].body
doc = isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
first = body[1].lineno if doc and len(body) > 1 else body[0].lineno
lines[first - 1:found[0].end_lineno] = ['    return os.environ["UD_BIN"]\n']
open(path, "w").write("".join(lines))
EOF
RC=$?
OUT=$(cat "$T_TMP/out")
ERR=$(cat "$T_TMP/err")
check "cwltool's udocker fixture pointed at our binary" rc_is 0
# The file's tests are cwltool 3.1's three.
names=$(grep -o '^def test_[A-Za-z0-9_]*' "$ct/tests/test_udocker.py" | sed 's/^def //' | sort | tr '\n' ' ')
check "cwltool's test_udocker.py: cwltool 3.1's three tests ($names)" \
  [ "$names" = "test_udocker_nobanner test_udocker_should_display_memory_usage test_udocker_usage_should_not_write_cid_file " ]
# ctest ROOTFS [pytest options]: cwltool's udocker tests, UDOCKER_ROOTFS=ROOTFS.
ctest() {
  local rootfs=$1
  shift
  (cd "$ct" && UD_BIN="$UD_BIN" UDOCKER_ROOTFS=$rootfs /usr/bin/python3 -m pytest -p no:cacheprovider \
    -rA --tb=line "$@" tests/test_udocker.py) >"$T_TMP/out" 2>"$T_TMP/err"
  RC=$?
  # A failure shows what failed: the end of the report, not its start.
  OUT=$(grep -E '^(PASSED|FAILED|ERROR|SKIPPED|=+ )|Error' "$T_TMP/out" | tail -c 1900)
  ERR=$(cat "$T_TMP/err")
}
# With directory containers: test_udocker_should_display_memory_usage runs
# `sleep 10` under a 15 s TimeLimit that also counts `run --rm`'s create,
# which extracts the Debian image's 6,657 files (3-9 s on this host's disk):
# it is run below with image-backed containers, whose create is O(1).
slow=test_udocker_should_display_memory_usage
ctest dir --deselect "tests/test_udocker.py::$slow"
check "cwltool's test_udocker.py, directory containers: pytest succeeds" rc_is 0
check "... 2 passed, the time-limited one left for image-backed containers" \
  grep -Eq "^=+ 2 passed, 1 deselected(, [0-9]+ warnings?)? in " "$T_TMP/out"
for t in test_udocker_usage_should_not_write_cid_file test_udocker_nobanner; do
  check "... $t passed" grep -q "^PASSED tests/test_udocker.py::$t" "$T_TMP/out"
done
# With image-backed containers (UDOCKER_ROOTFS=squash, as a site would set
# for cwltool): every test of the file.
ctest squash
check "cwltool's test_udocker.py, image-backed containers: pytest succeeds" rc_is 0
check "... 3 of 3 passed, none deselected or skipped" \
  grep -Eq "^=+ 3 passed(, [0-9]+ warnings?)? in " "$T_TMP/out"
for t in test_udocker_usage_should_not_write_cid_file $slow test_udocker_nobanner; do
  check "... $t passed" grep -q "^PASSED tests/test_udocker.py::$t" "$T_TMP/out"
done

# Our tools.
w=$T_TMP/cwl
mkdir -p "$w"
cd "$w"
# cwl [cwltool options] TOOL [inputs]: OUT is cwltool's JSON, ERR its log.
cwl() {
  cwltool --user-space-docker-cmd="$UD_BIN" "$@" >"$T_TMP/out" 2>"$T_TMP/err"
  RC=$?
  OUT=$(cat "$T_TMP/out")
  ERR=$(cat "$T_TMP/err")
}
# cwltool's verdict on the last run, its log's colours taken out.
final() { sed 's/\x1b\[[0-9;]*m//g' <<<"$ERR" | grep -o 'Final process status is [A-Za-z]*'; }
status_is() { [ "$(final)" = "Final process status is $1" ]; }

cat >cat.cwl <<'EOF'
cwlVersion: v1.2
class: CommandLineTool
requirements:
  DockerRequirement: {dockerPull: debian:stable-slim}
baseCommand: cat
inputs:
  src: {type: File, inputBinding: {position: 1}}
stdout: copy.txt
outputs:
  copy: stdout
EOF
printf 'line one\nline two\n' >"in put.txt"
cwl --relax-path-checks --outdir "$w/o-cat" cat.cwl --src "in put.txt"
check "cat: a file with a space in its name, in through a volume" rc_is 0
check "cat: stdout captured exactly" cmp -s "in put.txt" "$w/o-cat/copy.txt"
mkdir -p "d:x y"
printf 'colon\n' >"d:x y/a:b c.txt"
cwl --relax-path-checks --outdir "$w/o-colon" cat.cwl --src "d:x y/a:b c.txt"
check "cat: a file with ':' and spaces in its path (--volume=/h/d:x y/a:b c.txt:/var/lib/cwl/stg../a:b c.txt)" rc_is 0
check "cat: ... its contents exactly" cmp -s "d:x y/a:b c.txt" "$w/o-colon/copy.txt"

cat >where.cwl <<'EOF'
cwlVersion: v1.2
class: CommandLineTool
requirements:
  DockerRequirement: {dockerPull: debian:stable-slim}
baseCommand: [sh, -c, 'printf "%s\n%s\n%s\n" "$(pwd)" "$HOME" "$0" > where.txt']
arguments: [$(runtime.outdir)]
inputs: []
outputs:
  where: {type: File, outputBinding: {glob: where.txt}}
EOF
cwl --outdir "$w/o-where" where.cwl
check "workdir: the tool runs" rc_is 0
mapfile -t where <"$w/o-where/where.txt"
check "workdir: the output directory is a directory below / (${where[2]:-})" grep -Eq '^/[A-Za-z0-9_]+$' <<<"${where[2]:-}"
check "workdir: --workdir is the working directory (${where[0]:-})" [ "${where[0]:-}" = "${where[2]:-}" ]
check "workdir: --env=HOME= is HOME (${where[1]:-})" [ "${where[1]:-}" = "${where[2]:-}" ]

cat >env.cwl <<'EOF'
cwlVersion: v1.2
class: CommandLineTool
requirements:
  DockerRequirement: {dockerPull: debian:stable-slim}
  EnvVarRequirement:
    envDef:
      GREETING: hello world
      WITH_EQ: "a=b c"
baseCommand: [sh, -c, 'printf "%s|%s|%s\n" "$GREETING" "$WITH_EQ" "$TMPDIR"']
inputs: []
stdout: env.txt
outputs:
  env: stdout
EOF
cwl --outdir "$w/o-env" env.cwl
check "env: EnvVarRequirement through --env" rc_is 0
check "env: values with spaces and '=', and TMPDIR, exactly" [ "$(cat "$w/o-env/env.txt")" = "hello world|a=b c|/tmp" ]
# Without --quiet (cwltool --debug leaves it out) stdout is still only the tool's.
cwl --debug --outdir "$w/o-envd" env.cwl
check "env: --debug (udocker run without --quiet)" rc_is 0
check "env: ... stdout is the tool's only" [ "$(cat "$w/o-envd/env.txt")" = "hello world|a=b c|/tmp" ]

cat >exit.cwl <<'EOF'
cwlVersion: v1.2
class: CommandLineTool
requirements:
  DockerRequirement: {dockerPull: debian:stable-slim}
baseCommand: [sh, -c, 'echo ran; exit $0']
successCodes: [0, 3]
temporaryFailCodes: [6]
permanentFailCodes: [4]
inputs:
  code: {type: int, inputBinding: {position: 1}}
stdout: ran.txt
outputs:
  ran: stdout
EOF
for c in "0 success 0" "3 success 0" "4 permanentFail 1" "5 permanentFail 1" "6 temporaryFail 1"; do
  read -r code want wrc <<<"$c"
  cwl --outdir "$w/o-exit$code" exit.cwl --code "$code"
  check "exit $code: cwltool exits $wrc" rc_is "$wrc"
  check "exit $code: $want (the status passed through: $(final))" status_is "$want"
done
check "exit 3 (a success code): its stdout kept" [ "$(cat "$w/o-exit3/ran.txt")" = ran ]

cat >dir.cwl <<'EOF'
cwlVersion: v1.2
class: CommandLineTool
requirements:
  DockerRequirement: {dockerPull: docker.io/bash:4.4}
  InitialWorkDirRequirement:
    listing:
      - entryname: script.sh
        entry: |
          mkdir -p out/sub
          wc -c < "$1" > out/size
          cp "$1" out/sub/copy
          echo made > out/sub/made
baseCommand: [bash, script.sh]
inputs:
  src: {type: File, inputBinding: {position: 1}}
outputs:
  out: {type: Directory, outputBinding: {glob: out}}
EOF
cwl --relax-path-checks --outdir "$w/o-dir" dir.cwl --src "in put.txt"
check "dir: docker.io/bash:4.4, a generated script, a Directory output" rc_is 0
check "dir: the files the tool made, exactly" [ "$(cd "$w/o-dir" && find out | sort | tr '\n' ' ')" = "out out/size out/sub out/sub/copy out/sub/made " ]
check "dir: out/size" [ "$(cat "$w/o-dir/out/size")" = 18 ]
check "dir: out/sub/copy" cmp -s "in put.txt" "$w/o-dir/out/sub/copy"
check "dir: out/sub/made" [ "$(cat "$w/o-dir/out/sub/made")" = made ]

cat >scatter.cwl <<'EOF'
cwlVersion: v1.2
class: Workflow
requirements:
  ScatterFeatureRequirement: {}
inputs:
  words: string[]
outputs:
  said: {type: 'File[]', outputSource: say/out}
steps:
  say:
    run:
      class: CommandLineTool
      requirements:
        DockerRequirement: {dockerPull: debian:stable-slim}
      baseCommand: [sh, -c, 'echo "$0" | tr a-z A-Z']
      inputs:
        word: {type: string, inputBinding: {position: 1}}
      stdout: $(inputs.word).txt
      outputs:
        out: stdout
    scatter: word
    in: {word: words}
    out: [out]
EOF
cwl --parallel --outdir "$w/o-scatter" scatter.cwl --words alpha --words beta --words gamma
check "scatter: three udocker runs at once" rc_is 0
check "scatter: every output, exactly" [ "$(cd "$w/o-scatter" && for f in alpha beta gamma; do cat "$f.txt"; done | tr '\n' ' ')" = "ALPHA BETA GAMMA " ]

# --udocker: the udocker found on PATH.
PATH="$(dirname "$UD_BIN"):$PATH" cwltool --udocker --outdir "$w/o-path" env.cwl >"$T_TMP/out" 2>"$T_TMP/err"
RC=$?
ERR=$(cat "$T_TMP/err")
check "--udocker: udocker from PATH" rc_is 0
check "--udocker: ... the tool's output" [ "$(cat "$w/o-path/env.txt")" = "hello world|a=b c|/tmp" ]

# cwltool runs with --rm: no container is left behind.
ud ps
check "no container left after cwltool's runs (--rm)" [ "$(grep -vc '^CONTAINER ID' <<<"$OUT")" = 0 ]
finish
