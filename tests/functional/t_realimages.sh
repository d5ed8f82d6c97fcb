#!/usr/bin/env bash
# Images made by buildah and podman (tests/fixtures/realimages.sh): each is
# pulled, verified, created, compared with `umoci unpack --rootless` of the
# same image, and run with its own Entrypoint, Cmd, Env, User and WorkingDir.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"
P=$UD_FIX_PLAIN
# Media types we cannot run are refused, named, before anything is stored.
F=$UD_FIX_FAULTY
layers_stored() { find "$UDOCKER_DIR/layers" -type f 2>/dev/null | wc -l; }
for c in "mt-foreign:rootfs.foreign.diff.tar.gzip:a foreign layer" \
  "mt-nondist:layer.nondistributable.v1.tar+gzip:a non-distributable layer" \
  "mt-bzip2:layer.v1.tar+bzip2:this compression is not supported" \
  "mt-unknown:application/x-not-a-layer:not a layer type udocker knows" \
  "mt-second:rootfs.foreign.diff.tar.gzip:layer 2 of 2" \
  "mt-artifact:application/vnd.cncf.helm.config.v1+json:not a container image"; do
  IFS=: read -r repo mt why <<<"$c"
  before=$(layers_stored)
  ud pull "$F/fault/$repo"
  check "$repo: pull is refused" rc_is 1
  check "$repo: the error names the media type" err_has "$mt"
  check "$repo: the error says why ($why)" err_has "$why"
  check "$repo: nothing of it is stored" [ "$(layers_stored)" = "$before" ]
  ud images
  check "$repo: no image entry is left" out_lacks "fault/$repo"
done

if ! grep -q ' real-' "$UD_FIX_STATE/images.txt" || ! command -v umoci >/dev/null; then
  skip "real images: not built (realimages.sh needs root, buildah and podman) or no umoci"
  finish
  exit $?
fi
cmp_tree() { # container-root umoci-rootfs -> OUT
  OUT=$(/usr/bin/python3 "$UD_SRC/tests/functional/treecmp.py" "$@" 2>&1)
  RC=$?
}
names=$(awk '$2 ~ /^real-/ {sub(/^real\//, "", $1); sub(/:latest$/, "", $1); print $1}' "$UD_FIX_STATE/images.txt")
# umoci 0.4.7 (Debian 12) cannot read zstd layers: zstd, mixed and v2s2 are
# the layers image compressed or described otherwise, so layers' unpack is
# their reference.
ref_of() { case $1 in zstd | mixed | v2s2) echo layers ;; *) echo "$1" ;; esac; }
for n in $names; do
  [ "$(ref_of "$n")" = "$n" ] || continue
  XDG_RUNTIME_DIR=$T_TMP skopeo copy -q --src-no-creds --src-tls-verify=false \
    "docker://$P/real/$n:latest" "oci:$T_TMP/oci-$n:latest" >"ref-$n.log" 2>&1
  umoci unpack --rootless --image "$T_TMP/oci-$n:latest" "$T_TMP/umoci-$n" >>"ref-$n.log" 2>&1
  OUT=$(cat "ref-$n.log") ERR= RC=
  check "$n: umoci unpacks it (the reference)" [ -d "$T_TMP/umoci-$n/rootfs/bin" ]
done
for n in $names; do
  img="$P/real/$n"
  expect_ok "$n: pull" pull "$img"
  expect_ok "$n: verify" verify "$img"
  expect_ok "$n: create" create --name="r-$n" "$img"
  ud inspect -p "r-$n"
  root=$OUT
  check "$n: the container has a root" [ -d "$root/bin" ]
  cmp_tree "$root" "$T_TMP/umoci-$(ref_of "$n")/rootfs" --layer-modes
  check "$n: the container's tree equals umoci's" out_is same
done
# Run with the image's own metadata.
for n in layers zstd mixed v2s2; do
  ud run "r-$n"
  check "$n: runs Entrypoint+Cmd as the image's User in its WorkingDir with its Env" \
    out_is "entry: from-cmd | user 1000:1000 | pwd /work | REAL=image-env"
  ud run "r-$n" again
  check "$n: arguments replace the Cmd" out_is "entry: again | user 1000:1000 | pwd /work | REAL=image-env"
done
ud run r-imported
check "imported: runs podman import's CMD" out_is "imported-cmd"
ud create --name=r-imported2 "$P/real/imported"
check "imported: create reports no skipped entry for the './' root" err_lacks "skipped"
if [ "${UD_TEST_BIG:-0}" = 1 ] && grep -q '^debian ' <<<"$(printf '%s\n' $names)"; then
  ud run r-debian
  check "debian: runs podman import's CMD (bash, gzip layers)" out_has "debian-imported"
fi
# export and import keep every name byte for byte.
ud inspect -p r-layers
lroot=$OUT
expect_ok "layers: export" export -o layers.tar r-layers
expect_ok "layers: import --tocontainer of the export" import --tocontainer --name=r-back layers.tar
ud inspect -p r-back
cmp_tree "$lroot" "$OUT" --ignore /data/xattr-file --ignore /data/xattr-dir
check "layers: the imported export equals the container (names, links, modes)" out_is same
# apply --task N after another task, on an imported and on a loaded image:
# the second task reuses the first one's container.
XDG_RUNTIME_DIR=$T_TMP skopeo copy -q --src-no-creds --src-tls-verify=false \
  "docker://$P/real/imported:latest" "docker-archive:$T_TMP/saved.tar:local/saved:1" >/dev/null 2>&1
expect_ok "load of a docker-archive made by skopeo" load -i saved.tar
ud export -o imp-root.tar r-imported
expect_ok "import of an exported root as local/imported:1" import imp-root.tar local/imported:1
for img in local/saved:1 local/imported:1; do
  cat >tasks.yaml <<EOF
version: 1
tasks: 1-2
containers:
  worker:
    image: "$img"
    commands: ["echo task \${TASK}"]
EOF
  ud apply --task 1 -f tasks.yaml
  check "$img: apply --task 1" out_has "task 1"
  ud apply --task 2 -f tasks.yaml
  check "$img: apply --task 2 after task 1 reuses the container" out_has "task 2"
  ud rm worker
done

# A container holding 0500 directories and a 0000 file is removable.
expect_ok "rm of a container with 0500 directories" rm r-layers
check "rm: the name no longer resolves" bash -c '! "$UD_BIN" inspect -p r-layers >/dev/null 2>&1'
check "rm left nothing of it: containers/<id> is gone" [ ! -e "$(dirname "$lroot")" ]
# umoci keeps the image's 0500 directories as they are.
chmod -R u+rwX "$T_TMP"/umoci-* 2>/dev/null
finish
