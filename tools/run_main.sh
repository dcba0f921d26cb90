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
# Baseline pipeline until the model stages exist: a synthetic cohort with known ground truth
# -> SQLite store -> band-power embeddings (resumable job) -> linear probe per task.
demo=build/demo
rm -rf "$demo" && mkdir -p "$demo"
"$clef" synth -o "$demo/cohort" --patients 400 --sessions 2 --seconds 120 --threads "$(nproc)" --quiet
"$clef" ingest "$demo/cohort" --store "$demo/cohort.db"
"$clef" evaluate --store "$demo/cohort.db" --out "$demo/results.csv"
echo "per-task results: $demo/results.csv"
# Multitaper spectrogram of one synthetic session (19 ch x 128 freq x frames, dB) and a picture.
edfs=("$demo"/cohort/edf/*)  # a glob: no pipe whose reader may close early (SIGPIPE under pipefail)
first=$(basename "${edfs[0]}")
"$clef" spectrogram "$demo/cohort/edf/$first" -o "$demo/spectrogram.npy" --png "$demo/spectrogram.png"
