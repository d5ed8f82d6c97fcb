#!/usr/bin/env bash
# setup --nvidia with stand-in host driver files (this host has no GPU):
# UDOCKER_NVIDIA_LIBDIRS / _BINDIR / _ETCDIR name them. Copies, refusals
# (no glibc, a newer glibc needed, already there) and --force.
. "$(dirname "$0")/lib.sh"
cd "$T_TMP"
P=$UD_FIX_PLAIN
ud images
if ! command -v gcc >/dev/null; then
  skip "nvidia: no gcc to build stand-in libraries"
  finish
  exit $?
fi
# Stand-in driver: real shared libraries (their glibc needs are read),
# the usual symlinks, a tool and an ICD file.
mkdir -p host/lib host/bin host/etc/OpenCL/vendors newer/lib
printf '#include <stdio.h>\nint cuInit(unsigned f) { return printf("%%u", f); }\n' >cuda.c
gcc -shared -fPIC -o host/lib/libcuda.so.535.54.03 cuda.c
ln -s libcuda.so.535.54.03 host/lib/libcuda.so.1
printf '#include <stdio.h>\nint nvmlInit(void) { return puts("ml"); }\n' >ml.c
gcc -shared -fPIC -o host/lib/libnvidia-ml.so.535.54.03 ml.c
ln -s libnvidia-ml.so.535.54.03 host/lib/libnvidia-ml.so.1
echo 'not nvidia' >host/lib/libother.so.1
printf '#!/bin/sh\necho "NVIDIA-SMI stand-in"\n' >host/bin/nvidia-smi
chmod 755 host/bin/nvidia-smi
echo libnvidia-opencl.so.1 >host/etc/OpenCL/vendors/nvidia.icd
# The same library claiming to need glibc 9.2.
cp host/lib/libcuda.so.535.54.03 newer/lib/libcuda.so.1
python3 -c 'import sys; p=sys.argv[1]; d=open(p,"rb").read(); assert b"GLIBC_2.2.5" in d; open(p,"wb").write(d.replace(b"GLIBC_2.2.5", b"GLIBC_9.2.5"))' newer/lib/libcuda.so.1
export UDOCKER_NVIDIA_LIBDIRS=$T_TMP/host/lib UDOCKER_NVIDIA_BINDIR=$T_TMP/host/bin UDOCKER_NVIDIA_ETCDIR=$T_TMP/host/etc

ud create --name=nbusy "$P/test/busybox"
expect_fail "a container without glibc is refused" 1 "has no glibc" setup --nvidia nbusy
UDOCKER_NVIDIA_LIBDIRS=$T_TMP/nowhere ud setup --nvidia nbusy
check "no host driver: refused" rc_is 1
check "no host driver: says where it looked" err_has "host nvidia libraries not found"

if [ "${UD_TEST_BIG:-0}" != 1 ]; then
  skip "nvidia into a glibc container: UD_TEST_BIG=0"
  finish
  exit $?
fi
ud create --name=nv "$P/test/debian"
ud inspect -p nv
root=$OUT
lib=$root/usr/lib/x86_64-linux-gnu
UDOCKER_NVIDIA_LIBDIRS=$T_TMP/newer/lib ud setup --nvidia nv
check "libraries needing a newer glibc are refused" rc_is 1
check "the refusal names both glibc versions" err_has "needs glibc 9.2, the container has 2.36"
check "and no library was copied" [ ! -e "$lib/libcuda.so.1" ]
check "and no tool was copied" [ ! -e "$root/usr/bin/nvidia-smi" ]
ud setup nv
check "setup reports nvidiamode False" out_has "nvidiamode: False"
expect_ok "setup --nvidia" setup --nvidia nv
check "libcuda copied" [ -f "$lib/libcuda.so.535.54.03" ]
check "its soname symlink copied" [ "$(readlink "$lib/libcuda.so.1")" = libcuda.so.535.54.03 ]
check "libnvidia-ml copied" [ -f "$lib/libnvidia-ml.so.535.54.03" ]
check "other host libraries left" [ ! -e "$lib/libother.so.1" ]
check "the tool copied" [ -x "$root/usr/bin/nvidia-smi" ]
check "the ICD file copied" [ -f "$root/etc/OpenCL/vendors/nvidia.icd" ]
ud setup nv
check "setup reports nvidiamode True" out_has "nvidiamode: True"
ud run nv nvidia-smi
check "the tool runs in the container" out_is "NVIDIA-SMI stand-in"
ud run nv /bin/sh -c 'ls /usr/lib/x86_64-linux-gnu/libcuda.so.1 && ldd /usr/lib/x86_64-linux-gnu/libcuda.so.1 | grep -c "libc.so.6 =>"'
check "the container's loader resolves the library against its glibc" out_has "1"
expect_fail "a second setup --nvidia says it is there" 1 "already exists, use --force" setup --nvidia nv
expect_ok "--force overwrites it" setup --nvidia --force nv
finish
