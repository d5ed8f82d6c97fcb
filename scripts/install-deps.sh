#!/usr/bin/env bash
# Installs what building, the demo and the tests need on Debian 12 (run as root).
# proot is not among them: P1/P2 use the built-in tracer. tests/functional/
# t_run_p.sh (UDOCKER_USE_PROOT_EXECUTABLE) runs where proot is installed;
# bench/ptrace.sh installs it to compare against.
set -euo pipefail
pkgs=(build-essential cmake pkg-config clang-format
      libyaml-dev libcurl4-openssl-dev libarchive-dev libjansson-dev libssl-dev check
      libsquashfs-dev squashfs-tools squashfs-tools-ng
      docker-registry skopeo busybox-static debootstrap apache2-utils openssl curl
      ca-certificates bc runc crun bubblewrap patchelf slurm-wlm munge libpmix-dev clang libclang-rt-dev python3 python3-cryptography util-linux passwd procps
      buildah podman umoci zstd attr libcap2-bin
      cwltool python3-pytest nodejs
      libsquashfuse-dev libsquashfuse0 libfuse3-dev fuse3)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages: ${missing[*]} (run as root to install them)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
