#!/usr/bin/env bash
# Builds the libFuzzer harnesses in build/fuzz (or $CLEF_FUZZ_BUILD): clang, RelWithDebInfo, ASan+UBSan, -DCLEF_BUILD_FUZZ=ON.
# Shared by the CI fuzz smoke stage (tools/test.d/20-fuzz-smoke.sh) and the fuzz campaign
# (tools/fuzz_campaign.sh). Usage: tools/fuzz_build.sh [JOBS]: builds the fuzz_<name> targets only
# (the library and one binary per fuzz/<name>.c); logs in <build dir>.{configure,build}.log.
# CLEF_WERROR=OFF: warnings are the job of the gcc builds; clang's -Wformat=2 flags va_list
# forwarding in lib/core/ctx.c. Exits 2 when clang is missing (callers decide whether that is a skip).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
if ! command -v clang > /dev/null; then
  echo "fuzz build: clang not found" >&2
  exit 2
fi
jobs="${1:-$(nproc)}"
bdir="${CLEF_FUZZ_BUILD:-build/fuzz}"
mkdir -p "$(dirname "$bdir")"
cmake -S . -B "$bdir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
      -DCMAKE_CXX_COMPILER=clang++ \
      -DCLEF_BUILD_FUZZ=ON -DCLEF_SANITIZE=address,undefined \
      -DCLEF_WERROR=OFF > "$bdir.configure.log" 2>&1 || { tail -50 "$bdir.configure.log"; exit 1; }
targets=()
for src in fuzz/*.c; do
  name="$(basename "$src" .c)"
  [ "$name" = regression_driver ] || targets+=("fuzz_$name")
done
cmake --build "$bdir" -j "$jobs" --target "${targets[@]}" > "$bdir.build.log" 2>&1 || { tail -50 "$bdir.build.log"; exit 1; }
