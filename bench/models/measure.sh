#!/usr/bin/env bash
# Quality of the shipped default models (models/, docs/models.md "Measured quality") on a fresh
# synthetic cohort whose seed no model was trained on, end to end through the clef program:
#   bench/models/measure.sh BUILD_DIR WORK_DIR [SEED]     (PATIENTS, THREADS in the environment)
# 1. tokenizer: reconstruction MAE (dB) of held-out (test split) sessions and of the real EEG
#    file tests/data/test_subsecond.edf (clef tokenize --recon-png);
# 2. probes: mean test AUROC over all tasks and per category for band power, the encoder's
#    embeddings (recon-only) and the aligned ones (clef evaluate);
# 3. zero-shot AUROC of each feat_ task from a prompt over all labelled sessions (the aligner
#    never saw the cohort), and their mean;
# 4. the HTML report of the store with the same models (clef report).
# Prints the machine first. About 6 minutes on 2 cores with the defaults (400 patients x 5 min).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$(cd "${1:?build dir}" && pwd)"
mkdir -p "${2:?work dir}"
work="$(cd "$2" && pwd)"
seed=${3:-51}
patients=${PATIENTS:-400}
threads=(--threads "${THREADS:-2}")
clef="$build/tools/cli/clef"
tok="$root/models/tokenizer.safetensors"
enc="$root/models/encoder.safetensors"
al="$root/models/aligner.safetensors"
cd "$work"
"$clef" build-info | grep -iE "cpu|blas" || true
echo "== cohort: $patients patients x 1 session x 5 min, seed $seed"
rm -rf cohort m.db
"$clef" synth -o cohort --patients "$patients" --sessions 1 --minutes 5 --seed "$seed" \
  "${threads[@]}" --quiet
"$clef" ingest cohort --store m.db > /dev/null
"$clef" tokenize --store m.db -w "$tok" "${threads[@]}" > /dev/null 2>&1
"$clef" embed --store m.db -w "$enc" -t "$tok" "${threads[@]}" --quiet > /dev/null
"$clef" embed --store m.db -w "$enc" -t "$tok" -a "$al" "${threads[@]}" --quiet > /dev/null
echo "== tokenizer: reconstruction MAE (dB)"
mae() { "$clef" tokenize "$1" -w "$tok" -o x.npy --recon-png x.png "${threads[@]}" 2> /dev/null |
  awk '/reconstruction MAE/ { print $3 }'; }
n=0 sum=0
for sid in $(awk -F, '$2 == "test" { print $1 }' cohort/splits.csv | head -n 10); do
  v=$(mae "cohort/edf/${sid}_S01.edf")
  sum=$(awk -v s="$sum" -v v="$v" 'BEGIN { print s + v }')
  n=$((n + 1))
done
awk -v s="$sum" -v n="$n" 'BEGIN { printf "  held-out synthetic sessions: %.3f dB (mean of %d)\n", s / n, n }'
echo "  real EEG tests/data/test_subsecond.edf (1 of 19 channels): $(mae "$root/tests/data/test_subsecond.edf") dB"
echo "== probes: mean test AUROC"
"$clef" evaluate --store m.db -o bandpower.csv > /dev/null 2>&1
"$clef" evaluate --store m.db --model "$enc" -o encoder.csv > /dev/null
"$clef" evaluate --store m.db --model "$al" -o aligned.csv > /dev/null
bash "$root/tools/auroc_summary.sh" bandpower=bandpower.csv recon_only=encoder.csv \
  aligned=aligned.csv
echo "== zero-shot AUROC [95% CI] over all labelled sessions"
. "$root/tools/zeroshot_prompts.sh"
zeroshot_all "$clef" m.db "$enc" "$al"
"$clef" report --store m.db -o report.html -t "$tok" -w "$enc" -a "$al" "${threads[@]}" \
  2> /dev/null | tail -n 1
