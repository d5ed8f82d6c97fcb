#!/usr/bin/env bash
# The release tarball (scripts/release.sh) in a root filesystem that holds
# nothing but busybox: no libc, no libraries, no loader. The test makes it,
# unpacks the tarball into it and enters it as this unprivileged user
# through a user and mount namespace (bubblewrap); there udocker pulls over
# HTTPS from the token registry, creates and runs containers in N1, P1 and
# F1; a renamed copy linked into ~/bin still finds its parts; missing parts
# are named.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"
tarball=$(ls "$(dirname "$UD_BIN")"/udocker-*-x86_64.tar.gz 2>/dev/null | head -1)
if [ -z "$tarball" ]; then
  skip "no release tarball beside $UD_BIN (scripts/release.sh makes one; the ASan build has none)"
  finish
  exit $?
fi
if ! command -v bwrap >/dev/null || ! [ -x /bin/busybox ]; then
  skip "bubblewrap or busybox-static is not installed"
  finish
  exit $?
fi
name=$(basename "$tarball" -x86_64.tar.gz)
R=$T_TMP/rootfs
mkdir -p "$R/bin" "$R/etc" "$R/tmp" "$R/opt" "$R/home/me"
cp /bin/busybox "$R/bin/"
for a in $(/bin/busybox --list); do [ -e "$R/bin/$a" ] || ln -s busybox "$R/bin/$a"; done
printf 'me:x:%s:%s::/home/me:/bin/sh\n' "$(id -u)" "$(id -g)" >"$R/etc/passwd"
printf 'me:x:%s:\n' "$(id -g)" >"$R/etc/group"
printf '127.0.0.1 localhost\n' >"$R/etc/hosts"
# A name service module that is not there must not break name lookups.
printf 'passwd: files sss\nhosts: files sss dns\n' >"$R/etc/nsswitch.conf"
cp "$UD_FIX_CA" "$R/etc/test-ca.pem"
tar -C "$R/opt" -xzf "$tarball"
libs=$(find "$R" -path "$R/opt" -prune -o \( -name 'libc.so*' -o -name 'ld-linux*' -o -name '*.so' -o -name '*.so.*' \) -print | wc -l)
check "the root filesystem holds no library outside the tarball" [ "$libs" = 0 ]
check "the root filesystem has no /lib" [ ! -e "$R/lib" ]
check "the root filesystem has no /lib64" [ ! -e "$R/lib64" ]
check "the root filesystem has no /usr" [ ! -e "$R/usr" ]

# inside [ENV=VALUE...] -- CMD: CMD in the busybox root, HOME /home/me,
# udocker of the tarball on PATH; output in $OUT / $ERR, status in $RC.
inside() {
  local envs=()
  while [ "$1" != -- ]; do envs+=(--setenv "${1%%=*}" "${1#*=}"); shift; done
  shift
  bwrap --bind "$R" / --dev /dev --proc /proc --unshare-pid --die-with-parent --clearenv \
    --setenv PATH "/opt/$name/bin:/bin" --setenv HOME /home/me --chdir /home/me \
    "${envs[@]}" /bin/sh -c "$*" >"$T_TMP/out" 2>"$T_TMP/err"
  RC=$?
  OUT=$(cat "$T_TMP/out")
  ERR=$(cat "$T_TMP/err")
}
CA=CURL_CA_BUNDLE=/etc/test-ca.pem
T=$UD_FIX_TOKEN

inside -- 'ls /lib /lib64 /usr 2>&1; echo end'
check "inside, there is no /lib, /lib64 nor /usr" out_is "$(printf 'ls: /lib: No such file or directory\nls: /lib64: No such file or directory\nls: /usr: No such file or directory\nend')"
inside -- udocker version
check "version runs" rc_is 0
check "version: 2.0.0 or later (sorts after 1.3.16)" [ "$(printf '1.3.16\n%s\n' "$(sed -n 's/^version: //p' <<<"$OUT")" | sort -V | tail -1)" != 1.3.16 ]
check "version says it runs from the release tarball" out_line "installed: release tarball in /opt/$name"
inside -- udocker install
check "install in the unpacked tarball succeeds" rc_is 0
check "install: the tracer is present" out_line "engine P (udocker-tracer): present, /opt/$name/libexec/udocker/udocker-tracer"
check "install: the preload library is present" out_line "engine F (libudocker-fakechroot.so): present, /opt/$name/libexec/udocker/libudocker-fakechroot.so"

inside -- timeout 120 udocker pull "$T/test/busybox:latest"
check "a pull over HTTPS with no CA given fails" [ "$RC" = 1 ]
check "... saying it is the certificate" grep -qi "certificate" <<<"$ERR"
inside "$CA" -- udocker pull "$T/test/busybox:latest"
check "pull over HTTPS from the token registry (CURL_CA_BUNDLE)" rc_is 0
inside "$CA" -- udocker pull "localhost:${T##*:}/test/busybox:latest"
check "pull by a name /etc/hosts resolves (nsswitch names a missing module)" rc_is 0
inside -- udocker create --name=bb "$T/test/busybox:latest"
check "create" rc_is 0
inside -- 'udocker run bb sh -c "echo N1 says hello from \$(hostname -s 2>/dev/null || echo inside); ls /"'
check "run in N1 prints from inside the container" out_has "N1 says hello"
check "N1: the container's root is the image's (its /bin/busybox)" out_has "bin"
inside -- 'udocker setup --execmode=P1 bb && udocker run bb sh -c "echo P1 says hello; ls /bin/busybox"'
check "run in P1 prints from inside the container" out_is "$(printf 'P1 says hello\n/bin/busybox')"
inside -- 'udocker run bb env'
check "the container sees neither the private library directory" out_lacks "libexec/udocker/lib"
check "... nor UDOCKER_LAUNCHER" out_lacks "UDOCKER_LAUNCHER"

if [ "${UD_TEST_BIG:-0}" = 1 ]; then
  inside "$CA" -- "udocker -q pull $T/test/debian:latest && udocker create --name=deb $T/test/debian:latest && udocker setup --execmode=F1 deb"
  check "create and setup --execmode=F1 of the Debian image" rc_is 0
  inside -- 'udocker run deb sh -c "echo F1 says hello; cat /etc/debian_version; ls -l /etc/debian_version | cut -c1-10"'
  check "run in F1 prints from inside the Debian container" out_has "F1 says hello"
  check "F1: the container's own files (debian_version 12)" out_has "12."
  check "F1: ls -l through the preload library" out_has "-rw-r--r--"
else
  skip "F1 on the Debian image: UD_TEST_BIG=0"
fi

# A copy renamed (with a space) and linked into ~/bin, run from elsewhere.
inside -- "mkdir -p '/home/me/my tools' /home/me/bin /home/me/work && cp -a /opt/$name '/home/me/my tools/ud' && ln -s '/home/me/my tools/ud/bin/udocker' /home/me/bin/ud && echo ok"
check "a renamed copy linked into ~/bin" out_is ok
inside -- 'cd /home/me/work && PATH=/home/me/bin:/bin ud install'
check "through the link: the tracer of the copy" out_line "engine P (udocker-tracer): present, /home/me/my tools/ud/libexec/udocker/udocker-tracer"
check "through the link: the preload library under a path with a space is refused, saying why" \
  out_has "engine F (libudocker-fakechroot.so): MISSING: the F modes' library is at '/home/me/my tools/ud/libexec/udocker/libudocker-fakechroot.so', a path with a space"
inside -- 'cd /home/me/work && PATH=/home/me/bin:/bin ud run bb echo P1 through the link'
check "P1 run through the link" out_is "P1 through the link"
if [ "${UD_TEST_BIG:-0}" = 1 ]; then
  # The loader splits LD_PRELOAD at spaces: F1 from there is refused, saying so.
  inside -- 'cd / && PATH=/home/me/bin:/bin ud run deb cat /etc/debian_version'
  check "F1 from a directory with a space is refused" rc_is 2
  check "... saying why" err_has "a path with a space or ':', where the loader's LD_PRELOAD splits it"
fi
inside -- "mv '/home/me/my tools' /home/me/mytools && ln -sfn /home/me/mytools/ud/bin/udocker /home/me/bin/ud && cd /home/me/work && PATH=/home/me/bin:/bin ud install"
check "through the link to a renamed copy: its preload library" out_line "engine F (libudocker-fakechroot.so): present, /home/me/mytools/ud/libexec/udocker/libudocker-fakechroot.so"
check "through the link to a renamed copy: its tracer" out_line "engine P (udocker-tracer): present, /home/me/mytools/ud/libexec/udocker/udocker-tracer"
if [ "${UD_TEST_BIG:-0}" = 1 ]; then
  inside -- 'cd / && PATH=/home/me/bin:/bin ud run deb cat /etc/debian_version'
  check "F1 run through the link to a renamed copy" out_has "12."
fi

# Slurm task scripts start the launcher, not the program behind it (an
# sbatch that shows the script it is given and fails: no Slurm in here).
inside -- "mkdir -p /home/me/fake && printf '#!/bin/sh\nfor a; do s=\$a; done\ncat \"\$s\" >&2\nexit 1\n' >/home/me/fake/sbatch && chmod +x /home/me/fake/sbatch && printf 'version: 1\ntasks: [1, 2]\ncontainers:\n  sub: {image: \"$T/test/busybox:latest\", commands: [true]}\n' >/home/me/sub.yaml && echo ok"
inside "$CA" -- 'cd /home/me && PATH=/home/me/fake:/home/me/bin:/bin ud submit -f sub.yaml'
check "submit's task script starts the launcher" err_has "/ud/bin/udocker' apply --offline"

# Missing parts are named.
inside -- "cp -a /opt/$name /home/me/broken && rm /home/me/broken/libexec/udocker/udocker-tracer && /home/me/broken/bin/udocker install"
check "install without the tracer fails" rc_is 1
check "... naming it missing" out_has "engine P (udocker-tracer): MISSING"
inside -- "udocker --help >/dev/null; /home/me/broken/bin/udocker run bb true"
check "a P1 run without the tracer says so" err_has "udocker-tracer"
inside -- "rm /home/me/broken/libexec/udocker/lib/ld-linux-x86-64.so.2; /home/me/broken/bin/udocker version"
check "without the loader the launcher exits 127" rc_is 127
check "... naming the loader" err_has "the ELF loader /home/me/broken/libexec/udocker/lib/ld-linux-x86-64.so.2"
inside -- "mkdir -p /home/me/alone/bin && cp /opt/$name/bin/udocker /home/me/alone/bin/ && /home/me/alone/bin/udocker version"
check "the launcher copied alone exits 127" rc_is 127
check "... naming the program it misses" err_has "the udocker program /home/me/alone/libexec/udocker/udocker"
inside -- "cp -a /opt/$name /home/me/a:b && /home/me/a:b/bin/udocker version"
check "a release in a directory with ':' is refused" rc_is 127
check "... saying why" err_has "library path cannot hold a directory whose name has ':'"
finish
