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
check "submit --wait succeeds" rc_is 0
# The job id on a line of its own.
check "submit --wait prints the job id" grep -qxE '[0-9]+' <<<"$OUT"
check "submit --wait prints every task's exit status: task 1" out_has "task 1: exit 0"
check "submit --wait prints every task's exit status: task 6" out_has "task 6: exit 0"
check "every task ran in its container with its \${TASK}" \
  bash -c 'for t in 1 2 3 4 5 6; do [ "$(cat results/$t.txt)" = "task $t of 6" ] || exit 1; done'
outdir=$(ls -d udocker-*-submit-* | head -1)
check "each task's output is kept" grep -q "done 3" "$outdir/task-3.out"
check "no task asked a registry" grep -q "0 manifest requests" "$outdir/task-3.out"

# A failing task: its exit status is reported and submit --wait fails.
sed -e 's/tasks: 1-6/tasks: [1, 2, 3]/' -e 's|commands: .*|commands: ["test ${TASK} != 2"]|' array.yaml >fail.yaml
ud submit --wait -f fail.yaml
check "a failing task makes submit --wait fail" rc_is 1
check "a failing task is reported with its exit status" out_has "task 2: exit 1"
check "the other tasks are reported too" out_has "task 3: exit 0"
printf 'version: 1\ntasks: [a, b]\ncontainers:\n  c: {image: "%s/test/busybox:latest", commands: [true]}\n' "$P" >names.yaml
expect_fail "a job array needs numeric tasks" 1 "needs numeric tasks" submit -f names.yaml

# The example in examples/slurm, with the test registry's image.
if [ -f "$UD_SRC/examples/slurm/array.yaml" ]; then
  mkdir -p ex && cp "$UD_SRC/examples/slurm/array.yaml" ex/
  export REGISTRY=$P/
  REGISTRY=${REGISTRY%/}
  ud submit --wait -f ex/array.yaml
  check "examples/slurm/array.yaml runs as a job array" rc_is 0
  check "examples/slurm/array.yaml: task 4 reported" out_has "task 4: exit 0"
  check "examples/slurm/array.yaml: task 4's result" grep -q "task 4: .* accounts" ex/results/task-4.txt
fi

# MPI: srun --mpi=pmix, one udocker container per rank, Debian's Open MPI
# (installed into the container with apt-get under P1's root emulation).
if [ "${UD_TEST_BIG:-0}" = 1 ] && srun --mpi=list 2>&1 | grep -q pmix; then
  ud create --name=mpi "$P/test/debian"
  ud setup --execmode=P1 mpi
  ud run --user=root mpi sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-mpi4py >/dev/null 2>&1'
  if [ "$RC" = 0 ]; then
    check "apt-get update and install of Open MPI as emulated root (P1)" rc_is 0
    ud setup --execmode=N1 mpi
    mkdir -p mpi && cp "$UD_SRC/examples/slurm/mpi.sh" "$UD_SRC/examples/slurm/hello.py" mpi/
    OUT=$(cd mpi && PATH=$(dirname "$UD_BIN"):$PATH sbatch --wait --output=mpi.out ./mpi.sh 2>&1 && cat mpi.out)
    RC=$?; ERR=
    check "examples/slurm/mpi.sh: the job succeeds" rc_is 0
    check "examples/slurm/mpi.sh: rank 0 of 2 talks through MPI" out_has "rank 0 of 2 (sum of ranks+1: 3)"
    check "examples/slurm/mpi.sh: rank 1 of 2 talks through MPI" out_has "rank 1 of 2 (sum of ranks+1: 3)"
  else
    skip "MPI: apt-get in the container could not install python3-mpi4py (no Debian mirror?)"
  fi
else
  skip "MPI: needs the Debian image and Slurm's pmix plugin with libpmix"
fi
finish
