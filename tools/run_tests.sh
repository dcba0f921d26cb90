#!/usr/bin/env bash
# The whole libclef test suite, from a fresh Debian machine: installs what it needs, then
#  1. format check;
#  2. Release build (-g for abidiff; the benchmarks are compiled, never run, so that they keep
#     building with -Werror): ctest (unit, parity, ABI exports, abidiff, install+consumer);
#  3. Debug build with AddressSanitizer + UBSan (halt on error): ctest;
#  4. the stages in tools/test.d/ (bindings, fuzz smoke runs, ...). The bindings stage needs only
#     the Release build and runs mostly on one core, so it runs beside step 3 (its output is
#     printed when it ends); each step prints its wall time.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash tools/install_deps.sh
jobs=$(nproc)
export CTEST_OUTPUT_ON_FAILURE=1

echo "== format check"
bash tools/check_format.sh

echo "== Release build + tests"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS=-g -DCLEF_BUILD_BENCH=ON \
      -DPython3_EXECUTABLE="$root/build/venv/bin/python" > build/release.configure.log
cmake --build build/release -j "$jobs" > build/release.build.log 2>&1 || { tail -50 build/release.build.log; exit 1; }
(cd build/release && ctest -j "$jobs" --timeout 900)
bash tools/cmocka_summary.sh build/release
echo "   ($SECONDS s so far)"

beside=tools/test.d/50-bindings.sh
echo "== stage $(basename "$beside"), beside the sanitizer build (output: build/stage-bindings.log)"
bash "$beside" > build/stage-bindings.log 2>&1 &
beside_pid=$!
# on an early exit, stop the stage too (its children first)
trap 'pkill -TERM -P "$beside_pid" 2>/dev/null; kill "$beside_pid" 2>/dev/null || true' EXIT

echo "== Debug + AddressSanitizer + UBSan build + tests"
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:strict_string_checks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DCLEF_SANITIZE=address,undefined \
      -DPython3_EXECUTABLE="$root/build/venv/bin/python" > build/asan.configure.log
cmake --build build/asan -j "$jobs" > build/asan.build.log 2>&1 || { tail -50 build/asan.build.log; exit 1; }
(cd build/asan && ctest -j "$jobs" --timeout 900)
bash tools/cmocka_summary.sh build/asan
echo "   ($SECONDS s so far)"

echo "== stage $(basename "$beside") (started beside the sanitizer build)"
status=0
wait "$beside_pid" || status=$?
cat build/stage-bindings.log
[ "$status" -eq 0 ] || { echo "stage $(basename "$beside") failed ($status)"; exit 1; }
trap - EXIT
echo "   ($SECONDS s so far)"

# Further stages (fuzz smoke runs, ...): one script each in tools/test.d/, in order.
for stage in tools/test.d/*.sh; do
  [ -e "$stage" ] && [ "$stage" != "$beside" ] || continue
  echo "== stage $(basename "$stage")"
  bash "$stage"
  echo "   ($SECONDS s so far)"
done
echo "== all test stages passed in $SECONDS s"
