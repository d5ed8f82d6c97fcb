#!/usr/bin/env bash
# F-mode benchmark, one run, medians: `udocker run C /bin/true` and the
# system-call-heavy job of bench/ptrace.sh (find / -xdev -type f | wc -l,
# then tar -cf - /usr | wc -c) in the Debian image, in F1 and F3 against N1.
# Usage: bench/fakechroot.sh [UDOCKER_BINARY]   (as root on the test machine)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
start_fixtures --big
n=${RUNS:-10}
m=${RUNS_HEAVY:-5}
job='find / -xdev -type f 2>/dev/null | wc -l; tar -cf - /usr 2>/dev/null | wc -c'
for mode in N1 F1 F3; do
  ud create --name="d$mode" "$UD_FIX_PLAIN/test/debian:latest" >/dev/null
  ud setup --execmode=$mode "d$mode"
done
# The same files seen in every mode, or the comparison means nothing (F3's
# patched programs are larger, so only find's count is compared).
want=$(ud -q run dN1 /bin/sh -c "$job" | sed -n 1p)
for mode in F1 F3; do
  got=$(ud -q run "d$mode" /bin/sh -c "$job" | sed -n 1p)
  [ "$got" = "$want" ] || { echo "F-mode bench: $mode printed '$got', N1 '$want'" >&2; exit 1; }
done
declare -A t j
for mode in N1 F1 F3; do
  t[$mode]=$(time_runs "$n" ud -q run "d$mode" /bin/true)
  j[$mode]=$(time_runs "$m" ud -q run "d$mode" /bin/sh -c "$job")
done
ratio() { echo "$1 / $2" | bc -l; }
printf 'run C /bin/true: median N1 %.2f ms, F1 %.2f ms, F3 %.2f ms; ratios F1/N1 %.2f, F3/N1 %.2f (target F3 <= 1.5)\n' \
  "$(echo "${t[N1]} * 1000" | bc -l)" "$(echo "${t[F1]} * 1000" | bc -l)" "$(echo "${t[F3]} * 1000" | bc -l)" \
  "$(ratio "${t[F1]}" "${t[N1]}")" "$(ratio "${t[F3]}" "${t[N1]}")"
printf 'heavy job: median N1 %.3f s, F1 %.3f s, F3 %.3f s; ratios F1/N1 %.2f, F3/N1 %.2f (target F3 <= 1.5)\n' \
  "${j[N1]}" "${j[F1]}" "${j[F3]}" "$(ratio "${j[F1]}" "${j[N1]}")" "$(ratio "${j[F3]}" "${j[N1]}")"
