#!/usr/bin/env bash
# End to end through the clef program: synth (tiny cohort) -> ingest -> ingest again (no
# change) -> evaluate (table + CSV, the means' CIs, --versus) -> a corrupted manifest fails with
# file, line and column.
# Usage: cli_store_e2e.sh CLEF_BINARY
set -euo pipefail
clef="$1"
work="$(mktemp -d /tmp/clef_cli_e2e_XXXXXX)"
trap 'rm -rf "$work"' EXIT
"$clef" synth -o "$work/cohort" --patients 40 --sessions 1 --seconds 4 --seed 5 --quiet
"$clef" ingest "$work/cohort" --store "$work/store.db" > "$work/ingest1.txt" 2> /dev/null
grep -q "sessions       40" "$work/ingest1.txt"
"$clef" ingest "$work/cohort" --store "$work/store.db" > "$work/ingest2.txt" 2> /dev/null
grep -q ": 0 rows changed" "$work/ingest2.txt"
"$clef" evaluate --store "$work/store.db" --out "$work/results.csv" --bootstrap 50 \
  > "$work/table.txt" 2> "$work/progress.txt"
head -n 1 "$work/table.txt" | grep -q "AUROC"
grep -q "band-power embeddings 40/40" "$work/progress.txt"
head -n 1 "$work/results.csv" | grep -qx "task,n_train,n_val,n_test,auroc,ci_low,ci_high,c,status,smd_age,smd_sex"
# one CSV row per task of tasks.csv, plus the mean
n_rows=$(grep -c -E "^(dis|med|feat)_" "$work/results.csv")
n_tasks=$(tail -n +2 "$work/cohort/tasks.csv" | cut -d, -f1 | sort -u | wc -l)
[ "$n_rows" -eq "$n_tasks" ]
grep -q "^mean," "$work/results.csv"
grep -qE "^mean +[0-9]+ +[0-9.]+ +\[[0-9.]+, [0-9.]+\]" "$work/table.txt" # the mean's CI
# a paired comparison of band power with itself: 0 in every resample
"$clef" evaluate --store "$work/store.db" --versus bandpower --bootstrap 50 > "$work/vs.txt" \
  2> /dev/null
grep -qE "^  all +[0-9]+ +\+0\.000  \[\+0\.000, \+0\.000\]$" "$work/vs.txt"
if "$clef" evaluate --store "$work/store.db" --versus "$work/none.safetensors" > /dev/null \
  2> "$work/vs_err.txt"; then
  echo "evaluate --versus with a missing file succeeded"; exit 1
fi
grep -q "none.safetensors" "$work/vs_err.txt"
# a recording that no longer matches its manifest hash is refused, naming the place
printf 'x' >> "$work/cohort/edf/$(sed -n 2p "$work/cohort/manifest.csv" | cut -d, -f3 | xargs basename)"
if "$clef" ingest "$work/cohort" --store "$work/store2.db" > /dev/null 2> "$work/err.txt"; then
  echo "ingest of a corrupted cohort succeeded"; exit 1
fi
grep -q "manifest.csv line 2, column 4 (sha256)" "$work/err.txt"
echo "cli e2e: ok"
