#!/bin/bash
# Builds the segmentation, CT and reader kernels and tests/checkasm for aarch64 with a cross
# compiler and runs them under qemu-user, so the NEON kernels are checked
# against their scalar twins on an x86 machine too. Installs the cross
# toolchain and qemu-user when missing (Debian packages).
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for pkg in gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "check-neon: installing ${need[*]}" >&2
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi
out=build-aarch64
mkdir -p "$out/include/lumenq"
# lumenq.h includes the version header meson generates: made here the same way,
# from the project version in meson.build
version=$(sed -n "s/^  version : '\([0-9.]*\)',/\1/p" meson.build | head -1)
IFS=. read -r major minor patch <<<"$version"
sed -e "s/@VERSION@/$version/" -e "s/@MAJOR@/$major/" -e "s/@MINOR@/$minor/" \
    -e "s/@PATCH@/$patch/" include/lumenq/version.h.in >"$out/include/lumenq/version.h"
aarch64-linux-gnu-gcc -std=c17 -O2 -Wall -Wextra -D_POSIX_C_SOURCE=200809L -DLQ_ARCH_ARM -I"$out/include" -Iinclude -Isrc -Itests \
    src/cpu.c src/segment/dsp.c src/segment/generic/kernels_c.c src/segment/arm/dsp_init.c \
    src/segment/arm/kernels_neon.c src/ct/dsp.c src/ct/generic/kernels_c.c \
    src/reader/dsp.c src/reader/generic/kernels_c.c src/reader/arm/dsp_init.c src/reader/arm/kernels_neon.c \
    tests/checkasm/checkasm.c tests/checkasm/ct.c tests/checkasm/reader.c -o "$out/checkasm"
exec qemu-aarch64 -L /usr/aarch64-linux-gnu "$out/checkasm" "$@"
