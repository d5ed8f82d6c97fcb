#!/usr/bin/env bash
# Job-array benchmark, one run: a 32-task array of a small job through
# Slurm (udocker lock, then udocker submit --wait: staged once, every task
# apply --offline) against 32 sequential `udocker run`s of the same image.
# Reports the registry manifest requests made and the wall times.
# Usage: bench/array.sh [UDOCKER_BINARY]   (as root on the test machine)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
start_fixtures
"$top/tests/fixtures/slurm.sh" start "$work/slurm" >/dev/null
trap '"$top/tests/fixtures/slurm.sh" stop "$work/slurm"; cleanup' EXIT
n=${TASKS:-32}
mkdir -p "$work/job"
cat >"$work/job/array.yaml" <<EOY
version: 1
tasks: 1-$n
images:
  box: {ref: "$UD_FIX_PLAIN/test/busybox:latest"}
containers:
  work:
    image: box
    commands: ["echo task \${TASK}: \$(ls / | wc -l) entries"]
EOY
lock=$(ud lock -f "$work/job/array.yaml" 2>&1 | sed -n 's/.*(\([0-9]*\) manifest request.*/\1/p')
t0=$EPOCHREALTIME
out=$(ud submit --wait -f "$work/job/array.yaml" 2>&1)
t1=$EPOCHREALTIME
stage=$(sed -n 's/.*already in the store; \([0-9]*\) manifest request.*/\1/p' <<<"$out" | head -1)
ok=$(grep -c ': exit 0$' <<<"$out" || true)
tasks=0
for f in "$work"/job/udocker-*-submit-*/task-*.out; do
  c=$(sed -n 's/.*already in the store; \([0-9]*\) manifest request.*/\1/p' "$f")
  tasks=$((tasks + ${c:-0}))
done
t2=$EPOCHREALTIME
for i in $(seq "$n"); do
  ud -q run --rm "$UD_FIX_PLAIN/test/busybox:latest" /bin/sh -c "echo task $i: \$(ls / | wc -l) entries" >/dev/null
done
t3=$EPOCHREALTIME
arr=$(echo "$t1 - $t0" | bc -l)
seq=$(echo "$t3 - $t2" | bc -l)
printf '%d-task array through Slurm: %d tasks exited 0\n' "$n" "$ok"
printf 'registry manifest requests: lock %s, stage %s, all %d tasks together %d (total %d; one tag resolution, by lock)\n' \
  "$lock" "${stage:-0}" "$n" "$tasks" "$((lock + ${stage:-0} + tasks))"
printf 'wall time: array (stage + submit + all tasks) %.2f s, %d sequential udocker run %.2f s, ratio %.2f\n' \
  "$arr" "$n" "$seq" "$(echo "$arr / $seq" | bc -l)"
