#!/usr/bin/env bash
# The main job on the embedded defaults: install what is needed, build libclef and the clef
# command, and run it end to end on the data shipped in the repository.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash tools/install_deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS=-g > build/release.configure.log
cmake --build build/release -j "$(nproc)" > build/release.build.log 2>&1 || { tail -50 build/release.build.log; exit 1; }
clef=build/release/tools/cli/clef
"$clef" --version
"$clef" build-info
# A real EEG recording shipped in the repository (pyEDFlib test data, BSD-3-Clause).
"$clef" info tests/data/test_subsecond.edf
# CLEF on a synthetic cohort with known ground truth (a fresh seed each run unless CLEF_MAIN_SEED
# is set), with the shipped default models (models/, docs/models.md; tools/train_default_models.sh
# rebuilds them): SQLite store -> tokens -> session embeddings -> aligned embeddings, each a
# resumable store job -> linear probes per task for band power, the recon-only (pretrained)
# encoder, the encoder fine-tuned during alignment and the aligned embeddings -> zero-shot AUROC
# of a few findings from text prompts -> a real EEG file ->
# the HTML report (clef report). CLEF_MAIN_PATIENTS / _SECONDS shrink it (the test suite runs a
# reduced version: tools/test.d/60-main.sh).
demo=${CLEF_MAIN_DIR:-build/demo}
# 1,000 patients: with 400 a task has 9-13 test positives and the mean AUROCs move by a few
# hundredths with the split, more than the embeddings differ (docs/models.md "Measured quality")
patients=${CLEF_MAIN_PATIENTS:-1000}
seconds=${CLEF_MAIN_SECONDS:-300}
seed=${CLEF_MAIN_SEED:-$(( $(date +%s) % 1000000 + 1000 ))}
threads=(--threads "$(nproc)")
tok=models/tokenizer.safetensors enc=models/encoder.safetensors al=models/aligner.safetensors
pre=models/encoder-pretrained.safetensors  # masked-token pretraining only, before alignment
rm -rf "$demo" && mkdir -p "$demo"
echo "== synthetic cohort: $patients patients x 1 session x $seconds s, seed $seed"
"$clef" synth -o "$demo/cohort" --patients "$patients" --sessions 1 --seconds "$seconds" \
  --seed "$seed" "${threads[@]}" --quiet
"$clef" ingest "$demo/cohort" --store "$demo/cohort.db"
echo "== tokens, session embeddings and aligned embeddings (shipped models: $tok, $pre, $enc, $al)"
"$clef" tokenize --store "$demo/cohort.db" -w "$tok" "${threads[@]}"
"$clef" embed --store "$demo/cohort.db" -w "$pre" -t "$tok" "${threads[@]}"
"$clef" embed --store "$demo/cohort.db" -w "$enc" -t "$tok" "${threads[@]}"
"$clef" embed --store "$demo/cohort.db" -w "$enc" -t "$tok" -a "$al" "${threads[@]}"
echo "== evaluation: a linear probe per task on each embedding"
"$clef" evaluate --store "$demo/cohort.db" --out "$demo/bandpower.csv" > /dev/null
# each with its paired difference against band power (same test sessions, bootstrap 95% CI)
"$clef" evaluate --store "$demo/cohort.db" --model "$pre" --out "$demo/recon_only.csv" \
  --versus bandpower > "$demo/recon_only.txt"
"$clef" evaluate --store "$demo/cohort.db" --model "$enc" --out "$demo/encoder.csv" \
  --versus bandpower > "$demo/encoder.txt"
"$clef" evaluate --store "$demo/cohort.db" --model "$al" --out "$demo/aligned.csv" \
  --versus bandpower > "$demo/aligned.txt"
echo "mean test AUROC (per task with CIs: $demo/bandpower.csv, recon_only.csv, encoder.csv, aligned.csv)"
bash tools/auroc_summary.sh bandpower="$demo/bandpower.csv" recon_only="$demo/recon_only.csv" \
  encoder="$demo/encoder.csv" aligned="$demo/aligned.csv"
for m in recon_only encoder aligned; do
  echo "$m minus band power, mean AUROC [paired bootstrap 95% CI]:"
  sed -n '/^difference/,$p' "$demo/$m.txt" | tail -n +2
done
# The aligner never saw this cohort, so every labelled session counts (--split all).
echo "== zero-shot: each feat_ finding scored from a text prompt (AUROC over all labelled sessions)"
. tools/zeroshot_prompts.sh
zeroshot_all "$clef" "$demo/cohort.db" "$enc" "$al"
# A real EEG recording (one Fp1 channel, 11.6 min, tests/data): its embedding and a zero-shot
# score, with no model arguments at all (the shipped defaults).
echo "== a real EEG file with the shipped default models"
"$clef" embed tests/data/test_subsecond.edf -o "$demo/real_embedding.npy"
"$clef" zeroshot tests/data/test_subsecond.edf "excess beta activity"
# One session end to end through the library (EDF -> spectrogram -> tokens -> embedding).
edfs=("$demo"/cohort/edf/*)  # a glob: no pipe whose reader may close early (SIGPIPE under pipefail)
"$clef" embed "${edfs[0]}" -w "$enc" -t "$tok" -o "$demo/embedding.npy"
# Multitaper spectrogram of that session (19 ch x 128 freq x frames, dB) and a picture.
"$clef" spectrogram "${edfs[0]}" -o "$demo/spectrogram.npy" --png "$demo/spectrogram.png"
# The report: one self-contained HTML page (docs/report.md).
echo "== report"
"$clef" report --store "$demo/cohort.db" -t "$tok" -w "$enc" -a "$al" -o "$demo/report.html" \
  --sessions "${CLEF_MAIN_REPORT_SESSIONS:-4}" "${threads[@]}"
echo "results: $demo (bandpower.csv, recon_only.csv, encoder.csv, aligned.csv, embedding.npy, spectrogram.png); open $demo/report.html"
