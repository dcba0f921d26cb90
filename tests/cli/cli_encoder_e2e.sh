#!/usr/bin/env bash
# The session encoder through the clef program, on the tests' session-mean tokenizer and its
# cohort (fixtures of tests/cli): pretrain from the cohort directory (held-out validation and
# baselines printed), resume from the checkpoint, embed files to .npy, the store route
# (tokenize --store -> pretrain --store -> embed --store -> evaluate --model), and a tokenizer
# the encoder was not trained with refused.
# Usage: cli_encoder_e2e.sh CLEF_BINARY FIXTURE_DIR
set -euo pipefail
clef="$1"
fix="$2"
work="$(mktemp -d /tmp/clef_cli_enc_XXXXXX)"
trap 'rm -rf "$work"' EXIT
tiny=(--d-model 16 --layers 1 --heads 2 --d-ff 32 --embed-dim 12 --batch 2 --crop-cols 24
  --val-every 2 --log-every 1 --threads 2)
"$clef" pretrain "$fix/coh_mean" -w "$fix/wm.safetensors" -o "$work/enc.safetensors" \
  --steps 2 "${tiny[@]}" > "$work/pre.txt" 2> "$work/pre.err"
grep -q "held-out masked-token accuracy" "$work/pre.txt"
grep -q "step 2/2  loss [0-9.]*  masked acc [0-9.]*  [0-9]* tokens/s  ETA" "$work/pre.err"
grep -q "held-out loss" "$work/pre.err"
# resume: two more steps from the checkpoint
"$clef" pretrain "$fix/coh_mean" -w "$fix/wm.safetensors" -o "$work/enc4.safetensors" \
  --resume "$work/enc.safetensors.ckpt" --steps 4 "${tiny[@]}" > "$work/res.txt" 2> /dev/null
grep -q "^4 steps" "$work/res.txt"
# embed two files
edf=("$fix"/coh_mean/edf/P000001_S01.edf "$fix"/coh_mean/edf/P000002_S01.edf)
"$clef" embed "${edf[@]}" -w "$work/enc.safetensors" -t "$fix/wm.safetensors" \
  -o "$work/emb.npy" > "$work/emb.txt"
grep -q "^2 x 12 embedding" "$work/emb.txt"
[ -s "$work/emb.npy" ]
# a tokenizer the encoder was not trained with is refused, naming the cause
if "$clef" embed "${edf[0]}" -w "$work/enc.safetensors" -t "$fix/w6.safetensors" \
  -o "$work/x.npy" > /dev/null 2> "$work/bad.err"; then
  echo "embed with another tokenizer succeeded"; exit 1
fi
grep -q "trained with tokenizer" "$work/bad.err"
# the store route
"$clef" ingest "$fix/coh_mean" --store "$work/s.db" > /dev/null 2>&1
"$clef" tokenize --store "$work/s.db" -w "$fix/wm.safetensors" > /dev/null 2>&1
"$clef" pretrain --store "$work/s.db" -w "$fix/wm.safetensors" -o "$work/encs.safetensors" \
  --steps 2 "${tiny[@]}" > "$work/pres.txt" 2> /dev/null
grep -q "^2 steps" "$work/pres.txt"
"$clef" embed --store "$work/s.db" -w "$work/encs.safetensors" -t "$fix/wm.safetensors" \
  --quiet > "$work/embs.txt"
grep -q "^16 sessions embedded" "$work/embs.txt"
"$clef" embed --store "$work/s.db" -w "$work/encs.safetensors" -t "$fix/wm.safetensors" \
  --quiet > "$work/embs2.txt"
grep -q "^0 sessions embedded" "$work/embs2.txt"
"$clef" evaluate --store "$work/s.db" --model "$work/encs.safetensors" --bootstrap 20 \
  > "$work/eval.txt" 2> "$work/eval.err" || { cat "$work/eval.err"; exit 1; }
head -n 1 "$work/eval.txt" | grep -q "AUROC"
grep -q "^feat_abnormal " "$work/eval.txt" # 16 sessions: most tasks lack a class
echo "cli encoder e2e: ok"
