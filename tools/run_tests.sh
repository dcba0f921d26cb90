#!/usr/bin/env bash
# The whole libclef test suite, from a fresh Debian machine: installs what it needs, then
#  1. format check;
#  2. Release build (-g for abidiff): ctest (unit, parity, ABI exports, abidiff, install+consumer);
#  3. Debug build with AddressSanitizer + UBSan (halt on error): ctest;
#  4. the stages in tools/test.d/ (bindings, fuzz smoke runs, ...).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash tools/install_deps.sh
jobs=$(nproc)
export CTEST_OUTPUT_ON_FAILURE=1

echo "== format check"
bash tools/check_format.sh

echo "== Release build + tests"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS=-g \
      -DPython3_EXECUTABLE="$root/build/venv/bin/python" > build/release.configure.log
cmake --build build/release -j "$jobs" > build/release.build.log 2>&1 || { tail -50 build/release.build.log; exit 1; }
(cd build/release && ctest -j "$jobs" --timeout 900)
bash tools/cmocka_summary.sh build/release

echo "== Debug + AddressSanitizer + UBSan build + tests"
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:strict_string_checks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DCLEF_SANITIZE=address,undefined \
      -DPython3_EXECUTABLE="$root/build/venv/bin/python" > build/asan.configure.log
cmake --build build/asan -j "$jobs" > build/asan.build.log 2>&1 || { tail -50 build/asan.build.log; exit 1; }
(cd build/asan && ctest -j "$jobs" --timeout 900)
bash tools/cmocka_summary.sh build/asan

# Further stages (bindings, fuzz smoke runs, ...): one script each in tools/test.d/, in order.
for stage in tools/test.d/*.sh; do
  [ -e "$stage" ] || continue
  echo "== stage $(basename "$stage")"
  bash "$stage"
done
echo "== all test stages passed"
