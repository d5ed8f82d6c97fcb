#!/usr/bin/env bash
# Tracer benchmark, one run, medians: `udocker run C /bin/true` in P1 against
# N1; a system-call-heavy job in the Debian image (find / -xdev -type f | wc -l,
# then tar -cf - /usr | wc -c) in P1 and P2 against N1 and against Debian's
# `proot -r ROOT` running the same job.
# Usage: bench/ptrace.sh [UDOCKER_BINARY]   (as root on the test machine)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
start_fixtures --big
command -v proot >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq proot >/dev/null
unset UDOCKER_USE_PROOT_EXECUTABLE
n=${RUNS:-10}
job='find / -xdev -type f 2>/dev/null | wc -l; tar -cf - /usr 2>/dev/null | wc -c'
for mode in N1 P1 P2; do
  ud create --name="b$mode" "$UD_FIX_PLAIN/test/busybox:latest" >/dev/null
  ud setup --execmode=$mode "b$mode"
  ud create --name="d$mode" "$UD_FIX_PLAIN/test/debian:latest" >/dev/null
  ud setup --execmode=$mode "d$mode"
done
t_n1=$(time_runs "$n" ud -q run bN1 /bin/true)
t_p1=$(time_runs "$n" ud -q run bP1 /bin/true)
printf 'run C /bin/true: median P1 %.2f ms, N1 %.2f ms, ratio P1/N1 %.2f (target <= 2)\n' \
  "$(echo "$t_p1 * 1000" | bc -l)" "$(echo "$t_n1 * 1000" | bc -l)" "$(echo "$t_p1 / $t_n1" | bc -l)"
m=${RUNS_HEAVY:-3}
j_n1=$(time_runs "$m" ud -q run dN1 /bin/sh -c "$job")
j_p1=$(time_runs "$m" ud -q run dP1 /bin/sh -c "$job")
j_p2=$(time_runs "$m" ud -q run dP2 /bin/sh -c "$job")
root=$(ud inspect -p dN1)
j_pr=$(time_runs "$m" proot -r "$root" /bin/sh -c "$job")
printf 'heavy job: median N1 %.2f s, P1 %.2f s, P2 %.2f s, proot %.2f s\n' "$j_n1" "$j_p1" "$j_p2" "$j_pr"
printf 'ratios: P1/N1 %.2f (target <= 3), P2/N1 %.2f, P1/proot %.2f (target <= 1.0)\n' \
  "$(echo "$j_p1 / $j_n1" | bc -l)" "$(echo "$j_p2 / $j_n1" | bc -l)" "$(echo "$j_p1 / $j_pr" | bc -l)"
