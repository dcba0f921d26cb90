#!/usr/bin/env bash
# clef align --dist under mpirun -np 2 on the tests' session-mean tokenizer and its cohort
# (fixtures of tests/cli): every rank embeds half of each batch and the embeddings are
# all-gathered, so the result equals one process on the same global batches up to float
# summation order (tolerance of docs/distributed.md); half the batch is far off. Needs the text
# encoder (build/minilm): exit 77 (skip) without it.
# Usage: cli_align_dist.sh MPIRUN CLEF WEIGHTS_DIFF FIXTURE_DIR MINILM_DIR
set -euo pipefail
mpirun="$1"
clef="$2"
wdiff="$3"
fix="$4"
minilm="$5"
[ -f "$minilm/model.safetensors" ] || { echo "no text encoder in $minilm: skipped"; exit 77; }
export CLEF_TEXT_MODEL="$minilm"
work="$(mktemp -d /tmp/clef_cli_adist_XXXXXX)"
trap 'rm -rf "$work"' EXIT
. "$(dirname "$0")/../cli/align_store.sh"
align_store_embedded "$clef" "$fix" "$work"
args=(--store "$work/s.db" -w "$work/enc.safetensors" --dim 16 --width 8 --layers 1 --heads 2
  --eeg-hidden 16 --steps 3 --lr 3e-3 --quiet)
"$mpirun" --allow-run-as-root --oversubscribe -np 2 "$clef" align "${args[@]}" --batch 8 \
  --dist -o "$work/dist.safetensors" > "$work/dist.txt" 2> "$work/dist.err" ||
  { cat "$work/dist.err"; exit 1; }
grep -q "data-parallel over 2 ranks" "$work/dist.err"
[ "$(grep -c "^3 steps -> $work/dist.safetensors" "$work/dist.txt")" = 1 ] # rank 0 only
"$clef" align "${args[@]}" --batch 8 -o "$work/plain.safetensors" > /dev/null 2>&1
"$wdiff" "$work/dist.safetensors" "$work/plain.safetensors" 1e-5
"$clef" align "${args[@]}" --batch 4 -o "$work/half.safetensors" > /dev/null 2>&1
rc=0
"$wdiff" "$work/dist.safetensors" "$work/half.safetensors" 1e-3 || rc=$?
[ "$rc" = 1 ]
echo "cli align dist: ok"
