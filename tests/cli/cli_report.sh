#!/usr/bin/env bash
# clef report end to end on the tests' session-mean cohort (fixtures of tests/cli): a tiny
# encoder and aligner -> embeddings in the store -> the HTML page, checked in a real browser
# (tests/cli/check_report.py: self-contained, no console message, every section in the
# screenshot), and three broken copies of it that the checker must catch; usage and runtime
# errors. Needs the text encoder (build/minilm) and chromium-headless-shell (both installed by
# tools/install_deps.sh): exit 77 (skip) without them.
# Usage: cli_report.sh CLEF_BINARY FIXTURE_DIR MINILM_DIR PYTHON
set -euo pipefail
clef="$1"
fix="$2"
minilm="$3"
py="$4"
[ -f "$minilm/model.safetensors" ] || { echo "no text encoder in $minilm: skipped"; exit 77; }
command -v chromium-headless-shell > /dev/null || { echo "no chromium-headless-shell: skipped"; exit 77; }
export CLEF_TEXT_MODEL="$minilm"
check="$(dirname "$0")/check_report.py"
work="$(mktemp -d /tmp/clef_cli_report_XXXXXX)"
trap 'rm -rf "$work"' EXIT
. "$(dirname "$0")/align_store.sh"
align_store_embedded "$clef" "$fix" "$work"
"$clef" align --store "$work/s.db" -w "$work/enc.safetensors" -o "$work/al.safetensors" \
  --steps 3 --dim 16 --width 8 --layers 1 --heads 2 --eeg-hidden 16 --batch 4 > /dev/null 2>&1
"$clef" embed --store "$work/s.db" -w "$work/enc.safetensors" -t "$fix/wm.safetensors" \
  -a "$work/al.safetensors" --quiet > /dev/null
models=(-t "$fix/wm.safetensors" -w "$work/enc.safetensors" -a "$work/al.safetensors")
"$clef" report --store "$work/s.db" "${models[@]}" -o "$work/r.html" --sessions 2 \
  --bootstrap 50 --prompt "feat_excess_beta=excess beta activity" --threads 2 \
  > "$work/out.txt" 2> "$work/err.txt" || { cat "$work/err.txt"; exit 1; }
[ "$(tail -n 1 "$work/out.txt")" = "report: $work/r.html" ] || { cat "$work/out.txt"; exit 1; }
grep -q "clef report: sessions 2/2" "$work/err.txt" # progress on the long step
grep -q '"excess beta activity"' "$work/r.html"
grep -q "Report summary (de-identified)" "$work/r.html"
[ ! -e "$work/r.html.tmp" ]
"$py" "$check" "$work/r.html" --sessions 2 --rocs 0 --height 12000
# negative controls: a script that throws, a page hidden by CSS, a section cut off
sed 's|</body>|<script>throw new Error("planted")</script></body>|' "$work/r.html" > "$work/b1.html"
sed 's|<style>|<style>body{display:none}|' "$work/r.html" > "$work/b2.html"
sed 's|<h2 id="end"[^<]*</h2>||' "$work/r.html" > "$work/b3.html"
for b in b1 b2 b3; do
  "$py" "$check" "$work/$b.html" --sessions 2 --rocs 0 --height 12000 --expect-fail > "$work/$b.txt" ||
    { cat "$work/$b.txt"; echo "$b: the checker missed it"; exit 1; }
done
grep -q "console: .*planted" "$work/b1.txt"
grep -q "nearly blank" "$work/b2.txt"
grep -q "sections not visible in the screenshot: end" "$work/b3.txt"
# errors: a store that is not there (exit 1, nothing written); a malformed --prompt (exit 2)
set +e
"$clef" report --store "$work/none.db" "${models[@]}" -o "$work/x.html" 2> "$work/e1.txt"
rc1=$?
"$clef" report --store "$work/s.db" -o "$work/x.html" --prompt "no equals sign" 2> "$work/e2.txt"
rc2=$?
set -e
[ "$rc1" -eq 1 ] && [ ! -e "$work/x.html" ] || { cat "$work/e1.txt"; exit 1; }
[ "$rc2" -eq 2 ] && grep -q "TASK=TEXT" "$work/e2.txt"
echo "cli report: OK"
