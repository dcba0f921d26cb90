#!/usr/bin/env bash
# The clinical aligner through the clef program, on the tests' session-mean tokenizer and its
# cohort (fixtures of tests/cli): a tiny encoder -> embed --store -> align (progress, held-out
# retrieval), resume from its checkpoint, aligned embeddings (embed -a) probed by evaluate,
# zero-shot scores, and a store without the encoder's embeddings refused with advice.
# Needs the text encoder (build/minilm from tools/install_deps.sh): exit 77 (skip) without it.
# Usage: cli_align_e2e.sh CLEF_BINARY FIXTURE_DIR MINILM_DIR
set -euo pipefail
clef="$1"
fix="$2"
minilm="$3"
[ -f "$minilm/model.safetensors" ] || { echo "no text encoder in $minilm: skipped"; exit 77; }
export CLEF_TEXT_MODEL="$minilm"
work="$(mktemp -d /tmp/clef_cli_align_XXXXXX)"
trap 'rm -rf "$work"' EXIT
. "$(dirname "$0")/align_store.sh"
align_store "$clef" "$fix" "$work"
# no embeddings yet: refused, saying what to run
if "$clef" align --store "$work/s.db" -w "$work/enc.safetensors" -o "$work/al.safetensors" \
  > /dev/null 2> "$work/noemb.err"; then
  echo "align without embeddings succeeded"; exit 1
fi
grep -q "clef embed --store" "$work/noemb.err"
"$clef" embed --store "$work/s.db" -w "$work/enc.safetensors" -t "$fix/wm.safetensors" \
  --quiet > /dev/null
tiny=(--dim 16 --width 8 --layers 1 --heads 2 --eeg-hidden 16 --batch 4 --log-every 1
  --checkpoint-every 2 --threads 2)
"$clef" align --store "$work/s.db" -w "$work/enc.safetensors" -o "$work/al.safetensors" \
  --steps 3 "${tiny[@]}" > "$work/al.txt" 2> "$work/al.err" || { cat "$work/al.err"; exit 1; }
grep -q "step 3/3  loss report [0-9.]* ehr [0-9.]*  in-batch top-1 report" "$work/al.err"
grep -q "^3 steps -> " "$work/al.txt"
grep -Eq "R@1 [0-9.]+ \(chance|no val sessions" "$work/al.txt" "$work/al.err"
# resume: two more steps
"$clef" align --store "$work/s.db" -w "$work/enc.safetensors" -o "$work/al5.safetensors" \
  --resume "$work/al.safetensors.ckpt" --steps 5 "${tiny[@]}" > "$work/res.txt" 2> /dev/null
grep -q "^5 steps" "$work/res.txt"
# aligned embeddings into the store, probed like a model
"$clef" embed --store "$work/s.db" -w "$work/enc.safetensors" -t "$fix/wm.safetensors" \
  -a "$work/al.safetensors" --quiet > "$work/emb.txt"
grep -q "^16 sessions aligned" "$work/emb.txt"
"$clef" evaluate --store "$work/s.db" --model "$work/al.safetensors" --bootstrap 20 \
  > "$work/eval.txt" 2> "$work/eval.err" || { cat "$work/eval.err"; exit 1; }
head -n 1 "$work/eval.txt" | grep -q "AUROC"
# zero-shot scores of the train split: one line per session, scores are cosines
"$clef" zeroshot --store "$work/s.db" -w "$work/enc.safetensors" -a "$work/al.safetensors" \
  "diffuse beta activity" --split train -o "$work/zs.csv"
n=$(($(wc -l < "$work/zs.csv") - 1))
[ "$n" -ge 2 ]
awk -F, 'NR > 1 && ($2 < -1.0001 || $2 > 1.0001) { bad = 1 } END { exit bad }' "$work/zs.csv"
# fine-tuning the encoder during alignment: the encoder written (changed), the aligner naming
# it, the store embedded and aligned with the pair; the checkpoint resumed goes on fine-tuning
"$clef" align --store "$work/s.db" -w "$work/enc.safetensors" -o "$work/alft.safetensors" \
  --steps 2 "${tiny[@]}" --finetune-encoder "$work/encft.safetensors" --recon-weight 0.5 \
  > "$work/ft.txt" 2> "$work/ft.err" || { cat "$work/ft.err"; exit 1; }
grep -q "^fine-tuned encoder -> $work/encft.safetensors" "$work/ft.txt"
if cmp -s "$work/enc.safetensors" "$work/encft.safetensors"; then
  echo "the fine-tuned encoder equals the original"; exit 1
fi
"$clef" embed --store "$work/s.db" -w "$work/encft.safetensors" -t "$fix/wm.safetensors" \
  --quiet > /dev/null
"$clef" embed --store "$work/s.db" -w "$work/encft.safetensors" -t "$fix/wm.safetensors" \
  -a "$work/alft.safetensors" --quiet | grep -q "^16 sessions aligned"
"$clef" align --store "$work/s.db" -w "$work/enc.safetensors" -o "$work/alft4.safetensors" \
  --resume "$work/alft.safetensors.ckpt" --steps 4 "${tiny[@]}" \
  --finetune-encoder "$work/encft4.safetensors" > "$work/ft4.txt" 2> /dev/null
grep -q "^4 steps" "$work/ft4.txt"
[ -f "$work/encft4.safetensors" ]
# an aligner with an encoder it was not trained on: refused, naming both
"$clef" pretrain --store "$work/s.db" -w "$fix/wm.safetensors" -o "$work/enc2.safetensors" \
  --steps 2 --seed 9 --d-model 16 --layers 1 --heads 2 --d-ff 32 --embed-dim 12 --batch 2 \
  --crop-cols 24 --quiet > /dev/null 2>&1
"$clef" embed --store "$work/s.db" -w "$work/enc2.safetensors" -t "$fix/wm.safetensors" \
  --quiet > /dev/null
if "$clef" zeroshot --store "$work/s.db" -w "$work/enc2.safetensors" -a "$work/al.safetensors" \
  "burst suppression" --split train > /dev/null 2> "$work/pair.err"; then
  echo "zeroshot with another encoder succeeded"; exit 1
fi
grep -q "was trained on the embeddings of encoder" "$work/pair.err"
echo "cli align e2e: ok ($n zero-shot scores)"
