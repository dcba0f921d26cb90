#!/usr/bin/env bash
# ThreadSanitizer stage: the tests labelled `tsan` (thread pool, shared immutable handles used
# from many threads) in a -DCLEF_SANITIZE=thread build.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
cmake -S . -B build/tsan -DCMAKE_BUILD_TYPE=Debug -DCLEF_SANITIZE=thread -DCLEF_BUILD_CLI=OFF \
      -DCLEF_BUILD_EXAMPLES=OFF > build/tsan.configure.log
cmake --build build/tsan -j "$(nproc)" > build/tsan.build.log 2>&1 || { tail -50 build/tsan.build.log; exit 1; }
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
(cd build/tsan && ctest -L tsan -j "$(nproc)" --output-on-failure)
