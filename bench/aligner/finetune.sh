#!/usr/bin/env bash
# Joint fine-tuning against the frozen encoder (issue 20 items 5 and 7; docs/aligner.md "Joint
# fine-tuning"), end to end through the clef program, from the shipped tokenizer and pretrained
# (recon-only) encoder (models/tokenizer.safetensors, models/encoder-pretrained.safetensors):
#   bench/aligner/finetune.sh BUILD_DIR WORK_DIR [STEPS] [SEED]
# 1. the shipped aligner's training cohort (clef synth --patients 800 --minutes 5 --seed 33, as
#    tools/train_default_models.sh makes it), tokenized and embedded by the shipped models;
# 2. two aligners of STEPS steps (default 150) from the same seed and settings: one on the
#    frozen pretrained encoder, one fine-tuning it (--finetune-encoder, RECON_WEIGHT, ENCODER_LR);
# 3. a fresh cohort (SEED, default 51; PATIENTS, default 400, x 5 min): band power, both
#    encoders' embeddings and both aligned embeddings probed (clef evaluate), each paired
#    against band power and the fine-tuned ones against the frozen ones, and the ten findings
#    scored zero-shot with each pair.
# Prints the machine and the wall time of each training. THREADS (2).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "${1:?build dir}" && pwd)"
mkdir -p "${2:?work dir}"
work="$(cd "$2" && pwd)"
steps=${3:-150}
seed=${4:-51}
clef="$build/tools/cli/clef"
th=(--threads "${THREADS:-2}")
tok="$root/models/tokenizer.safetensors"
enc="$root/models/encoder-pretrained.safetensors"
cd "$work"
"$clef" build-info | grep -iE "cpu|blas" || true
t() { /usr/bin/time -f "  [%e s wall, %U s user]" "$@"; }
cohort() { # NAME SEED PATIENTS: synthesized, ingested, tokenized and embedded
  [ -f "$1.db" ] && return
  "$clef" synth -o "$1" --patients "$3" --sessions 1 --minutes 5 --seed "$2" "${th[@]}" --quiet
  "$clef" ingest "$1" --store "$1.db" > /dev/null
  "$clef" tokenize --store "$1.db" -w "$tok" "${th[@]}" > /dev/null 2>&1
  "$clef" embed --store "$1.db" -w "$enc" -t "$tok" "${th[@]}" --quiet > /dev/null
}
cohort align 33 800
args=(--steps "$steps" --log-every 25 "${th[@]}")
echo "== aligner on the frozen encoder, $steps steps"
[ -f frozen.safetensors ] || t "$clef" align --store align.db -w "$enc" -o frozen.safetensors \
  "${args[@]}" | tail -n 2
echo "== aligner fine-tuning the encoder, $steps steps (recon weight ${RECON_WEIGHT:-1}, encoder lr ${ENCODER_LR:-1e-4})"
[ -f tuned.safetensors ] || t "$clef" align --store align.db -w "$enc" -o tuned.safetensors \
  --finetune-encoder tuned_enc.safetensors --recon-weight "${RECON_WEIGHT:-1}" \
  --encoder-lr "${ENCODER_LR:-1e-4}" "${args[@]}" | tail -n 3
cohort "eval$seed" "$seed" "${PATIENTS:-400}"
db="eval$seed.db"
"$clef" embed --store "$db" -w tuned_enc.safetensors -t "$tok" "${th[@]}" --quiet > /dev/null
"$clef" embed --store "$db" -w "$enc" -t "$tok" -a frozen.safetensors "${th[@]}" --quiet > /dev/null
"$clef" embed --store "$db" -w tuned_enc.safetensors -t "$tok" -a tuned.safetensors "${th[@]}" \
  --quiet > /dev/null
echo "== probes on the fresh cohort (seed $seed): mean test AUROC"
"$clef" evaluate --store "$db" -o bandpower.csv > /dev/null 2>&1
versus() { "$clef" evaluate --store "$db" "$@" 2> /dev/null | sed -n '/^difference/,$p'; }
versus --model "$enc" --versus bandpower -o encoder.csv > encoder_vs_bp.txt
versus --model tuned_enc.safetensors --versus bandpower -o tuned_encoder.csv > tuned_enc_vs_bp.txt
versus --model frozen.safetensors --versus bandpower -o aligned_frozen.csv > frozen_vs_bp.txt
versus --model tuned.safetensors --versus bandpower -o aligned_tuned.csv > tuned_vs_bp.txt
bash "$root/tools/auroc_summary.sh" bandpower=bandpower.csv encoder=encoder.csv \
  tuned_encoder=tuned_encoder.csv aligned_frozen=aligned_frozen.csv aligned_tuned=aligned_tuned.csv
for f in encoder_vs_bp tuned_enc_vs_bp frozen_vs_bp tuned_vs_bp; do
  echo "-- ${f//_/ }"; tail -n +2 "$f.txt"
done
echo "-- aligned, fine-tuned vs frozen"
versus --model tuned.safetensors --versus frozen.safetensors | tail -n +2
echo "-- encoder, fine-tuned vs pretrained"
versus --model tuned_enc.safetensors --versus "$enc" | tail -n +2
. "$root/tools/zeroshot_prompts.sh"
echo "== zero-shot, frozen pair"
zeroshot_all "$clef" "$db" "$enc" frozen.safetensors | tail -n 1
echo "== zero-shot, fine-tuned pair"
zeroshot_all "$clef" "$db" tuned_enc.safetensors tuned.safetensors
