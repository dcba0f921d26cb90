#!/usr/bin/env bash
# Held-out concept check of the shipped aligner's recipe (issue 20 item 7; docs/aligner.md
# "Held-out concept, with the coefficient pooling"):
#   bench/aligner/heldout_concept.sh BUILD_DIR MODELS_WORK MEASURE_DIR...
# MODELS_WORK is tools/train_default_models.sh's work directory (align.db, enc.safetensors);
# each MEASURE_DIR a bench/models/measure.sh work directory (m.db with the shipped models'
# embeddings and recon_only.csv, aligned.csv, bandpower.csv). Retrains the aligner and the
# fine-tuned encoder by the shipped recipe with every phrase of the focal-epileptiform finding
# blanked out of the reports (about 35-50 min on 2 cores), converts them to F16 as that script
# does, and per store prints the feat_focal_epileptiform probe of band power, the recon-only
# encoder, the shipped aligner and the one without the words, its mean over all tasks, and the
# zero-shot AUROC of the finding's prompt (which falls when the words are gone).
set -euo pipefail
build="$(cd "${1:?build dir}" && pwd)"
work="$(cd "${2:?train_default_models work dir}" && pwd)"
shift 2
root="$(cd "$(dirname "$0")/../.." && pwd)"
clef="$build/tools/cli/clef"
tok="$root/models/tokenizer.safetensors"
if grep -q avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX; else export OPENBLAS_CORETYPE=Haswell; fi
"$clef" build-info | grep -iE "cpu|blas" || true
words="focal epileptiform discharges,spikes are seen,sharp waves are seen,frequent epileptiform discharges arise"
cd "$work"
[ -f al_held.safetensors ] || /usr/bin/time -f "  [%e s wall]" "$clef" align --store align.db \
  -w enc.safetensors -o al_held.safetensors --finetune-encoder encft_held.safetensors \
  --steps 400 --log-every 100 --threads "$(nproc)" --drop-words "$words"
tsha=$(sha256sum "$tok" | cut -c1-64)
"$clef" convert encft_held.safetensors -o enc_held16.safetensors \
  --set-meta "clef.enc.tokenizer_sha256=$tsha" > /dev/null
esha=$(sha256sum enc_held16.safetensors | cut -c1-64)
"$clef" convert al_held.safetensors -o al_held16.safetensors \
  --set-meta "clef.align.encoder_sha256=$esha" > /dev/null
for dir in "$@"; do
  db="$dir/m.db"
  "$clef" embed --store "$db" -w enc_held16.safetensors -t "$tok" -a al_held16.safetensors \
    --threads "$(nproc)" --quiet > /dev/null 2>&1
  "$clef" evaluate --store "$db" --model al_held16.safetensors -o "$dir/al_held.csv" > /dev/null 2>&1
  echo "== $dir: feat_focal_epileptiform probe AUROC [95% CI]"
  for m in bandpower recon_only aligned al_held; do
    awk -F, -v m="$m" '$1 == "feat_focal_epileptiform" {
      printf "  %-10s %s [%s, %s]  (test n %s)\n", m, $5, $6, $7, $4 }' "$dir/$m.csv"
  done
  bash "$root/tools/auroc_summary.sh" aligned_held="$dir/al_held.csv" | tail -n 1
  "$clef" zeroshot --store "$db" -w enc_held16.safetensors -a al_held16.safetensors \
    "focal epileptiform discharges" --task feat_focal_epileptiform --split all 2> /dev/null | tail -n 1
done
