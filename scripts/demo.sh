#!/usr/bin/env bash
# The main job end to end on a fresh Debian 12 machine (run as root):
# installs dependencies, builds udocker, starts a local registry on
# 127.0.0.1 with a demo image (busybox from Debian's busybox-static, pushed
# with skopeo), then, as an unprivileged user, validates, plans and applies
# examples/demo.yaml twice: the second apply downloads nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
user=${UD_DEMO_USER:-udtest}

scripts/install-deps.sh
scripts/build.sh build

work=$(mktemp -d /tmp/udocker-demo-XXXXXX)
chmod 755 "$work"
state="$work/fixtures"
images=/var/cache/udocker-fixtures/images
mkdir -p "$state" "$images" "$work/bin"
trap 'tests/fixtures/registry.sh stop "$state" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
tests/fixtures/images.sh "$images"
tests/fixtures/registry.sh start "$state"
tests/fixtures/push.sh "$state" "$images"
chmod -R a+rX "$state"
# shellcheck disable=SC1091
. "$state/env"
cp build/udocker "$work/bin/udocker"
cp examples/demo.yaml "$work/demo.yaml"
chmod -R a+rX "$work"
id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"

demo() {
  runuser -u "$user" -- env -i PATH=/usr/bin:/bin HOME="$work/home" \
    UDOCKER_DIR="$work/home/.udocker" DEMO_REGISTRY="$UD_FIX_PLAIN" "$@"
}
mkdir -p "$work/home" && chown "$user" "$work/home"
set -x
demo "$work/bin/udocker" validate -f "$work/demo.yaml"
demo "$work/bin/udocker" plan -f "$work/demo.yaml"
demo "$work/bin/udocker" apply -f "$work/demo.yaml"
demo "$work/bin/udocker" plan -f "$work/demo.yaml"
demo "$work/bin/udocker" apply -f "$work/demo.yaml"
demo "$work/bin/udocker" images -p
demo "$work/bin/udocker" verify "$UD_FIX_PLAIN/test/busybox:latest"
