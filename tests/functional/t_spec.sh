#!/usr/bin/env bash
# Job specs: validate (errors with file:line:column), plan (states and
# reasons, text and JSON), apply (a second apply downloads nothing).
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"

cat >job.yaml <<EOY
version: 1
defaults:
  pull: missing
images:
  tools: {ref: "$UD_FIX_PLAIN/test/busybox:latest"}
  pinned:
    ref: "$UD_FIX_PLAIN/oci/busybox"
    digest: "$UD_FIX_DIGEST_oci_busybox"
volumes:
  data: {host: "\${SCRATCH}/data", path: /data, create: true}
containers:
  analysis:
    image: tools
    env: {OMP_NUM_THREADS: "4"}
    volumes: [data, "/etc/hosts:/etc/hosts:ro"]
    workdir: /data
    commands:
      - ["echo", "hello"]
      - "echo \$OMP_NUM_THREADS > /data/omp; ls / | wc -l"
  other:
    image: "$UD_FIX_PLAIN/test/layers:latest"
EOY
export SCRATCH="$T_TMP/scratch"
expect_ok "validate a good spec" validate -f job.yaml
check "validate reports what it found" out_has "2 images, 1 volume, 2 containers"
expect_ok "plan before apply" plan -f job.yaml
check "plan: 3 pulls, 2 creates, 2 setups, 1 run to do" out_has "8 steps: 8 to do, 0 present, 0 blocked"
check "plan says which mode auto picked and why" out_has "auto: N1, user namespaces work"
check "plan says why" out_has "not in the store"
check "plan names where the image is defined" out_has "at job.yaml:5:3"
expect_ok "plan --json" plan --json -f job.yaml
check "plan --json is JSON with states" bash -c '/usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); assert [s[\"kind\"] for s in d[\"steps\"]]==[\"pull\"]*3+[\"create\",\"setup\",\"run\",\"create\",\"setup\"]; assert all(s[\"state\"]==\"todo\" for s in d[\"steps\"])" <<<"$1"' _ "$OUT"
expect_ok "apply" apply -f job.yaml
check "apply downloaded layers" err_has "Info: downloading layer"
check "apply ran the commands inside the container" out_has "hello"
check "a command wrote into a volume with the spec's env" [ "$(cat "$SCRATCH/data/omp")" = 4 ]
check "the pinned image is stored under its digest" \
  [ -f "$UDOCKER_DIR/repos/$UD_FIX_PLAIN/oci/busybox/$UD_FIX_DIGEST_oci_busybox/TAG" ]
expect_ok "plan after apply" plan -f job.yaml
check "plan after apply: only the run is to do" out_has "8 steps: 1 to do, 7 present, 0 blocked"
expect_ok "second apply" apply -f job.yaml
check "second apply downloads nothing" err_lacks "downloading layer"
check "second apply: no pull, create or setup, only the commands" err_has "Info: done: 1 step done, 7 present; 0 blobs downloaded"
check "second apply ran the commands again" out_has "hello"
expect_ok "verify an applied image" verify "$UD_FIX_PLAIN/test/layers:latest"

# Missing blobs are noticed and only they are fetched.
one=$(ls "$UDOCKER_DIR/layers" | grep sha256 | head -1)
rm "$UDOCKER_DIR/layers/$one"
expect_ok "plan with a blob missing" plan -f job.yaml
check "plan: 1 of N blobs missing" out_has "1 of"
expect_ok "apply fetches the missing blob" apply -f job.yaml
check "apply downloaded exactly one blob" err_has "1 blob downloaded"
# A blob damaged in place (same size) is noticed and fetched again.
printf 'X' | dd of="$UDOCKER_DIR/layers/$one" bs=1 seek=100 conv=notrunc 2>/dev/null
expect_ok "plan with a damaged blob" plan -f job.yaml
check "plan: the damaged blob is to do" out_has "1 of"
expect_ok "apply replaces the damaged blob" apply -f job.yaml
check "apply downloaded it again" err_has "1 blob downloaded"
check "the blob matches its digest again" [ "$(digest_of "$UDOCKER_DIR/layers/$one")" = "$one" ]

# pull: never and a missing image -> blocked.
cat >never.yaml <<EOY
version: 1
defaults: {pull: never}
images:
  x: {ref: "$UD_FIX_PLAIN/test/entry:latest"}
EOY
expect_fail "plan with pull never and a missing image is blocked" 1 "" plan -f never.yaml
check "plan says blocked" out_has "blocked"
expect_fail "apply refuses a blocked step" 1 "pull policy is 'never'" apply -f never.yaml

# Interpolation.
cat >vars.yaml <<'EOY'
version: 1
images:
  x: {ref: "${REG}/test/busybox:latest"}
EOY
REG=$UD_FIX_PLAIN ud validate -f vars.yaml
check "\${VAR} from the environment" rc_is 0
expect_fail "unset variable" 1 "vars.yaml:3:13: image 'x': ref: variable 'REG' is not set" validate -f vars.yaml

# Invalid and hostile specs: exit 1, file:line:column, found and expected.
bad() { # name expected-message yaml
  printf '%s\n' "$3" >"$1.yaml"
  expect_fail "invalid spec: $1" 1 "$2" validate -f "$1.yaml"
}
bad typo "typo.yaml:4:5: unknown key 'exemode' in container 'c' (did you mean 'execmode'?)" \
'version: 1
containers:
  c:
    exemode: P1
    image: x/y'
bad mode "mode.yaml:4:15: container 'c': execmode: found 'F9', expected one of auto, N1, P1, P2, F1, F2, F3, F4, R1, R2, R3, S1" \
'version: 1
containers:
  c:
    execmode: F9
    image: x/y'
bad version "version.yaml:1:10: version: found '2', expected 1" 'version: 2
images: {a: {ref: x/y}}'
bad noversion "missing key 'version'" 'images: {a: {ref: x/y}}'
bad empty "the spec is empty" ''
bad list "found a list, expected a mapping" '- a
- b'
bad syntax "syntax.yaml:2:" 'version: 1
images: {a: [}'
bad dup "duplicate key 'version'" 'version: 1
version: 1
images: {a: {ref: x/y}}'
bad alias "YAML aliases (*name) are not supported" 'version: 1
images:
  a: &x {ref: x/y}
  b: *x'
bad digest "digest: found 'sha256:abc', expected sha256:<64 hex digits>" 'version: 1
images:
  a: {ref: x/y, digest: "sha256:abc"}'
bad volume "no volume named 'nope'" 'version: 1
containers:
  c: {image: x/y, volumes: [nope]}'
bad relpath "container path 'data' is relative" 'version: 1
containers:
  c: {image: x/y, volumes: ["/tmp:data"]}'
bad noimage "container 'c': missing key 'image'" 'version: 1
containers:
  c: {workdir: /}'
bad name "invalid name" 'version: 1
containers:
  "a/b": {image: x/y}'
bad nothing "no images and no containers" 'version: 1'
bad tabs "YAML syntax error" "$(printf 'version: 1\nimages:\n\ta: {ref: x}')"
# A billion laughs cannot be written without aliases; a deep nesting bomb:
printf 'version: 1\nimages: %s\n' "$(printf '[%.0s' $(seq 5000))" >deep.yaml
ud validate -f deep.yaml
check "deeply nested input is refused without crashing" [ "$RC" = 1 ]
head -c 2000000 /dev/zero | tr '\0' 'a' >huge.yaml
expect_fail "a spec over 1 MiB is refused" 1 "expected at most" validate -f huge.yaml
printf 'version: 1\nimages:\n  a: {ref: "\xff\xfe"}\n' >utf.yaml
expect_fail "invalid UTF-8 is refused" 1 "utf.yaml" validate -f utf.yaml
expect_fail "a spec that does not exist" 1 "cannot open 'missing.yaml'" validate -f missing.yaml

# The examples shipped with the project validate.
for f in "$UD_SRC"/examples/*.yaml; do
  DEMO_REGISTRY=$UD_FIX_PLAIN SCRATCH=/tmp ud validate -f "$f"
  check "example $(basename "$f") validates" rc_is 0
done
# Eight jobs applying one spec at once into one store: one pull, one
# container, every job runs its command.
cat >many.yaml <<EOY
version: 1
containers:
  shared:
    image: "$UD_FIX_PLAIN/test/layers:latest"
    commands: [["/bin/sh", "-c", "echo ran-in-shared"]]
EOY
export UDOCKER_DIR="$T_TMP/many"
pids=()
for i in 1 2 3 4 5 6 7 8; do
  "$UD_BIN" apply -f many.yaml >"$T_TMP/many$i.out" 2>&1 &
  pids+=($!)
done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
RC=$fails; OUT=$(cat "$T_TMP"/many*.out); ERR=
check "8 concurrent applies of one spec all succeed ($fails failed)" [ "$fails" = 0 ]
check "every job ran its command" [ "$(grep -c ran-in-shared <<<"$OUT")" = 8 ]
check "each blob was downloaded once" [ "$(grep -c 'downloading layer' <<<"$OUT")" = 5 ]
ud ps
check "one container was created: one name" [ "$(grep -c "'shared'" <<<"$OUT")" = 1 ]
check "one container was created: one directory" [ "$(ls "$UDOCKER_DIR/containers" | grep -c -- -)" = 1 ]
expect_ok "the store verifies afterwards" verify "$UD_FIX_PLAIN/test/layers:latest"
export UDOCKER_DIR="$T_TMP/repo"

# The examples run end to end.
export DEMO_REGISTRY=$UD_FIX_PLAIN SCRATCH="$T_TMP/examples"
mkdir -p "$SCRATCH"
ud apply -f "$UD_SRC/examples/hello.yaml"
check "examples/hello.yaml prints from inside the container" out_has "hello from inside a container"
ud apply -f "$UD_SRC/examples/volumes.yaml"
check "examples/volumes.yaml: env, user and a volume" out_has "hello world from uid 1000"
check "... the result is on the host" [ -f "$SCRATCH/udocker-example-out/result.txt" ]
ud apply -f "$UD_SRC/examples/two-containers.yaml"
check "examples/two-containers.yaml: the second container sees the first's output" out_has "checker: 100 numbers"
ud apply -f "$UD_SRC/examples/demo.yaml"
check "examples/demo.yaml" out_has "hello from udocker"

# A failing command stops the job with its status; later commands do not run.
cat >fail.yaml <<EOY
version: 1
containers:
  f:
    image: "$UD_FIX_PLAIN/test/busybox:latest"
    commands:
      - "echo first"
      - "exit 3"
      - "echo never"
EOY
ud apply -f fail.yaml
check "a failing command's status is apply's" rc_is 3
check "commands before it ran" out_has "first"
check "commands after it did not" bash -c '! grep -q never <<<"$1"' _ "$OUT"
cat >badvol.yaml <<EOY
version: 1
containers:
  f:
    image: "$UD_FIX_PLAIN/test/busybox:latest"
    volumes: ["/no/such/host/dir:/x"]
    commands: [["true"]]
EOY
expect_fail "a command that cannot be prepared: exit 2" 2 "invalid host volume path" apply -f badvol.yaml
# The same name made from another image: blocked unless recreate.
cat >other.yaml <<EOY
version: 1
containers:
  f:
    image: "$UD_FIX_PLAIN/test/entry:latest"
    commands: [["/bin/true"]]
EOY
expect_fail "a name bound to another image is refused" 1 "another image" apply -f other.yaml
sed -i 's|    commands:|    recreate: true\n    commands:|' other.yaml
expect_ok "recreate: true replaces it" apply -f other.yaml
# An imported image (v1 layout, no manifest) is recognised again: a second
# apply reuses the container instead of calling it another image's.
mkdir -p impfs/bin && cp /bin/busybox impfs/bin/ && ln -s busybox impfs/bin/true
tar -C impfs -cf impfs.tar .
expect_ok "import a rootfs for a spec" import impfs.tar local/impfs:1
cat >imported.yaml <<EOY
version: 1
containers:
  imp:
    image: "local/impfs:1"
    pull: never
    commands: [["/bin/true"]]
EOY
expect_ok "apply a spec naming an imported image" apply -f imported.yaml
expect_ok "apply it again: the container is reused" apply -f imported.yaml
expect_ok "import the same rootfs again under another tag" import impfs.tar local/impfs:2
sed -i 's|local/impfs:1|local/impfs:2|' imported.yaml
expect_fail "another import is another image" 1 "another image" apply -f imported.yaml
finish
