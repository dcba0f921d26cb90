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
# fine-tuning the encoder: the encoder's gradient all-reduced, its masks drawn by global batch
# position, so the aligner and the fine-tuned encoder equal one process's
ft=(--finetune-encoder)
"$mpirun" --allow-run-as-root --oversubscribe -np 2 "$clef" align "${args[@]}" --batch 8 \
  --dist -o "$work/fdist.safetensors" "${ft[@]}" "$work/fdist_enc.safetensors" \
  > /dev/null 2> "$work/fdist.err" || { cat "$work/fdist.err"; exit 1; }
"$clef" align "${args[@]}" --batch 8 -o "$work/fplain.safetensors" "${ft[@]}" \
  "$work/fplain_enc.safetensors" > /dev/null 2>&1
"$wdiff" "$work/fdist.safetensors" "$work/fplain.safetensors" 1e-5
"$wdiff" "$work/fdist_enc.safetensors" "$work/fplain_enc.safetensors" 1e-5
if cmp -s "$work/enc.safetensors" "$work/fplain_enc.safetensors"; then
  echo "the fine-tuned encoder equals the original"; exit 1
fi
# a batch the ranks cannot share equally is refused
if "$mpirun" --allow-run-as-root --oversubscribe -np 2 "$clef" align "${args[@]}" --batch 7 \
  --dist -o "$work/odd.safetensors" "${ft[@]}" "$work/odd_enc.safetensors" \
  > /dev/null 2> "$work/odd.err"; then
  echo "an odd batch over 2 ranks was accepted"; exit 1
fi
grep -q "divisible" "$work/odd.err"
echo "cli align dist: ok"
