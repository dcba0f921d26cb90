#!/usr/bin/env bash
# ABI compatibility gate: abidiff the built library against the committed baseline.
# usage: abi_check.sh libclef.so include_dir baseline.abi ABI_VERSION
# An incompatible change (abidiff bit 8) fails unless CLEF_ABI_VERSION was bumped beyond the
# baseline's SONAME; compatible additions pass. Regenerate the baseline on a release with:
#   abidw --headers-dir include --no-corpus-path --no-show-locs --out-file tests/abi/libclef.abi \
#         build/release/lib/libclef.so
set -u
lib="$1"; inc="$2"; base="$3"; abi="$4"
if [ ! -f "$base" ]; then echo "missing ABI baseline $base"; exit 1; fi
base_soname=$(grep -oE "soname='libclef\.so\.[0-9]+'" "$base" | grep -oE '[0-9]+' | tail -n1)
abidiff --headers-dir2 "$inc" --no-added-syms "$base" "$lib" > abidiff.out 2>&1
rc=$?
cat abidiff.out
if [ $((rc & 1)) -ne 0 ] || [ $((rc & 2)) -ne 0 ]; then
  echo "abidiff itself failed (exit $rc)"; exit 1
fi
if [ $((rc & 8)) -ne 0 ]; then
  if [ "$abi" -gt "${base_soname:-0}" ]; then
    echo "incompatible ABI change accepted: CLEF_ABI_VERSION bumped $base_soname -> $abi"
    exit 0
  fi
  echo "INCOMPATIBLE ABI change without a CLEF_ABI_VERSION bump (baseline abi $base_soname)"
  exit 1
fi
echo "ABI compatible with baseline (abi $base_soname; abidiff exit $rc)"
