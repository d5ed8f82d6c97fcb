#!/usr/bin/env bash
# Self-test of tests/lint-checks.py: each bad snippet must be reported at its
# line, the good snippets must pass. Run by scripts/test.sh before the guard.
set -uo pipefail
lint=$(dirname "$0")/lint-checks.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

# bad LINE SNIPPET: the guard must fail and name FILE:LINE.
bad() {
  local want=$1 f="$tmp/bad$((++n)).sh"
  printf '%s\n' "$2" >"$f"
  out=$(python3 "$lint" "$f")
  if [ $? = 1 ] && grep -q "^$f:$want: " <<<"$out"; then
    echo "ok   lint self-test: bad snippet $n reported at line $want"
  else
    echo "FAIL lint self-test: bad snippet $n not reported at line $want:"
    sed 's/^/     /' "$f"
    echo "     guard said: $out"
    failed=1
  fi
}
n=0
bad 1 'check "x" rc_is 0 && err_has "y"'
bad 1 'check "x" [ "$RC" = 1 ] && [ ! -e /tmp/f ]'
bad 2 'echo start
check "x" out_has a ||
  fail "never"'
bad 3 'for i in 1 2; do
  ud run c
  check "x" rc_is 0 &&
    out_has "y"
done'
bad 2 'skopeo copy a b &&
  { expect_ok "load" load -i oci.tar
    check "c" out_has x; } || skip "no skopeo"'
bad 1 'expect_fail "x" 1 "msg" pull y || true'
bad 1 'check "x" out_has a | tee log'
bad 1 'check "x" true'
bad 1 'check "x" :'
bad 1 'check "x" [ 1 = 1 ]'
bad 1 'check "x" test -n "literal"'
bad 1 'check "x" [ x = x ]'
bad 1 'check "x" ! false'
bad 1 'check "x" [[ abc == a* ]]'
bad 1 'check "x"'
bad 1 'check "x" out_has ""'
bad 1 'expect_ok "x"'
bad 1 'check "x" ! out_has task'
bad 2 'pids=(1 2)
check "x" [ "$failed" = 0 ] && [ "${#pids[@]}" = 2 ]'
bad 3 'if [ -z "$x" ]; then
  skip "no x"
  finish
fi
finish'
bad 1 'finish
echo more'

f="$tmp/good.sh"
cat >"$f" <<'EOF'
check "x" bash -c 'a && b || c'
check "x" bash -c "[ -e \"\$1\" ] && [ -s \"\$1\" ]" _ "$f"
check "x" [ "$RC" = 1 ]
check "x" [ ! -e /tmp/udocker-evil ]
check "x" [ "$(cat f)" = x ]
check "x" test -n "$OUT"
check "x" out_lacks "a && b"
check "x" [[ "$OUT" =~ ^[0-9]+$ ]]
expect_fail "x" 7 "" run c /bin/sh -c 'exit 7'
expect_ok "x" run c /bin/sh -c 'true && echo "a || b"'
if skopeo copy a b 2>/dev/null && true; then
  expect_ok "load" load -i oci.tar
else
  skip "no skopeo"
fi
[ -n "$x" ] && echo "$(check_store && echo ok)"
cat <<EOY
check "x" rc_is 0 && true
EOY
ud run c sh -c 'i=0; while [ $i -lt 5 ]; do i=$((i+1)); done' # check "x" true && y
case $x in
  a) check "x" rc_is 0 ;;
  *) check "x" rc_is 1 ;;
esac
mapfile -t l < <(ls -d x* 2>&1 | head -1)
check "x" rc_is 0 2>/dev/null >&2
pids+=($! "a && b") && echo "${pids[@]}"
if [ -z "$x" ]; then
  finish
  exit $?
fi
finish
EOF
out=$(python3 "$lint" "$f")
if [ $? = 0 ]; then
  echo "ok   lint self-test: good snippets pass"
else
  echo "FAIL lint self-test: good snippets reported:"
  echo "$out" | sed 's/^/     /'
  failed=1
fi
exit $failed
