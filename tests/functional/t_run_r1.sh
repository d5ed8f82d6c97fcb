#!/usr/bin/env bash
# The run matrix (matrix.sh) in R1, R2 and R3, with runc and with crun, on
# busybox and Debian; a job spec in R1.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"
P=$UD_FIX_PLAIN
images="$P/test/busybox"
[ "${UD_TEST_BIG:-0}" = 1 ] && images="$images $P/test/debian"
ud images
. "$(dirname "$0")/matrix.sh" || exit 1
# The same matrix in R1 (the runtime alone: the command is the container's
# root) and in R2/R3 (udocker-tracer inside: root and --user emulation).
for rt in runc crun; do
  rtpath=$(command -v "$rt" || ls /usr/sbin/$rt /usr/bin/$rt 2>/dev/null | head -1)
  if [ -z "$rtpath" ]; then
    skip "R1/R2/R3 with $rt: $rt is not installed"
    continue
  fi
  export UDOCKER_USE_RUNC_EXECUTABLE=$rtpath
  for mode in R1 R2 R3; do
    # shellcheck disable=SC2086
    matrix_mode "$mode" $images
  done
done
unset UDOCKER_USE_RUNC_EXECUTABLE

# A job spec in R1.
cat >r1.yaml <<EOY
version: 1
containers:
  r1job:
    image: "$P/test/busybox:latest"
    execmode: R1
    env: {WHO: "R1"}
    commands:
      - "echo hello from \$WHO"
EOY
ud plan -f r1.yaml
check "plan shows the R1 setup" out_has "setup  to do    r1job"
ud apply -f r1.yaml
check "apply runs the job in R1" out_has "hello from R1"
ud setup r1job
check "the container is in R1" out_has "execmode: R1"
finish
