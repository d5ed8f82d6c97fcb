#!/usr/bin/env bash
# Builds the release tarball OUTDIR/udocker-VERSION-x86_64.tar.gz (OUTDIR:
# build/): the static launcher as bin/udocker, the real program with its
# tracer and preload library in libexec/udocker/, and in libexec/udocker/lib/
# the ELF loader and every library udocker links or loads with dlopen
# (libcurl, libarchive, libsquashfs, libsquashfuse, libfuse3) with all they
# need, so that the unpacked directory runs with nothing of the host's
# userland; a CA bundle for hosts that have none. Prints the tarball's path
# and size. Usage: scripts/release.sh [OUTDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
out=$(mkdir -p "${1:-build}" && cd "${1:-build}" && pwd)
arch=$(uname -m)
[ "$arch" = x86_64 ] || { echo "release.sh: x86_64 only (this is $arch)" >&2; exit 1; }
version=$(sed -n 's/^project(udocker VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
[ -n "$version" ] || { echo "release.sh: no version in CMakeLists.txt" >&2; exit 1; }
scripts/build.sh build >/dev/null
b=$top/build
name=udocker-$version
stage=$(mktemp -d "$out/.release-XXXXXX")
trap 'rm -rf "$stage"' EXIT
r=$stage/$name
mkdir -p "$r/bin" "$r/libexec/udocker/lib" "$r/share/udocker" "$r/share/man/man1"
install -m 0755 "$b/udocker-launcher" "$r/bin/udocker"
install -m 0755 "$b/udocker" "$b/udocker-tracer" "$r/libexec/udocker/"
install -m 0644 "$b/libudocker-fakechroot.so" "$r/libexec/udocker/"
scripts/check-preload.sh "$r/libexec/udocker/libudocker-fakechroot.so"

# The libraries: udocker's and the dlopen-ed ones, each with its closure.
libdir=/lib/x86_64-linux-gnu
roots=("$b/udocker")
for so in libcurl.so.4 libarchive.so.13 libsquashfs.so.1 libsquashfuse_ll.so.0 libfuse3.so.3; do
  [ -e "$libdir/$so" ] || { echo "release.sh: $libdir/$so is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
  roots+=("$libdir/$so")
  cp -L "$libdir/$so" "$r/libexec/udocker/lib/$so"
done
for f in "${roots[@]}"; do
  if ldd "$f" | grep -q 'not found'; then
    echo "release.sh: $f needs a library this host lacks:" >&2
    ldd "$f" | grep 'not found' >&2
    exit 1
  fi
  ldd "$f" | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3} $1 ~ /^\/.*ld-linux/ {print "ld-linux-x86-64.so.2", $1}' |
    while read -r soname path; do
      [ -e "$r/libexec/udocker/lib/$soname" ] || cp -L "$path" "$r/libexec/udocker/lib/$soname"
    done
done
[ -x "$r/libexec/udocker/lib/ld-linux-x86-64.so.2" ] || { echo "release.sh: no ELF loader found" >&2; exit 1; }
strip --strip-unneeded "$r/bin/udocker" "$r/libexec/udocker/udocker" "$r/libexec/udocker/udocker-tracer" \
  "$r/libexec/udocker/libudocker-fakechroot.so" "$r"/libexec/udocker/lib/*.so*
chmod 0755 "$r"/libexec/udocker/lib/*

cp /etc/ssl/certs/ca-certificates.crt "$r/share/udocker/ca-certificates.crt"
cp docs/udocker.1 "$r/share/man/man1/"
cat >"$r/README" <<TXT
udocker $version for x86_64 Linux: run Docker/OCI images as an ordinary user.

Put $name/bin on your PATH (or link bin/udocker into ~/bin) and run
"udocker --help". Nothing else is needed from this host but its kernel:
the libraries udocker uses are in libexec/udocker/lib. "udocker install"
says which execution modes this host offers.
TXT

tarball=$out/$name-$arch.tar.gz
tar -C "$stage" --owner=0 --group=0 --numeric-owner -czf "$stage/t.tar.gz" "$name"
mv -f "$stage/t.tar.gz" "$tarball"
echo "$tarball $(stat -c %s "$tarball") bytes"
