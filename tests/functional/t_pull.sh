#!/usr/bin/env bash
# Pulls every fixture image from the three registries, by tag and by
# digest, for amd64 and arm64, and verifies each; checks that blobs and
# manifests are stored unchanged and that a second pull downloads nothing.
. "$(dirname "$0")/lib.sh"

images="test/busybox oci/busybox test/layers oci/layers test/entry oci/entry"
[ "${UD_TEST_BIG:-0}" = 1 ] && images="$images test/big test/debian"

expect_ok "login to the basic-auth registry" login --username="$UD_FIX_USER" \
  --password="$UD_FIX_PASS" --registry="$UD_FIX_BASIC"

for reg in "$UD_FIX_PLAIN" "$UD_FIX_BASIC" "$UD_FIX_TOKEN"; do
  for img in $images; do
    var=UD_FIX_DIGEST_$(echo "$img" | tr '/.:-' '____')
    digest=${!var}
    expect_ok "pull $reg/$img by tag" pull "$reg/$img:latest"
    expect_ok "verify $reg/$img" verify "$reg/$img:latest"
    check "stored manifest of $reg/$img is the registry's" \
      [ "$(digest_of "$UDOCKER_DIR/repos/$reg/$img/latest/manifest")" = "$digest" ]
    expect_ok "pull $reg/$img by digest" pull "$reg/$img@$digest"
    expect_ok "verify $reg/$img@digest" verify "$reg/$img@$digest"
    check "digest pull stored under tag dir $digest" \
      [ -f "$UDOCKER_DIR/repos/$reg/$img/$digest/TAG" ]
  done
  for img in test/multi oci/multi; do
    for arch in amd64 arm64; do
      expect_ok "pull $reg/$img for linux/$arch" pull --platform=linux/$arch "$reg/$img:latest"
      expect_ok "verify $reg/$img linux/$arch" verify "$reg/$img:latest"
    done
  done
done

# Multi-platform images: the manifest chosen is the platform's.
for img in test/multi oci/multi; do
  for arch in amd64 arm64; do
    var=UD_FIX_DIGEST_$(echo "$img" | tr '/' '_')_$arch
    rm -rf "$UDOCKER_DIR/repos/$UD_FIX_TOKEN/$img"
    expect_ok "pull $img for linux/$arch" pull --platform=linux/$arch "$UD_FIX_TOKEN/$img:latest"
    check "$img linux/$arch: platform manifest stored" \
      [ "$(digest_of "$UDOCKER_DIR/repos/$UD_FIX_TOKEN/$img/latest/manifest")" = "${!var}" ]
    expect_ok "verify $img linux/$arch" verify "$UD_FIX_TOKEN/$img:latest"
    ud images -p
    check "images -p shows linux/$arch for $img" grep -q "^linux/$arch.* $UD_FIX_TOKEN/$img:latest" <<<"$OUT"
    ivar=UD_FIX_DIGEST_$(echo "$img" | tr '/' '_')
    expect_ok "pull $img index by digest for linux/$arch" pull --platform=linux/$arch "$UD_FIX_PLAIN/$img@${!ivar}"
  done
done
expect_fail "no manifest for an absent platform" 1 "no manifest for platform linux/s390x" \
  pull --platform=linux/s390x "$UD_FIX_PLAIN/oci/multi:latest"
check "the message lists the platforms offered" err_has "linux/amd64, linux/arm64"

# Host-less names go to --registry / UDOCKER_REGISTRY, stored under the name as typed.
expect_ok "--registry=http://... with a host-less name" pull --registry="http://$UD_FIX_PLAIN" test/entry:latest
check "... stored as test/entry" [ -f "$UDOCKER_DIR/repos/test/entry/latest/TAG" ]
UDOCKER_REGISTRY="https://$UD_FIX_TOKEN" ud pull oci/entry
check "UDOCKER_REGISTRY with a host-less name" rc_is 0
check "... stored as oci/entry" [ -f "$UDOCKER_DIR/repos/oci/entry/latest/TAG" ]
# One-component host-less names are Docker Hub's library/ ones, at --registry
# and UDOCKER_REGISTRY too (udocker 1.3.16 does so: a site's mirror or
# pull-through cache serves them); stored under the name as typed.
expect_ok "--registry with a one-component name asks for library/NAME" \
  pull --registry="http://$UD_FIX_PLAIN" busybox
check "... stored as busybox" [ -f "$UDOCKER_DIR/repos/busybox/latest/TAG" ]
check "... the manifest is library/busybox's" \
  [ "$(digest_of "$UDOCKER_DIR/repos/busybox/latest/manifest")" = "$UD_FIX_DIGEST_library_busybox" ]
UDOCKER_REGISTRY="https://$UD_FIX_TOKEN" ud pull busybox:latest
check "UDOCKER_REGISTRY with a one-component name" rc_is 0
check "... the manifest is library/busybox's" \
  [ "$(digest_of "$UDOCKER_DIR/repos/busybox/latest/manifest")" = "$UD_FIX_DIGEST_library_busybox" ]
expect_ok "a host with a port in the name: no library/ prefix" pull "$UD_FIX_PLAIN/test/busybox"
expect_fail "... nor for a one-component name there" 1 "not found in registry $UD_FIX_PLAIN" \
  pull "$UD_FIX_PLAIN/busybox"
# dockerio_registry_url (udocker.conf) and UDOCKER_REGISTRY send explicit
# docker.io/ names to the mirror too; --registry does not (1.3.16: a name's
# host wins over --registry).
printf '[DEFAULT]\ndockerio_registry_url = http://%s\n' "$UD_FIX_PLAIN" >"$T_TMP/hub.conf"
expect_ok "dockerio_registry_url: docker.io/NAME from the mirror" \
  --config="$T_TMP/hub.conf" pull docker.io/busybox
check "... stored as docker.io/busybox" [ -f "$UDOCKER_DIR/repos/docker.io/busybox/latest/TAG" ]
check "... the manifest is library/busybox's" \
  [ "$(digest_of "$UDOCKER_DIR/repos/docker.io/busybox/latest/manifest")" = "$UD_FIX_DIGEST_library_busybox" ]
expect_ok "dockerio_registry_url: a host-less name from the mirror" \
  --config="$T_TMP/hub.conf" pull test/entry:latest
expect_ok "dockerio_registry_url: index.docker.io/ names too" \
  --config="$T_TMP/hub.conf" pull index.docker.io/test/layers
check "... stored as index.docker.io/test/layers" \
  [ -f "$UDOCKER_DIR/repos/index.docker.io/test/layers/latest/TAG" ]
expect_ok "dockerio_registry_url: showconf shows it" --config="$T_TMP/hub.conf" showconf
check "... as dockerio_registry_url" out_line "dockerio_registry_url = http://$UD_FIX_PLAIN"
UDOCKER_REGISTRY="http://$UD_FIX_PLAIN" ud pull docker.io/test/entry
check "UDOCKER_REGISTRY: docker.io/NAME from the mirror" rc_is 0
check "... stored as docker.io/test/entry" [ -f "$UDOCKER_DIR/repos/docker.io/test/entry/latest/TAG" ]
# Settings from a configuration file.
printf '[DEFAULT]\nparallel_downloads = 1\ninsecure_registries = a.example:5000 b.example\n' >"$T_TMP/u.conf"
expect_ok "--config= file" --config="$T_TMP/u.conf" showconf
check "showconf shows its settings" out_has "insecure_registries = ['a.example:5000', 'b.example']"
check "... and parallel_downloads" out_has "parallel_downloads = 1"
UDOCKER_PARALLEL_DOWNLOADS=1 ud pull "$UD_FIX_PLAIN/oci/layers:latest"
check "one download at a time works too" rc_is 0

# Blobs are stored byte for byte: every layer file hashes to its name.
bad=0
for f in "$UDOCKER_DIR"/layers/sha256:*; do
  [ "$(digest_of "$f")" = "$(basename "$f")" ] || bad=$((bad + 1))
done
check "every stored blob matches its digest" [ "$bad" = 0 ]
check "no partial downloads left" [ -z "$(ls -A "$UDOCKER_DIR/layers/.partial" 2>/dev/null)" ]

# The whiteout image: its layers and config are stored unchanged.
raw=$(registry_manifest "http://$UD_FIX_PLAIN" test/layers latest)
check "whiteout image manifest unchanged" [ "$raw" = "$(cat "$UDOCKER_DIR/repos/$UD_FIX_PLAIN/test/layers/latest/manifest")" ]
n=$(grep -o 'sha256:[0-9a-f]*' <<<"$raw" | sort -u | while read -r d; do
  curl -sf "http://$UD_FIX_PLAIN/v2/test/layers/blobs/$d" | cmp -s - "$UDOCKER_DIR/layers/$d" && echo same
done | grep -c same)
check "whiteout image: 4 layers and the config identical to the registry's ($n of 5)" [ "$n" = 5 ]

# A second pull downloads nothing.
expect_ok "second pull" pull "$UD_FIX_PLAIN/test/layers:latest"
check "second pull downloads no layer" err_lacks "downloading layer"

# One token per repository scope for the whole command (1.3.16 asked for a
# new one for every request).
export UDOCKER_DIR="$T_TMP/tokens"
ud -D pull "$UD_FIX_TOKEN/oci/layers:latest"
n=$(grep -c "Debug: token request" <<<"$ERR")
check "a 5-blob pull from the token registry asks for one token ($n)" [ "$n" = 1 ]
export UDOCKER_DIR="$T_TMP/repo"

# Private repository behind the token registry.
expect_fail "anonymous pull of a private repository is refused" 1 "access denied" \
  pull "$UD_FIX_TOKEN/private/busybox:latest"
expect_fail "login with a wrong password is refused" 1 "invalid username or password" \
  login --username="$UD_FIX_USER" --password=wrong --registry="$UD_FIX_TOKEN"
check "a refused login stores nothing" bash -c '! grep -q "$1" "$HOME/.udocker/keystore"' _ "$UD_FIX_TOKEN"
echo "$UD_FIX_PASS" >"$T_TMP/pw"
"$UD_BIN" login --username="$UD_FIX_USER" --password-stdin --registry="$UD_FIX_TOKEN" <"$T_TMP/pw" >/dev/null 2>&1
RC=$?
check "login --password-stdin to the token registry" rc_is 0
check "keystore is mode 0600" [ "$(stat -c %a "$HOME/.udocker/keystore")" = 600 ]
expect_ok "pull of the private repository with credentials" pull "$UD_FIX_TOKEN/private/busybox:latest"
expect_ok "logout" logout --registry="$UD_FIX_TOKEN"
expect_fail "logout again: nothing to delete" 1 "no credentials" logout --registry="$UD_FIX_TOKEN"
expect_ok "logout -a" logout -a
check "logout -a deletes the keystore" [ ! -e "$HOME/.udocker/keystore" ]

# Two pulls of the same image at once into one store: both succeed and
# each blob is downloaded once (by one of them; the other waits and reuses).
for round in 1 2 3; do
  export UDOCKER_DIR="$T_TMP/shared$round"
  "$UD_BIN" pull "$UD_FIX_PLAIN/test/layers:latest" >"$T_TMP/p1" 2>&1 &
  p1=$!
  "$UD_BIN" pull "$UD_FIX_PLAIN/test/layers:latest" >"$T_TMP/p2" 2>&1 &
  p2=$!
  wait $p1; r1=$?
  wait $p2; r2=$?
  RC="$r1 $r2"; OUT=$(cat "$T_TMP/p1" "$T_TMP/p2"); ERR=
  check "concurrent pulls ($round): the first succeeds" [ "$r1" = 0 ]
  check "concurrent pulls ($round): the second succeeds" [ "$r2" = 0 ]
  downloads=$(grep -c "downloading layer" <<<"$OUT")
  check "concurrent pulls ($round): 5 blobs downloaded once each ($downloads downloads)" [ "$downloads" = 5 ]
  expect_ok "concurrent pulls ($round): verify" verify "$UD_FIX_PLAIN/test/layers:latest"
  check "concurrent pulls ($round): five blobs" [ "$(ls "$UDOCKER_DIR/layers" | wc -l)" = 5 ]
  check "concurrent pulls ($round): no partials" [ -z "$(ls -A "$UDOCKER_DIR/layers/.partial")" ]
done
finish
