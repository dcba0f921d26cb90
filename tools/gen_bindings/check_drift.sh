#!/usr/bin/env bash
# Drift check of the generated bindings.
#   usage: check_drift.sh [path/to/libclef.so]
# 1. Regenerates the bindings from include/clef.h into a temporary directory and fails if any
#    committed generated file differs (fix: python3 tools/gen_bindings/gen_bindings.py).
# 2. With a library: fails if it exports a clef_* function that the Python or R bindings do
#    not bind.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
gen="$root/tools/gen_bindings/gen_bindings.py"
py="${PYTHON:-python3}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

"$py" "$gen" --out-dir "$tmp"
status=0
while read -r rel; do
  if ! diff -u "$root/$rel" "$tmp/$rel" > "$tmp/diff.txt" 2>&1; then
    echo "drift: $rel differs from what gen_bindings.py generates from include/clef.h:"
    head -40 "$tmp/diff.txt"
    status=1
  fi
done < <("$py" "$gen" --list-files)

if [ $# -ge 1 ]; then
  lib="$1"
  nm -D --defined-only "$lib" | awk '$2 ~ /^[TW]$/ {print $3}' | sed 's/@.*//' \
    | grep '^clef_' | sort -u > "$tmp/exports"
  "$py" - "$root/bindings/python/clef/_ffi.py" > "$tmp/py_bound" <<'PYEOF'
import ast, sys
tree = ast.parse(open(sys.argv[1], encoding="utf-8").read())
for node in tree.body:
    if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "FUNCTIONS":
        for k in node.value.keys:
            print(k.value)
PYEOF
  sort -u -o "$tmp/py_bound" "$tmp/py_bound"
  sed -n 's/^ *{"C_\(clef_[A-Za-z0-9_]*\)".*/\1/p' "$root/bindings/r/src/init.c" | sort -u \
    > "$tmp/r_bound"
  for side in py r; do
    missing=$(comm -23 "$tmp/exports" "$tmp/${side}_bound")
    if [ -n "$missing" ]; then
      echo "unbound in the $side bindings (exported by $lib):"
      echo "$missing" | sed 's/^/  /'
      status=1
    fi
  done
  echo "bindings: $(wc -l < "$tmp/exports") exported functions, $(wc -l < "$tmp/py_bound") bound" \
    "in Python, $(wc -l < "$tmp/r_bound") in R"
fi
[ $status -eq 0 ] && echo "bindings drift check: clean"
exit $status
