# Helpers for functional tests: sourced by each tests/functional/t_*.sh.
# Each test script runs as an unprivileged user against the real registries
# described by $UD_FIX_STATE/env (see tests/fixtures/README.md).
set -uo pipefail

: "${UD_BIN:?UD_BIN must name the udocker binary}"
: "${UD_FIX_STATE:?UD_FIX_STATE must name the fixture state directory}"
# shellcheck disable=SC1091
. "$UD_FIX_STATE/env"

T_PASS=0
T_FAIL=0
T_NAME=$(basename "$0" .sh)
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/udt-$T_NAME-XXXXXX")
# An overlay's work directory holds a mode 0000 directory.
trap 'chmod -R u+rwX "$T_TMP" 2>/dev/null; rm -rf "$T_TMP"' EXIT
export UDOCKER_DIR="$T_TMP/repo"
export HOME="$T_TMP/home"
mkdir -p "$HOME"
export CURL_CA_BUNDLE="$UD_FIX_CA"
# skopeo run by the tests: its own credentials file (where podman is
# installed, /run/containers/UID is root's and skopeo fails on it).
export REGISTRY_AUTH_FILE="$T_TMP/containers-auth.json"

# ud ARGS...: runs udocker, output in $OUT / $ERR, exit status in $RC.
ud() {
  "$UD_BIN" "$@" >"$T_TMP/out" 2>"$T_TMP/err"
  RC=$?
  OUT=$(cat "$T_TMP/out")
  ERR=$(cat "$T_TMP/err")
}

# free_port: prints a TCP port no socket uses, in any state, below the
# kernel's ephemeral range (where connect() picks its local ports: a port
# there can be taken by any outgoing connection, and a server's bind then
# fails even though nothing listens on it).
free_port() {
  local low port
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range
  [ "$low" -gt 11000 ] || low=32768
  while :; do
    port=$((10000 + RANDOM % (low - 10000)))
    ss -Htan "sport = :$port" 2>/dev/null | grep -q . || break
  done
  echo "$port"
}

pass() { T_PASS=$((T_PASS + 1)); echo "ok   $T_NAME: $1"; }
fail() {
  T_FAIL=$((T_FAIL + 1))
  echo "FAIL $T_NAME: $1"
  echo "     rc=$RC"
  echo "     stdout: ${OUT:0:2000}" | sed '2,$s/^/     /'
  echo "     stderr: ${ERR:0:2000}" | sed '2,$s/^/     /'
}

# check DESC COND...: passes when the command COND succeeds.
check() {
  local desc=$1
  shift
  if "$@"; then pass "$desc"; else fail "$desc"; fi
}

rc_is() { [ "$RC" = "$1" ]; }
out_has() { grep -qF -- "$1" <<<"$OUT"; }
err_has() { grep -qF -- "$1" <<<"$ERR"; }
out_is() { [ "$OUT" = "$1" ]; }
out_line() { grep -qxF -- "$1" <<<"$OUT"; } # a line of stdout is exactly $1
# `check DESC ! out_has X` would run a command named "!": use these.
out_lacks() { ! grep -qF -- "$1" <<<"$OUT"; }
err_lacks() { ! grep -qF -- "$1" <<<"$ERR"; }

# expect_ok DESC ARGS...: udocker ARGS must exit 0.
expect_ok() {
  local desc=$1
  shift
  ud "$@"
  if [ "$RC" = 0 ]; then pass "$desc"; else fail "$desc"; fi
}

# expect_fail DESC RC MESSAGE ARGS...: exit status RC and MESSAGE on stderr.
expect_fail() {
  local desc=$1 want=$2 msg=$3
  shift 3
  ud "$@"
  if [ "$RC" = "$want" ] && grep -qF -- "$msg" <<<"$ERR"; then pass "$desc"; else fail "$desc (want rc=$want, '$msg')"; fi
}

finish() {
  echo "$T_NAME: $T_PASS passed, $T_FAIL failed"
  echo "$T_PASS $T_FAIL" >>"${UD_RESULTS:-/dev/null}"
  [ "$T_FAIL" = 0 ]
}

skip() { echo "skip $T_NAME: $1"; }

# sha256 of a file, as "sha256:<hex>".
digest_of() { echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"; }

# The raw manifest bytes a registry serves (anonymous or with $UD_FIX_USER).
registry_manifest() { # host path ref [auth]
  local auth=()
  [ "${4:-}" = auth ] && auth=(-u "$UD_FIX_USER:$UD_FIX_PASS")
  curl -sf --cacert "$UD_FIX_CA" "${auth[@]}" \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "$1/v2/$2/manifests/$3"
}
