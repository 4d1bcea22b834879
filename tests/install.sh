#!/bin/bash
# `meson install` into a DESTDIR puts every file in place, and a program
# built as a user would, against the installed pkg-config file, header and
# library only, runs with that library.
# Usage: install.sh BUILD_DIR SOURCE_DIR PREFIX BINDIR LIBDIR INCLUDEDIR MANDIR VERSION SOVERSION
# (directories absolute, as configured; the C compiler command in $CC, and
# the sanitizers the library was built with, if any, in $SANITIZE)
set -uo pipefail
build=$1 src=$2 prefix=$3 bindir=$4 libdir=$5 includedir=$6 mandir=$7 version=$8 soversion=$9
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. "$src/tests/harness.sh"
root=$work/root

check "meson install into a DESTDIR" meson install -C "$build" --no-rebuild --quiet --destdir "$root"
lib=$root$libdir
check "the lumenq binary is installed" test -x "$root$bindir/lumenq"
check "lumenq-phantom is installed" test -x "$root$bindir/lumenq-phantom"
check "the library is installed as liblumenq.so.$version" test -f "$lib/liblumenq.so.$version"
check "liblumenq.so.$soversion links to it" test "$(readlink "$lib/liblumenq.so.$soversion")" = "liblumenq.so.$version"
check "liblumenq.so links to the soname" test "$(readlink "$lib/liblumenq.so")" = "liblumenq.so.$soversion"
check "its soname is liblumenq.so.$soversion" \
    grep -q "Library soname: \[liblumenq.so.$soversion\]" <(readelf -d "$lib/liblumenq.so.$version")
check "lumenq.h is installed" test -f "$root$includedir/lumenq/lumenq.h"
check "version.h is installed" test -f "$root$includedir/lumenq/version.h"
check "the man page is installed" test -f "$root$mandir/man1/lumenq.1"
check "lumenq.pc is installed" test -f "$lib/pkgconfig/lumenq.pc"
check "the internal static library is not installed" test ! -e "$lib/liblumenq_internal.a"
check "nothing from the test suite is installed" test -z "$(find "$root" -name 'test-*' -o -name checkasm -o -name 'bench-*')"

# The installed binary runs with the installed library (its build-tree
# RUNPATH is removed on install).
check "the installed lumenq runs with the installed library" \
    grep -q "^lumenq $version\$" <(LD_LIBRARY_PATH=$lib "$root$bindir/lumenq" --version)
check "the installed lumenq resolves liblumenq from the DESTDIR" \
    grep -q "liblumenq.so.$soversion => $lib/" <(LD_LIBRARY_PATH=$lib ldd "$root$bindir/lumenq")
check "the man page names version $version" grep -q "^\.TH LUMENQ 1 .*\"lumenq $version\"" "$root$mandir/man1/lumenq.1"

# A user's program through pkg-config: the sysroot prefixes the installed
# paths with the DESTDIR.
export PKG_CONFIG_PATH=$lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$root
check "pkg-config knows lumenq $version" test "$(pkg-config --modversion lumenq)" = "$version"
flags=$(pkg-config --cflags --libs lumenq)
check "pkg-config's flags point into the DESTDIR" grep -q -- "-I$root$includedir .*-L$lib " <<<"$flags "
sanitize=()
[ -n "${SANITIZE:-}" ] && [ "$SANITIZE" != none ] && sanitize=(-fsanitize="$SANITIZE")
# shellcheck disable=SC2086 # $CC and $flags are word lists
check "a client program builds against the installed lumenq" \
    $CC -std=c17 -Wall -Wextra -Werror "${sanitize[@]}" "$src/tests/install_client.c" -o "$work/client" $flags
check "the client resolves liblumenq from the DESTDIR" \
    grep -q "liblumenq.so.$soversion => $lib/" <(LD_LIBRARY_PATH=$lib ldd "$work/client")
# Frame 2 of an RLE colour file: the installed library has DCMTK's codecs
# registered (the value is what tests/test_luma.c's decoding gives; the
# uncompressed twin from dcmdrle reads the same).
LD_LIBRARY_PATH=$lib "$work/client" "$src/testdata/pydicom/SC_rgb_rle_2frame.dcm" 2 >"$work/out" 2>&1
check "the client reads a frame through the installed library" \
    grep -qx "lumenq $version: 100x100 RGB, 2 frames; frame 2 mean luma 203.900" "$work/out"
LD_LIBRARY_PATH=$lib "$work/client" "$src/testdata/pydicom/SC_rgb_rle_2frame.dcm" 3 >"$work/out" 2>&1
check "and gets the library's error for a frame that is not there" \
    grep -q "frame 3 out of range: frames 1-2" "$work/out"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
