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
# is set): SQLite store -> a session-mean tokenizer and a session encoder trained on its train
# split (small, minutes on 2 cores; docs/tokenizer.md and docs/encoder.md give real settings)
# -> tokens and embeddings as resumable store jobs -> linear probes per task, band power beside
# the encoder. CLEF_MAIN_PATIENTS / _SECONDS / _TOK_STEPS / _ENC_STEPS shrink it (the test
# suite runs a reduced version: tools/test.d/60-main.sh) -> the clinical aligner trained on the
# train split's embeddings, reports and EHR (docs/aligner.md) -> aligned embeddings probed the
# same way -> zero-shot AUROC of a few findings from text prompts -> a real EEG file with the
# shipped models -> the HTML report (clef report).
demo=${CLEF_MAIN_DIR:-build/demo}
patients=${CLEF_MAIN_PATIENTS:-400}
seconds=${CLEF_MAIN_SECONDS:-240}
tok_steps=${CLEF_MAIN_TOK_STEPS:-300}
enc_steps=${CLEF_MAIN_ENC_STEPS:-600}
align_steps=${CLEF_MAIN_ALIGN_STEPS:-300}
seed=${CLEF_MAIN_SEED:-$(( $(date +%s) % 1000000 + 1000 ))}
threads=(--threads "$(nproc)")
rm -rf "$demo" && mkdir -p "$demo"
echo "== synthetic cohort: $patients patients x 1 session x $seconds s, seed $seed"
"$clef" synth -o "$demo/cohort" --patients "$patients" --sessions 1 --seconds "$seconds" \
  --seed "$seed" "${threads[@]}" --quiet
"$clef" ingest "$demo/cohort" --store "$demo/cohort.db"
echo "== tokenizer ($tok_steps steps)"
"$clef" train-tokenizer "$demo/cohort" -o "$demo/tok.safetensors" --ch 8 --ch-mult 1,1,1,1 \
  --codebook 64 --code-dim 4 --gn-groups 4 --batch 4 --crop-t 40 --disc-ndf 0 \
  --mean-tokens 16 --steps "$tok_steps" --log-every 50 "${threads[@]}"
"$clef" tokenize --store "$demo/cohort.db" -w "$demo/tok.safetensors" "${threads[@]}"
echo "== session encoder ($enc_steps steps)"
"$clef" pretrain --store "$demo/cohort.db" -w "$demo/tok.safetensors" \
  -o "$demo/enc.safetensors" --d-model 48 --layers 2 --heads 4 --d-ff 96 --embed-dim 48 \
  --steps "$enc_steps" --batch 8 --lr 2e-3 --log-every 100 "${threads[@]}"
"$clef" embed --store "$demo/cohort.db" -w "$demo/enc.safetensors" -t "$demo/tok.safetensors" \
  "${threads[@]}"
echo "== clinical aligner ($align_steps steps): EEG <-> report summaries and EHR codes"
"$clef" align --store "$demo/cohort.db" -w "$demo/enc.safetensors" -o "$demo/aligner.safetensors" \
  --steps "$align_steps" --batch 32 --log-every 50 "${threads[@]}"
"$clef" embed --store "$demo/cohort.db" -w "$demo/enc.safetensors" -t "$demo/tok.safetensors" \
  -a "$demo/aligner.safetensors" "${threads[@]}"
echo "== evaluation: a linear probe per task on each embedding"
"$clef" evaluate --store "$demo/cohort.db" --out "$demo/bandpower.csv" > /dev/null
"$clef" evaluate --store "$demo/cohort.db" --model "$demo/enc.safetensors" \
  --out "$demo/encoder.csv" > /dev/null
"$clef" evaluate --store "$demo/cohort.db" --model "$demo/aligner.safetensors" \
  --out "$demo/aligned.csv" > /dev/null
echo "mean test AUROC (per task with CIs: $demo/bandpower.csv, encoder.csv, aligned.csv)"
bash tools/auroc_summary.sh bandpower="$demo/bandpower.csv" encoder="$demo/encoder.csv" \
  aligned="$demo/aligned.csv"
echo "== zero-shot: sessions scored against text prompts (test split)"
for pt in "feat_excess_beta:excess beta activity" "feat_burst_suppression:burst suppression" \
  "feat_focal_slowing:focal slowing"; do
  "$clef" zeroshot --store "$demo/cohort.db" -w "$demo/enc.safetensors" \
    -a "$demo/aligner.safetensors" "${pt#*:}" --task "${pt%%:*}" ||
    echo "  ${pt%%:*}: no zero-shot AUROC (the test split lacks a class)"
done
# A real EEG recording (one Fp1 channel, 11.6 min, tests/data) with the shipped default models
# (docs/models.md): its embedding and a zero-shot score, with no model arguments at all.
echo "== a real EEG file with the shipped default models"
"$clef" embed tests/data/test_subsecond.edf -o "$demo/real_embedding.npy"
"$clef" zeroshot tests/data/test_subsecond.edf "excess beta activity"
# One session end to end through the library (EDF -> spectrogram -> tokens -> embedding).
edfs=("$demo"/cohort/edf/*)  # a glob: no pipe whose reader may close early (SIGPIPE under pipefail)
"$clef" embed "${edfs[0]}" -w "$demo/enc.safetensors" -t "$demo/tok.safetensors" \
  -o "$demo/embedding.npy"
# Multitaper spectrogram of that session (19 ch x 128 freq x frames, dB) and a picture.
"$clef" spectrogram "${edfs[0]}" -o "$demo/spectrogram.npy" --png "$demo/spectrogram.png"
# The report: one self-contained HTML page (docs/report.md).
echo "== report"
"$clef" report --store "$demo/cohort.db" -t "$demo/tok.safetensors" -w "$demo/enc.safetensors" \
  -a "$demo/aligner.safetensors" -o "$demo/report.html" --sessions "${CLEF_MAIN_REPORT_SESSIONS:-4}" \
  "${threads[@]}"
echo "results: $demo (bandpower.csv, encoder.csv, aligned.csv, aligner.safetensors, embedding.npy, spectrogram.png); open $demo/report.html"
