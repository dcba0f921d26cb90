#!/usr/bin/env bash
# Quality of the shipped default models (models/, docs/models.md "Measured quality") on a fresh
# synthetic cohort whose seed no model was trained on, end to end through the clef program:
#   bench/models/measure.sh BUILD_DIR WORK_DIR [SEED]     (PATIENTS, THREADS in the environment)
# 1. tokenizer: reconstruction MAE (dB) of held-out (test split) sessions and of the real EEG
#    file tests/data/test_subsecond.edf (clef tokenize --recon-png);
# 2. probes: mean test AUROC over all tasks and per category for band power, the pretrained
#    encoder's embeddings (recon-only, encoder-pretrained.safetensors), the default encoder's
#    (fine-tuned during alignment) and the aligned ones (clef evaluate), and their paired
#    differences with bootstrap CIs (clef evaluate --versus); with BENCH_BUILD set to a bench
#    build, issue 19's baselines and ablations too: the bag-of-tokens histogram
#    (bench_bag_tokens), the tokens' coefficients alone (bench_pool_states coef) and the
#    pretrained encoder's pooled state alone (bench_pool_states all: its embedding without the
#    coefficients);
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
bench="${BENCH_BUILD:+$(cd "$BENCH_BUILD" && pwd)}"  # absolute: the script changes directory
tok="$root/models/tokenizer.safetensors"
enc="$root/models/encoder.safetensors"
pre="$root/models/encoder-pretrained.safetensors"
al="$root/models/aligner.safetensors"
cd "$work"
"$clef" build-info | grep -iE "cpu|blas" || true
echo "== cohort: $patients patients x 1 session x 5 min, seed $seed"
rm -rf cohort m.db ./*_vs_*.txt
"$clef" synth -o cohort --patients "$patients" --sessions 1 --minutes 5 --seed "$seed" \
  "${threads[@]}" --quiet
"$clef" ingest cohort --store m.db > /dev/null
"$clef" tokenize --store m.db -w "$tok" "${threads[@]}" > /dev/null 2>&1
"$clef" embed --store m.db -w "$pre" -t "$tok" "${threads[@]}" --quiet > /dev/null
"$clef" embed --store m.db -w "$enc" -t "$tok" "${threads[@]}" --quiet > /dev/null
"$clef" embed --store m.db -w "$enc" -t "$tok" -a "$al" "${threads[@]}" --quiet > /dev/null
echo "== tokenizer: reconstruction MAE (dB)"
mae() { "$clef" tokenize "$1" -w "$tok" -o x.npy --recon-png x.png "${threads[@]}" 2> /dev/null |
  awk '/reconstruction MAE/ { print $3 }'; }
n=0 sum=0
# the first 10 test subjects with a recording (the generator leaves some patients without one)
for sid in $(awk -F, '$2 == "test" { print $1 }' cohort/splits.csv); do
  [ -f "cohort/edf/${sid}_S01.edf" ] || continue
  [ "$n" -lt 10 ] || break
  v=$(mae "cohort/edf/${sid}_S01.edf")
  sum=$(awk -v s="$sum" -v v="$v" 'BEGIN { print s + v }')
  n=$((n + 1))
done
awk -v s="$sum" -v n="$n" 'BEGIN { printf "  held-out synthetic sessions: %.3f dB (mean of %d)\n", s / n, n }'
echo "  real EEG tests/data/test_subsecond.edf (1 of 19 channels): $(mae "$root/tests/data/test_subsecond.edf") dB"
echo "== probes: mean test AUROC"
"$clef" evaluate --store m.db -o bandpower.csv > /dev/null 2>&1
# each with its paired difference (same test sessions, bootstrap 95% CI; docs/evaluation.md)
versus() { "$clef" evaluate --store m.db "$@" 2> /dev/null | sed -n '/^difference/,$p'; }
versus --model "$pre" --versus bandpower -o recon_only.csv > recon_only_vs_bandpower.txt
versus --model "$enc" --versus bandpower -o encoder.csv > encoder_vs_bandpower.txt
versus --model "$al" --versus bandpower -o aligned.csv > aligned_vs_bandpower.txt
bash "$root/tools/auroc_summary.sh" bandpower=bandpower.csv recon_only=recon_only.csv \
  encoder=encoder.csv aligned=aligned.csv
# the session-mean tokens' coefficients as an embedding, no network (docs/encoder.md "What the
# tokens hold"): with a bench build (BENCH_BUILD, -DCLEF_BUILD_BENCH=ON) only
pool="$bench/bench/encoder/bench_pool_states"
bag="$bench/bench/encoder/bench_bag_tokens"
if [ -n "$bench" ] && [ -x "$pool" ] && [ -x "$bag" ]; then
  coef=$("$pool" "$tok" "$pre" m.db coef 2> /dev/null | tail -n 1)
  versus --model "$coef" --versus bandpower -o coef.csv > coef_vs_bandpower.txt
  state=$("$pool" "$tok" "$pre" m.db all 2> /dev/null | tail -n 1)
  versus --model "$state" --versus bandpower -o state.csv > state_vs_bandpower.txt
  bags=$("$bag" "$tok" m.db 2> /dev/null | tail -n 1)
  "$clef" evaluate --store m.db --model "$bags" -o bag.csv > /dev/null 2>&1
  versus --model "$pre" --versus "$bags" > recon_only_vs_bag_of_tokens.txt
  bash "$root/tools/auroc_summary.sh" bag_of_tokens=bag.csv tokens_coef=coef.csv \
    recon_only_state=state.csv | tail -n 3
fi
echo "== paired differences in mean AUROC"
for f in recon_only_vs_bandpower recon_only_vs_bag_of_tokens encoder_vs_bandpower \
  aligned_vs_bandpower coef_vs_bandpower state_vs_bandpower; do
  [ -f "$f.txt" ] && { echo "-- ${f//_/ }"; tail -n +2 "$f.txt"; }
done
echo "-- aligned vs recon-only"
versus --model "$al" --versus "$pre" | tail -n +2
echo "-- encoder (fine-tuned) vs recon-only"
versus --model "$enc" --versus "$pre" | tail -n +2
echo "== zero-shot AUROC [95% CI] over all labelled sessions"
. "$root/tools/zeroshot_prompts.sh"
zeroshot_all "$clef" m.db "$enc" "$al"
"$clef" report --store m.db -o report.html -t "$tok" -w "$enc" -a "$al" "${threads[@]}" \
  2> /dev/null | tail -n 1
