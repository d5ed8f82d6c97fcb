#!/usr/bin/env bash
# udocker submit on a real single-node Slurm cluster (started by run.sh
# with tests/fixtures/slurm.sh): a job array staged once, every task run
# offline, per-task exit codes; the examples/slurm job array.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"
P=$UD_FIX_PLAIN
if [ "${UD_SLURM:-}" != 1 ]; then
  skip "Slurm: no cluster was started (run.sh starts one when run as root)"
  finish
  exit $?
fi
ud images
cat >array.yaml <<EOF
version: 1
tasks: 1-6
images:
  box: {ref: "$P/test/busybox:latest"}
volumes:
  results: {host: "$T_TMP/results", path: /results, create: true}
containers:
  work:
    image: box
    volumes: [results]
    commands: ["echo \"task \${TASK} of 6\" > /results/\${TASK}.txt; echo done \${TASK}"]
EOF
expect_ok "lock the array's image" lock -f array.yaml
# Staged once by submit; the tasks run offline: any registry request would
# go to a dead proxy and fail.
ud apply --stage -f array.yaml
export HTTPS_PROXY=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9
ud submit --wait -f array.yaml
unset HTTPS_PROXY https_proxy
check "submit --wait prints the job id and every task's exit status" rc_is 0 &&
  [[ "$(head -1 <<<"$OUT")" =~ ^[0-9]+$ ]] && out_has "task 1: exit 0" && out_has "task 6: exit 0"
check "every task ran in its container with its \${TASK}" \
  bash -c 'for t in 1 2 3 4 5 6; do [ "$(cat results/$t.txt)" = "task $t of 6" ] || exit 1; done'
outdir=$(ls -d udocker-*-submit-* | head -1)
check "each task's output is kept, and no task asked a registry" \
  grep -q "done 3" "$outdir/task-3.out" && grep -q "0 manifest requests" "$outdir/task-3.out"

# A failing task: its exit status is reported and submit --wait fails.
sed -e 's/tasks: 1-6/tasks: [1, 2, 3]/' -e 's|commands: .*|commands: ["test ${TASK} != 2"]|' array.yaml >fail.yaml
ud submit --wait -f fail.yaml
check "a failing task is reported with its exit status" rc_is 1 && out_has "task 2: exit 1" &&
  out_has "task 3: exit 0"
printf 'version: 1\ntasks: [a, b]\ncontainers:\n  c: {image: "%s/test/busybox:latest", commands: [true]}\n' "$P" >names.yaml
expect_fail "a job array needs numeric tasks" 1 "needs numeric tasks" submit -f names.yaml

# The example in examples/slurm, with the test registry's image.
if [ -f "$UD_SRC/examples/slurm/array.yaml" ]; then
  mkdir -p ex && cp "$UD_SRC/examples/slurm/array.yaml" ex/
  export REGISTRY=$P/
  REGISTRY=${REGISTRY%/}
  ud submit --wait -f ex/array.yaml
  check "examples/slurm/array.yaml runs as a job array" rc_is 0 && out_has "task 4: exit 0" &&
    grep -q "task 4: .* accounts" ex/results/task-4.txt
fi
finish
