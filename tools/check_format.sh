#!/usr/bin/env bash
# Fail if any tracked C/C++ source differs from .clang-format (fix with: tools/check_format.sh --fix).
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.c' '*.h' '*.cpp' | grep -v '^tests/data/')
[ ${#files[@]} -eq 0 ] && { echo "no sources"; exit 0; }
if [ "${1:-}" = "--fix" ]; then
  clang-format -i "${files[@]}"; exit 0
fi
clang-format --dry-run --Werror "${files[@]}"
echo "format check: ${#files[@]} files clean"
