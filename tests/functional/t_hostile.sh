#!/usr/bin/env bash
# Hostile input never harms the user (issue 10): archives and layers, the
# store, the registry client, job specs and files written inside a
# container root. Every input is built here; each case fails when its fix
# is reverted.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"
P=$UD_FIX_PLAIN

# ===================================================== layers, archives, store

# ===================================================== registry client
f=$UD_FIX_FAULTY
# ud_t ARGS...: ud with a time limit (a hang is a failure, rc 124).
ud_t() {
  timeout 90 "$UD_BIN" "$@" >"$T_TMP/out" 2>"$T_TMP/err"
  RC=$?
  OUT=$(cat "$T_TMP/out")
  ERR=$(cat "$T_TMP/err")
}
err_lacks() { ! grep -qF -- "$1" <<<"$ERR"; }
err_has_i() { grep -qiF -- "$1" <<<"$ERR"; }
no_esc_in() { [[ $1 != *$'\x1b'* ]]; }
leaks_seen() { curl -s "http://$f/leak/seen"; }
no_leak() { ! leaks_seen | grep -qv ': -$'; }

# Credentials go only to the registry they were stored for: a blob
# redirect to another host that asks for a Bearer token must not get them
# (nor must its token realm).
export UDOCKER_DIR="$T_TMP/repo-reg-auth"
ud login --username=leakuser --password=leakpass --registry="$f"
ud_t pull "$f/fault/authleak:latest"
check "registry: redirect target asking for auth fails the pull" rc_is 1
check "registry: redirect target asking for auth: clear error" err_has "credentials are not sent there"
check "registry: ... the redirect target was asked" bash -c 'curl -s "http://$1/leak/seen" | grep -q "^storage: -$"' _ "$f"
check "registry: ... and no credential reached the other host or its realm" no_leak
# A token realm over plain http gets no Basic credentials from an https registry.
cat >"$T_TMP/tlsreg.py" <<'EOF'
import ssl
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
cert, key, realm, portfile = sys.argv[1:5]
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def do_GET(self):
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            code, body = 200, b"{}"
        else:
            code, body = 401, b"{}"
        self.send_response(code)
        self.send_header("WWW-Authenticate", 'Bearer realm="%s",service="tls"' % realm)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
EOF
python3 "$T_TMP/tlsreg.py" "$UD_FIX_STATE/server.pem" "$UD_FIX_STATE/server.key" \
  "http://$f/leak/token" "$T_TMP/tlsport" 2>"$T_TMP/tlsreg.log" &
tlspid=$!
for _ in $(seq 50); do [ -s "$T_TMP/tlsport" ] && break; sleep 0.1; done
tls=127.0.0.1:$(cat "$T_TMP/tlsport" 2>/dev/null)
check "registry: the https registry with an http realm is up" [ -s "$T_TMP/tlsport" ]
ud_t login --username=leakuser --password=leakpass --registry="https://$tls"
check "registry: ... its http realm was asked for a token" bash -c 'curl -s "http://$1/leak/seen" | grep -q "^token: -$"' _ "$f"
check "registry: https registry with an http realm: no credential sent to the realm" no_leak
kill "$tlspid" 2>/dev/null
wait "$tlspid" 2>/dev/null

# -D never prints secrets: passwords, their base64, tokens (JWTs start "eyJ").
export UDOCKER_DIR="$T_TMP/repo-reg-debug"
b64=$(printf '%s' "$UD_FIX_USER:$UD_FIX_PASS" | base64 -w0)
for reg in "$UD_FIX_BASIC" "$UD_FIX_TOKEN"; do
  ud -D login --username="$UD_FIX_USER" --password="$UD_FIX_PASS" --registry="$reg"
  check "registry: -D login to $reg works" rc_is 0
  check "registry: -D login to $reg: no password" err_lacks "$UD_FIX_PASS"
  check "registry: -D login to $reg: no base64 credentials" err_lacks "$b64"
  ud -D pull "$reg/private/busybox:latest"
  check "registry: -D pull from $reg works" rc_is 0
  check "registry: -D pull from $reg shows the HTTP exchange" err_has "> GET /v2/"
  check "registry: -D pull from $reg shows Authorization masked" err_has_i "> Authorization: <hidden>"
  check "registry: -D pull from $reg: no password" err_lacks "$UD_FIX_PASS"
  check "registry: -D pull from $reg: no base64 credentials" err_lacks "$b64"
  check "registry: -D pull from $reg: no token" err_lacks "eyJ"
done

# Bounded answers: an endless manifest, an endless error body, a stalled blob.
export UDOCKER_DIR="$T_TMP/repo-reg-bounds"
ud_t pull "$f/fault/endless:latest"
check "registry: endless manifest body fails" rc_is 1
check "registry: endless manifest body: error says too large" err_has "the answer is larger than 4194304 bytes"
ud_t pull "$f/fault/enderror:latest"
check "registry: endless error body fails" rc_is 1
check "registry: endless error body: error has the status" err_has "answered HTTP 400"
start=$(date +%s)
UDOCKER_STALL_TIMEOUT=2 ud_t pull "$f/fault/stallblob:latest"
check "registry: a stalled blob fails" rc_is 1
check "registry: stalled blob: error says it stalled" err_has "the transfer stalled"
check "registry: stalled blob: fails within the stall timeout ($(($(date +%s) - start)) s)" [ $(($(date +%s) - start)) -lt 30 ]
export UDOCKER_DIR="$T_TMP/repo-reg-oversize"
ud_t pull "$f/fault/oversize:latest"
check "registry: oversize blob fails" rc_is 1
check "registry: ... saying so" err_has "more than the"
check "registry: ... and leaves no partial behind" [ -z "$(ls -A "$UDOCKER_DIR/layers/.partial" 2>/dev/null)" ]
ud_t pull "$f/fault/ok:latest"
check "registry: a good pull works afterwards" rc_is 0

# Only http and https are followed: a blob redirect and a token realm to file://.
export UDOCKER_DIR="$T_TMP/repo-reg-proto"
ud_t pull "$f/fault/fileredirect:latest"
check "registry: blob redirect to file:// fails" rc_is 1
check "registry: blob redirect to file://: clear error" err_has "only http and https URLs are followed"
ud_t pull "$f/fault/filerealm:latest"
check "registry: file:// token realm fails" rc_is 1
check "registry: file:// token realm: clear error" err_has "is not an http or https URL"

# Registry text is printed with control characters escaped.
export UDOCKER_DIR="$T_TMP/repo-reg-esc"
ud_t pull "$f/fault/escjson:latest"
check "registry: error JSON with ESC fails the pull" rc_is 1
check "registry: error JSON with ESC: message shown escaped" err_has 'DENIED: \x1b[2J'
check "registry: ... with no raw ESC on stderr" no_esc_in "$ERR"
ud_t pull "$f/fault/escbody:latest"
check "registry: error body with ESC fails the pull" rc_is 1
check "registry: error body with ESC: shown escaped" err_has 'Error: forged line\nInfo'
check "registry: ... with no raw ESC on stderr" no_esc_in "$ERR"
ud_t search --list-tags "$f/fault/escjson"
check "registry: tag list with ESC is listed" rc_is 0
check "registry: ... with no raw ESC on stdout" no_esc_in "$OUT"

# ===================================================== job specs and inputs

# ===================================================== writes inside a container root

finish
