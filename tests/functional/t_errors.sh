#!/usr/bin/env bash
# Bad input gets a clear error, exit status 1, and leaves the store intact.
. "$(dirname "$0")/lib.sh"

good="$UD_FIX_PLAIN/test/busybox:latest"
expect_ok "a good image first" pull "$good"

store_ok() { # DESC: the good image still verifies and nothing is half-written
  ud verify "$good"
  local partial_tags
  partial_tags=$(find "$UDOCKER_DIR/repos" -mindepth 1 -type d -empty | wc -l)
  if [ "$RC" = 0 ] && [ "$partial_tags" = 0 ] &&
     [ -z "$(find "$UDOCKER_DIR/repos" -name '.*.tmp*' -o -name '*.tmp-*' | head -1)" ]; then
    pass "$1: store still verifies"
  else
    fail "$1: store damaged"
  fi
}

# Malformed references.
expect_fail "uppercase repository name" 1 "must be lowercase" pull "$UD_FIX_PLAIN/Test/Busybox"
expect_fail "bad digest" 1 "bad digest" pull "busybox@sha256:1234"
expect_fail "bad tag" 1 "bad tag" pull "$UD_FIX_PLAIN/test/busybox:-x"
expect_fail "empty name component" 1 "invalid image reference" pull "$UD_FIX_PLAIN//busybox"
expect_fail "pull without an image" 1 "expected one IMAGE" pull
expect_fail "unknown option" 1 "syntax error at: --bogus" pull --bogus x

# Usage errors: one form for every command (the parser's), naming the
# command, what it expects and its help.
expect_fail "tag with one argument" 1 "tag: expected SOURCE TARGET (see udocker tag --help)" tag x
expect_fail "name with one argument" 1 "name: expected CONTAINER NAME (see udocker name --help)" \
  name x
expect_fail "protect without an argument" 1 \
  "protect: expected one IMAGE (see udocker protect --help)" protect
expect_fail "images with an argument" 1 "images: takes no arguments (see udocker images --help)" \
  images x
expect_fail "install with an argument" 1 \
  "install: takes no arguments (see udocker install --help)" install x
expect_fail "load with three names" 1 "load: expected [-] [NAME] (see udocker load --help)" \
  load a b c
expect_fail "apply without -f" 1 "apply: expected -f FILE (see udocker apply --help)" apply
expect_fail "lock with a positional" 1 "lock: expected -f FILE (see udocker lock --help)" \
  lock -f job.yaml extra
expect_fail "manifest without inspect" 1 \
  "manifest: expected 'inspect IMAGE' (see udocker manifest --help)" manifest show x
expect_fail "search --index with no expression" 1 \
  "search: expected one EXPRESSION (see udocker search --help)" search --index=x
store_ok "malformed references"

# Things the registry does not have.
expect_fail "unknown repository" 1 "not found" pull "$UD_FIX_PLAIN/test/nonexistent:latest"
expect_fail "unknown tag" 1 "manifest 'nope' not found" pull "$UD_FIX_PLAIN/test/busybox:nope"
expect_fail "unknown digest" 1 "not found" \
  pull "$UD_FIX_PLAIN/test/busybox@sha256:0000000000000000000000000000000000000000000000000000000000000000"
store_ok "unknown names"

# Credentials.
expect_fail "wrong password" 1 "invalid username or password" \
  login --username="$UD_FIX_USER" --password=wrong --registry="$UD_FIX_BASIC"
expect_fail "basic registry without login" 1 "requires a login" pull "$UD_FIX_BASIC/test/busybox"

# An unreachable registry fails fast.
start=$(date +%s)
expect_fail "unreachable registry" 1 "127.0.0.1:1" pull "127.0.0.1:1/test/busybox"
check "unreachable registry: bounded wait ($(($(date +%s) - start)) s)" [ $(($(date +%s) - start)) -lt 30 ]
# TLS is verified: without the test CA the HTTPS registry is refused.
CURL_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt ud pull "$UD_FIX_TOKEN/test/busybox"
check "self-signed registry refused without its CA" rc_is 1
check "the message says the certificate failed" err_has "certificate"
CURL_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt ud --insecure pull "$UD_FIX_TOKEN/test/busybox"
check "--insecure accepts it" rc_is 0

# A registry that misbehaves. Each case starts from a store holding the good image.
f=$UD_FIX_FAULTY
for c in "garbage:manifest is not valid JSON" "digest:digest mismatch" \
         "truncate:partial" "oversize:more than the" "error500:HTTP 500" \
         "loop:too many redirects"; do
  mode=${c%%:*}
  msg=${c#*:}
  export UDOCKER_DIR="$T_TMP/repo-$mode"
  ud pull "$good"
  expect_fail "faulty registry: $mode" 1 "$msg" pull "$f/fault/$mode:latest"
  check "faulty registry: $mode: no tag written" [ ! -e "$UDOCKER_DIR/repos/$f/fault/$mode" ]
  check "faulty registry: $mode: no bad blob kept" \
    [ -z "$(for b in "$UDOCKER_DIR"/layers/sha256:*; do [ "$(digest_of "$b")" = "$(basename "$b")" ] || echo bad; done)" ]
  store_ok "faulty registry: $mode"
done
export UDOCKER_DIR="$T_TMP/repo-flaky500"
expect_ok "a 500 answer is retried" pull "$f/fault/flaky500:latest"
export UDOCKER_DIR="$T_TMP/repo-authredirect"
expect_fail "a registry needing a login" 1 "requires a login" pull "$f/fault/authredirect:latest"
expect_ok "login to it" login --username=u --password=p --registry="$f"
expect_ok "blobs redirected to another host get no Authorization header" \
  pull "$f/fault/authredirect:latest"
expect_ok "... and verify" verify "$f/fault/authredirect:latest"
export UDOCKER_DIR="$T_TMP/repo-flaky"
expect_ok "a connection dropped mid-blob is resumed" pull "$f/fault/flaky:latest"
expect_ok "the resumed image verifies" verify "$f/fault/flaky:latest"
# A download interrupted for good is resumed by the next pull.
export UDOCKER_DIR="$T_TMP/repo-truncate"
check "the truncated blob is kept as a partial" [ -n "$(ls -A "$UDOCKER_DIR/layers/.partial")" ]
partial=$(ls "$UDOCKER_DIR/layers/.partial" | head -1)
ud pull "$f/fault/ok:latest"
check "the next pull completes from the partial" rc_is 0
check "... and leaves no partial" [ -z "$(ls -A "$UDOCKER_DIR/layers/.partial")" ]
check "... and the blob is whole" [ "$(digest_of "$UDOCKER_DIR/layers/$partial")" = "$partial" ]

# kill -9 in the middle of a blob: nothing half-written is visible, the
# next pull resumes from the partial file and the store verifies.
export UDOCKER_DIR="$T_TMP/repo-kill"
ud pull "$good"
"$UD_BIN" -q pull "$f/fault/slowblob:latest" >/dev/null 2>&1 &
victim=$!
sleep 0.6
kill -9 $victim 2>/dev/null
wait $victim 2>/dev/null
check "killed pull: no tag written" [ ! -e "$UDOCKER_DIR/repos/$f/fault/slowblob/latest/TAG" ]
check "killed pull: the partial download is kept" [ -n "$(ls -A "$UDOCKER_DIR/layers/.partial" 2>/dev/null)" ]
check "killed pull: no unverified blob under a final name" \
  [ -z "$(for b in "$UDOCKER_DIR"/layers/sha256:*; do [ "$(digest_of "$b")" = "$(basename "$b")" ] || echo bad; done)" ]
store_ok "killed pull"
expect_ok "the next pull completes" pull "$f/fault/ok:latest"
expect_ok "... and verifies" verify "$f/fault/ok:latest"
check "... leaving no partial" [ -z "$(ls -A "$UDOCKER_DIR/layers/.partial")" ]

# A lock held by another process: the wait is bounded and names the holder.
export UDOCKER_DIR="$T_TMP/repo-lock"
ud pull "$good"
layer=$(grep -o 'sha256:[0-9a-f]*' <<<"$(registry_manifest "http://$f" fault/ok latest)" | sed -n 2p)
mkdir -p "$UDOCKER_DIR/layers/.locks"
/usr/bin/python3 - "$UDOCKER_DIR/layers/.locks/$layer" <<'EOPY' &
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
fcntl.lockf(fd, fcntl.LOCK_EX)
os.ftruncate(fd, 0)
os.write(fd, b"pid %d on testhost since 0 (test holder)\n" % os.getpid())
time.sleep(8)
EOPY
holder=$!
sleep 0.5
start=$(date +%s)
UDOCKER_LOCK_TIMEOUT=2 ud pull "$f/fault/ok:latest"
check "a held blob lock times out" rc_is 1
check "... after the configured wait ($(($(date +%s) - start)) s)" [ $(($(date +%s) - start)) -lt 6 ]
check "... and the message names the holder" err_has "held by pid"
check "... and what it does" err_has "test holder"
kill $holder 2>/dev/null
wait $holder 2>/dev/null
expect_ok "once the holder is gone the pull works" pull "$f/fault/ok:latest"

# A full disk: a 600 KiB filesystem cannot hold the 1 MB layer.
if [ -n "${UD_SMALLFS:-}" ] && [ -w "$UD_SMALLFS" ]; then
  export UDOCKER_DIR="$UD_SMALLFS/repo"
  expect_fail "disk full" 1 "No space left on device" pull "$good"
  check "disk full: no tag written" [ ! -e "$UDOCKER_DIR/repos/$UD_FIX_PLAIN/test/busybox/latest/TAG" ]
  rm -rf "$UDOCKER_DIR"
else
  skip "disk full: no small filesystem (UD_SMALLFS) was prepared by the runner"
fi

# A read-only store.
export UDOCKER_DIR="$T_TMP/ro"
ud pull "$good"
chmod -R a-w "$UDOCKER_DIR"
expect_fail "read-only store" 1 "Permission denied" pull "$UD_FIX_PLAIN/test/layers:latest"
ud verify "$good"
check "read-only store: existing image still verifies" rc_is 0
chmod -R u+w "$UDOCKER_DIR"

# Local image commands on things that do not exist.
expect_fail "verify of a missing image" 1 "image not found" verify nothing/here:latest
expect_fail "inspect of a missing image" 1 "image not found" inspect nothing/here:latest
expect_fail "rmi of a missing image" 1 "image not found" rmi nothing/here:latest
expect_fail "unprotect of a missing image" 1 "image not found" unprotect nothing/here:latest
expect_fail "invalid command" 1 "invalid command: frobnicate" frobnicate
expect_fail "--repo that is not a repository" 1 "invalid udocker repository" --repo="$T_TMP/none" images
finish
