#!/usr/bin/env bash
# Tokenizer speed, libclef vs PyTorch CPU, same weights, same input, same run.
# Usage: bench/tokenizer/run_bench.sh [BUILD_DIR] [PYTHON]   (build with -DCLEF_BUILD_BENCH=ON)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/build/bench}"
py="${2:-$root/build/refvenv/bin/python}"
ref="$root/tools/ref/tokenizer_ref.py"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
w="$work/tok_default.safetensors"
# the machine first (CPU model, ISA, BLAS kernel): bench_tokenizer prints it before its usage
{ "$build/bench/tokenizer/bench_tokenizer" 2>/dev/null || true; } | grep -m1 'machine:'
echo "== $(date -u +%FT%TZ) load: $(uptime | sed 's/.*load average: //') ($(nproc) cores)"
"$py" "$ref" --save-default "$w"
for t in 1 2; do
  "$py" "$ref" --bench "$t" "$w" --reps 5 | tee "$work/torch$t.txt"
  "$build/bench/tokenizer/bench_tokenizer" "$w" "$w.input" 1197 "$t" 5 "$w.torch_ids" \
    | tee "$work/clef$t.txt"
  p=$(sed -n 's/^encode_s=//p' "$work/torch$t.txt")
  c=$(sed -n 's/^encode_s=//p' "$work/clef$t.txt")
  awk -v t="$t" -v p="$p" -v c="$c" \
    'BEGIN {printf "ratio PyTorch/libclef encode, %d thread(s): %.2fx (issue 18 target >= 1.5x: %s)\n",
      t, p / c, (p / c >= 1.5 ? "met" : "NOT met")}'
done
echo "== load after: $(uptime | sed 's/.*load average: //')"
