#!/usr/bin/env bash
# Print CMocka's own summary lines from the last ctest run in BUILD_DIR, and their total.
set -u
log="$1/Testing/Temporary/LastTest.log"
[ -f "$log" ] || exit 0
grep -hE '^\[  (PASSED|FAILED|SKIPPED) +\]' "$log" | sort | uniq -c | sed 's/^/cmocka: /'
passed=$(grep -hE '^\[  PASSED  \] [0-9]+ test' "$log" | awk '{s+=$4} END {print s+0}')
failed=$(grep -hE '^\[  FAILED  \] [0-9]+ test' "$log" | awk '{s+=$4} END {print s+0}')
echo "cmocka: ${passed} passed, ${failed} failed"
