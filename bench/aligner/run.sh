#!/usr/bin/env bash
# Clinical aligner results (issue 20 item 7; docs/aligner.md "Results"), end to end through the
# clef program:
#   bench/aligner/run.sh BUILD_DIR WORK_DIR ALIGN_DB EVAL_DB... 
# WORK_DIR holds tok.safetensors and enc.safetensors (bench/encoder/quality.sh makes them);
# ALIGN_DB is an ingested, tokenized store of a training cohort (its train split trains the
# aligner, its val split gives held-out EEG->report retrieval); each EVAL_DB a fresh cohort's
# store (seeds never used for training). Per EVAL_DB: mean test AUROC over all tasks and per
# category for band power, the recon-only encoder and the aligned embedding; zero-shot AUROC
# of each feat_ task from a prompt, over all the cohort's labelled sessions (the aligner never
# saw the cohort); and the held-out-concept check: an aligner trained with the words of one
# finding ("focal slowing") blanked out of every report, its feat_focal_slowing probe beside
# the full aligner's and the encoder's. Settings of clef align: ALIGN_ARGS. Prints the machine.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "${1:?build dir}" && pwd)"
work="$(cd "${2:?work dir}" && pwd)"
align_db="$(cd "$(dirname "${3:?align store}")" && pwd)/$(basename "$3")"
shift 3
clef="$build/tools/cli/clef"
threads=${THREADS:-2}
cd "$work"
"$clef" build-info | grep -E "cpu|blas|CPU|BLAS" || true
t() { /usr/bin/time -f "  [%C: %e s wall, %U s user]" "$@"; }
"$clef" embed --store "$align_db" -w enc.safetensors -t tok.safetensors --threads "$threads" \
  --quiet > /dev/null
# the aligner, and one with the words of the focal-slowing finding removed from every report
t "$clef" align --store "$align_db" -w enc.safetensors -o al.safetensors --threads "$threads" \
  --log-every 100 ${ALIGN_ARGS:-}
t "$clef" align --store "$align_db" -w enc.safetensors -o al_held.safetensors \
  --threads "$threads" --log-every 1000 --drop-words "focal slowing" ${ALIGN_ARGS:-} > /dev/null
. "$here/../../tools/zeroshot_prompts.sh" # prompts (TASK:TEXT per feat_ task) and zeroshot_all
for db in "$@"; do
  name=$(basename "$db" .db)
  "$clef" embed --store "$db" -w enc.safetensors -t tok.safetensors -a al.safetensors \
    --threads "$threads" --quiet > /dev/null
  "$clef" embed --store "$db" -w enc.safetensors -t tok.safetensors -a al_held.safetensors \
    --threads "$threads" --quiet > /dev/null
  for m in bandpower enc al al_held; do
    model=$([ "$m" = bandpower ] && echo bandpower || echo "$m.safetensors")
    # band power and the encoder do not change between aligner runs: probed once
    case "$m" in bandpower | enc) [ -s "$name.$m.csv" ] && continue ;; esac
    "$clef" evaluate --store "$db" --model "$model" \
      -o "$name.$m.csv" > /dev/null 2>&1
  done
  echo "== $name: mean test AUROC (probes)"
  bash "$here/../../tools/auroc_summary.sh" bandpower="$name.bandpower.csv" \
    recon_only="$name.enc.csv" aligned="$name.al.csv"
  echo "== $name: zero-shot AUROC [95% CI] over all labelled sessions"
  zeroshot_all "$clef" "$db" enc.safetensors al.safetensors
  echo "== $name: held-out concept (\"focal slowing\" removed from the reports during alignment)"
  for m in enc al al_held; do
    grep "^feat_focal_slowing," "$name.$m.csv" |
      awk -F, -v m="$m" '{ printf "  %-8s feat_focal_slowing probe AUROC %s [%s, %s]\n", m, $5, $6, $7 }'
  done
done
