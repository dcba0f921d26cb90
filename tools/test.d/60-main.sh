#!/usr/bin/env bash
# Stage: the README's main command, reduced (a small cohort of short sessions), end to end,
# so it cannot break unseen.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
out=build/main-small
CLEF_MAIN_DIR="$out" CLEF_MAIN_PATIENTS=60 CLEF_MAIN_SECONDS=90 CLEF_MAIN_SEED=7 \
  CLEF_MAIN_REPORT_SESSIONS=2 bash tools/run_main.sh > build/main-small.log 2>&1 \
  || { tail -40 build/main-small.log; echo "main command failed"; exit 1; }
for f in bandpower.csv recon_only.csv encoder.csv aligned.csv embedding.npy real_embedding.npy spectrogram.npy spectrogram.png report.html; do
  [ -s "$out/$f" ] || { echo "main command: $out/$f missing"; exit 1; }
done
# its spectrogram picture: decodes, axes and colours as drawn, small (tests/cli/check_picture.py)
build/venv/bin/python tests/cli/check_picture.py "$out/spectrogram.png" "$out/spectrogram.npy" 300000
# the report, in a real browser: self-contained, no console message, every section shown
build/venv/bin/python tests/cli/check_report.py "$out/report.html" --sessions 2 --rocs 5
grep -A5 "mean test AUROC" build/main-small.log
grep -A5 "aligned minus band power" build/main-small.log || { echo "no paired difference"; exit 1; }
tail -n 1 build/main-small.log | grep -q "^results: $out" || { echo "no last line"; exit 1; }
echo "main stage: OK"
