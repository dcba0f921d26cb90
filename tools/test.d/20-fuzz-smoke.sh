#!/usr/bin/env bash
# Fuzz smoke stage: when clang is present, build the libFuzzer harnesses in build/fuzz and run each
# for a short while on a copy of its seed corpus: the fuzz campaign (tools/fuzz_campaign.sh) with
# FUZZ_SECONDS (default 20) per harness and no merge into fuzz/corpus/. Without clang the stage is
# skipped; the corpora are still replayed by ctest (fuzz_replay_*) in every build.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
if ! command -v clang > /dev/null; then
  echo "fuzz smoke: clang not found, skipped"
  exit 0
fi
tools/fuzz_campaign.sh -s "${FUZZ_SECONDS:-20}" -j "$(nproc)" --no-merge -o build/fuzz/smoke
echo "fuzz smoke: all harnesses ran clean"
