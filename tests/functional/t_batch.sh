#!/usr/bin/env bash
# Batch use: lock files, apply --stage / --offline, tasks and --task, the
# pull policy "every DURATION", and many applies of one spec at once.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"
P=$UD_FIX_PLAIN
cat >job.yaml <<EOF
version: 1
tasks: 1-4
images:
  box: {ref: "$P/test/busybox:latest", pull: "every 1h"}
volumes:
  results: {host: "$T_TMP/results", path: /out, create: true}
containers:
  work:
    image: box
    volumes: [results]
    commands: ["echo task \${TASK} > /out/task-\${TASK}; echo task \${TASK}"]
EOF

# lock: one manifest request per image; the digest the registry serves.
ud lock -f job.yaml
check "lock succeeds" rc_is 0
check "lock resolves the tag with one manifest request" err_has "1 image locked (1 manifest request)"
check "lock writes FILE.lock with the registry's digest" \
  grep -q "\"digest\": \"$UD_FIX_DIGEST_test_busybox\"" job.yaml.lock

# offline before anything is staged: a clear error naming what to do.
expect_fail "apply --offline with nothing staged says what to stage" 1 \
  "offline: not in the store; stage it first where the registry is reachable: udocker apply --stage -f job.yaml" \
  apply --offline --task 1 -f job.yaml
expect_fail "a spec with tasks needs --task" 1 "has tasks: give --task N" apply -f job.yaml
expect_fail "a task the spec does not list is refused" 1 "task '9' is not one of the spec's tasks (1 ... 4)" \
  apply --task 9 -f job.yaml

# stage: pull, create and set up; run nothing.
ud apply --stage -f job.yaml
check "apply --stage pulls and creates" rc_is 0
check "apply --stage runs nothing: no task output" out_lacks "task "
check "apply --stage runs nothing: no result file" [ ! -e results/task-1 ]
ud plan --offline --task 2 -f job.yaml
check "plan --offline succeeds" rc_is 0
check "plan --offline: everything present" out_has "offline: in the store"
check "plan --offline: the digest from the lock file" out_has "the digest from the lock file"

# offline for real: any registry request would go to a dead proxy.
export HTTPS_PROXY=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9
ud pull "$P/test/busybox:latest"
check "(control: the dead proxy makes registry requests fail)" [ "$RC" != 0 ]
for t in 1 2 3 4; do
  ud apply --offline --task "$t" -f job.yaml
  check "apply --offline --task $t runs without the registry" rc_is 0
  check "apply --offline --task $t: the task's output" out_line "task $t"
  check "apply --offline --task $t: the task's result file" [ "$(cat "results/task-$t")" = "task $t" ]
done
unset HTTPS_PROXY https_proxy

# pull: every 1h: a fresh resolution is reused, an old one is redone.
ud plan --no-lock --task 1 -f job.yaml
check "pull policy every: not resolved yet for the tag, so to do" out_has "pull policy 'every 3600s'"
ud apply --no-lock --task 1 -f job.yaml
ud plan --no-lock --task 1 -f job.yaml
check "pull policy every: resolved just now, so present" out_has "pull   present"
resolved=$(find "$UDOCKER_DIR/repos/.resolved" -name "*test#busybox#latest")
echo $(( $(date +%s) - 7200 )) >"$resolved"
ud plan --no-lock --task 1 -f job.yaml
check "pull policy every: resolved 2 hours ago, so resolved again" out_has "pull policy 'every 3600s'"
printf 'version: 1\ncontainers:\n  c:\n    image: x\n    pull: "every fortnight"\n' >bad.yaml
expect_fail "a malformed 'every' is refused with the forms allowed" 1 "or every DURATION (e.g. 'every 1h')" \
  validate -f bad.yaml
echo '{"version": 1, "images": [{"ref": "x"}]}' >job.yaml.lock
expect_fail "a malformed lock file is refused, naming it" 1 "lock file 'job.yaml.lock': entry 1" \
  apply --stage -f job.yaml
rm job.yaml.lock

# Many jobs of one spec at once on one store: all succeed, nothing left locked.
rm -rf results
pids=()
for t in 1 2 3 4 1 2 3 4; do
  "$UD_BIN" apply --task "$t" -f job.yaml >"par-$t-$RANDOM.log" 2>&1 &
  pids+=($!)
done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
RC=$failed; OUT=; ERR=
check "8 concurrent applies of the tasks all succeed ($failed failed)" [ "$failed" = 0 ]
check "8 concurrent applies: 4 result files" [ "$(ls results | wc -l)" = 4 ]
ud verify "$P/test/busybox:latest"
check "verify passes afterwards" rc_is 0

# submit checks the tasks and finds sbatch before it stages anything.
printf 'version: 1\ntasks: [a, b]\ncontainers:\n  sub: {image: "%s/test/busybox:latest", commands: [true]}\n' \
  "$P" >names.yaml
expect_fail "submit: a job array needs numeric tasks" 1 \
  "submit: 'names.yaml' needs numeric tasks (e.g. 'tasks: 1-32') for a Slurm job array" \
  submit -f names.yaml
sed 's/tasks: \[a, b\]/tasks: [1, 2]/' names.yaml >nums.yaml
# udocker alone without sbatch on PATH (the test's own tools keep theirs).
printf '#!/bin/sh\nPATH=/nonexistent exec "%s" "$@"\n' "$UD_BIN" >no-sbatch.sh
chmod +x no-sbatch.sh
UD_BIN=$T_TMP/no-sbatch.sh expect_fail "submit without sbatch on PATH" 1 \
  "submit: sbatch not found on PATH (is this a Slurm cluster?)" submit -f nums.yaml
ud ps
check "a refused submit staged nothing: ps succeeds" rc_is 0
check "a refused submit staged nothing" out_lacks "'sub'"
for tasks in '[01, 02]' '["+1", "+2"]' '[" 1", " 2"]'; do
  sed "s/tasks: \[a, b\]/tasks: $tasks/" names.yaml >padded.yaml
  expect_fail "submit: tasks $tasks are not Slurm's task ids" 1 \
    "submit: 'padded.yaml' needs numeric tasks (e.g. 'tasks: 1-32') for a Slurm job array" \
    submit -f padded.yaml
done
# An sbatch that fails: the new udocker-PID-submit-* directory beside the
# spec goes.
mkdir -p fakebin subfail
printf '#!/bin/sh\necho "sbatch: error: refused" >&2\nexit 1\n' >fakebin/sbatch
chmod +x fakebin/sbatch
printf '#!/bin/sh\nPATH="%s/fakebin:$PATH" exec "%s" "$@"\n' "$T_TMP" "$UD_BIN" >fake-sbatch.sh
chmod +x fake-sbatch.sh
cp nums.yaml subfail/nums.yaml
UD_BIN=$T_TMP/fake-sbatch.sh expect_fail "submit when sbatch fails" 1 \
  "sbatch failed (exit status 1)" submit -f subfail/nums.yaml
check "a failed sbatch leaves no directory beside the spec" \
  [ -z "$(find subfail -mindepth 1 -maxdepth 1 -type d)" ]
finish
