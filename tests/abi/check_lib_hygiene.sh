#!/usr/bin/env bash
# The library never prints, exits or aborts, and never asserts on input (docs/C-STYLE.md rule 5).
set -u
src="$1"
bad=$(grep -rnE '\b(exit|abort|_Exit|quick_exit|printf|fprintf|puts|fputs|perror|assert)[[:space:]]*\(' \
      "$src/lib" --include='*.c' --include='*.h' | grep -vE '^\S+:[0-9]+:\s*(/\*|\*)')
if [ -n "$bad" ]; then
  echo "forbidden calls in lib/:"
  echo "$bad"
  exit 1
fi
echo "lib/ hygiene: no exit/abort/print/assert calls"
