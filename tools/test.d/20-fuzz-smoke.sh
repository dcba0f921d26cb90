#!/usr/bin/env bash
# Fuzz smoke stage: when clang is present, build the libFuzzer harnesses in build/fuzz
# (-DCLEF_BUILD_FUZZ=ON) and run each for a short while on a copy of its seed corpus.
# FUZZ_SECONDS (default 20) sets the time per harness. Without clang the stage is skipped; the
# corpora are still replayed by ctest (fuzz_replay_*) in every build. CLEF_WERROR=OFF: warnings
# are the job of the gcc builds; clang's -Wformat=2 flags va_list forwarding in lib/core/ctx.c.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
if ! command -v clang > /dev/null; then
  echo "fuzz smoke: clang not found, skipped"
  exit 0
fi
secs="${FUZZ_SECONDS:-20}"
cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
      -DCMAKE_CXX_COMPILER=clang++ \
      -DCLEF_BUILD_FUZZ=ON -DCLEF_SANITIZE=address,undefined \
      -DCLEF_WERROR=OFF > build/fuzz.configure.log
cmake --build build/fuzz -j "$(nproc)" > build/fuzz.build.log 2>&1 || { tail -50 build/fuzz.build.log; exit 1; }
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
for bin in build/fuzz/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  name="$(basename "$bin")"; name="${name#fuzz_}"
  work="build/fuzz/corpus-$name"
  mkdir -p "$work"
  cp -n fuzz/corpus/"$name"/* "$work"/ 2> /dev/null || true
  echo "fuzz smoke: $name for ${secs}s"
  "$bin" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -print_final_stats=0 \
         "$work" > "build/fuzz/$name.log" 2>&1 || { tail -40 "build/fuzz/$name.log"; exit 1; }
done
echo "fuzz smoke: all harnesses ran clean"
