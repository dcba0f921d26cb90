#!/usr/bin/env bash
# Downstream check of the tokenizer (issue 8; docs/tokenizer.md "Downstream check").
#   bench/tokenizer/downstream.sh BUILD_DIR WORK_DIR WEIGHTS [PATIENTS] [THREADS] [SEED]
# 1. clef synth: PATIENTS (default 100) synthetic patients, 20-minute sessions, seed SEED
#    (default 11; a cohort the tokenizer never saw: quality.sh trains on seed 23), ingested
#    into a store;
# 2. bench_tok_downstream: tokens of every session (clef_tokenizer_job_run), band power from
#    the true and from the decoded spectrogram, the evaluation harness on both (and on the
#    raw-signal Welch band power), feat_* test AUROCs side by side. Prints `uptime`.
set -euo pipefail
build="$(cd "${1:?build dir (configured with -DCLEF_BUILD_BENCH=ON)}" && pwd)"
work=${2:?work dir}
weights="$(cd "$(dirname "${3:?weights}")" && pwd)/$(basename "$3")"
patients=${4:-100}
threads=${5:-2}
seed=${6:-11}
clef="$build/tools/cli/clef"
mkdir -p "$work"
cd "$work"
[ -f coh/manifest.csv ] || "$clef" synth -o coh --patients "$patients" --seed "$seed" --quiet
"$clef" ingest coh --store ds.db > /dev/null
echo "load before: $(uptime)"
/usr/bin/time -f "bench: %e s wall, %M KB peak RSS" \
  "$build/bench/tokenizer/bench_tok_downstream" "$weights" ds.db "$threads"
echo "load after: $(uptime)"
