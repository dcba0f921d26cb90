#!/usr/bin/env bash
# usage: install_consumer.sh BUILD_DIR CONSUMER_SRC WORK_DIR
set -eu
build="$1"; src="$2"; work="$3"
rm -rf "$work"; mkdir -p "$work"
prefix="$work/prefix"
cmake --install "$build" --prefix "$prefix" > "$work/install.log"
libdir=$(find "$prefix" -name 'libclef.so' -printf '%h\n' | head -n1)
test -f "$prefix/include/clef.h"
test -f "$libdir/libclef.a"
test -f "$libdir/pkgconfig/clef.pc"
test -f "$libdir/cmake/clef/clefConfig.cmake"
soname=$(objdump -p "$libdir/libclef.so" | awk '/SONAME/ {print $2}')
echo "installed SONAME: $soname"
case "$soname" in libclef.so.[0-9]*) ;; *) echo "bad SONAME '$soname'"; exit 1;; esac

# 1. pkg-config, shared
export PKG_CONFIG_PATH="$libdir/pkgconfig"
cc -std=c11 -Wall -Werror "$src/consumer.c" $(pkg-config --cflags --libs clef) -o "$work/consumer_pc"
LD_LIBRARY_PATH="$libdir" "$work/consumer_pc"
# 2. pkg-config, static
cc -std=c11 -Wall -Werror -DCLEF_STATIC "$src/consumer.c" \
   $(pkg-config --cflags clef) "$libdir/libclef.a" $(pkg-config --libs --static clef | sed 's/-lclef//') \
   -o "$work/consumer_static"
"$work/consumer_static"
# 3. find_package(clef), shared and static targets
cmake -S "$src" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" > "$work/cmake.log"
cmake --build "$work/cmake-build" > "$work/build.log"
LD_LIBRARY_PATH="$libdir" "$work/cmake-build/consumer_shared"
"$work/cmake-build/consumer_static"
echo "install + consumer test passed (pkg-config shared/static, find_package shared/static)"
