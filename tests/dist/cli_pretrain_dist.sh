#!/usr/bin/env bash
# clef pretrain --dist under mpirun -np 2 on the tests' session-mean tokenizer and its cohort
# (fixtures of tests/cli): rank 0 reports and writes; its weights and checkpoint equal, byte for
# byte, those of one process emulating 2 ranks (--as-ranks 2), and plain single-process
# training on the same global batches is within the tolerance of docs/distributed.md.
# Usage: cli_pretrain_dist.sh MPIRUN CLEF WEIGHTS_DIFF FIXTURE_DIR
set -euo pipefail
mpirun="$1"
clef="$2"
wdiff="$3"
fix="$4"
work="$(mktemp -d /tmp/clef_cli_dist_XXXXXX)"
trap 'rm -rf "$work"' EXIT
tiny=(--d-model 16 --layers 1 --heads 2 --d-ff 32 --embed-dim 12 --crop-cols 24 --steps 3
  --val-every 0 --lr 3e-3 --grad-clip 0.5 --ema-decay 0.9 --quiet)
args=("$fix/coh_mean" -w "$fix/wm.safetensors" "${tiny[@]}")
"$mpirun" --allow-run-as-root --oversubscribe -np 2 "$clef" pretrain "${args[@]}" --batch 4 \
  --dist -o "$work/dist.safetensors" > "$work/dist.txt" 2> "$work/dist.err" ||
  { cat "$work/dist.err"; exit 1; }
grep -q "data-parallel over 2 ranks" "$work/dist.err"
[ "$(grep -c "^3 steps -> $work/dist.safetensors" "$work/dist.txt")" = 1 ] # rank 0 only
[ -s "$work/dist.safetensors" ] && [ -s "$work/dist.safetensors.ckpt" ]
# one process, 2 threads, emulating the 2 ranks: the same bytes
"$clef" pretrain "${args[@]}" --batch 4 --as-ranks 2 --threads 2 -o "$work/emu.safetensors" \
  > /dev/null 2>&1
cmp "$work/dist.safetensors" "$work/emu.safetensors"
cmp "$work/dist.safetensors.ckpt" "$work/emu.safetensors.ckpt"
# plain single process: the same sums in another order
"$clef" pretrain "${args[@]}" --batch 4 -o "$work/plain.safetensors" > /dev/null 2>&1
"$wdiff" "$work/dist.safetensors" "$work/plain.safetensors" 1e-5
# the comparison can fail: half the global batch is far off
"$clef" pretrain "${args[@]}" --batch 2 -o "$work/half.safetensors" > /dev/null 2>&1
rc=0
"$wdiff" "$work/dist.safetensors" "$work/half.safetensors" 1e-3 || rc=$?
[ "$rc" = 1 ]
echo "cli pretrain dist: ok"
