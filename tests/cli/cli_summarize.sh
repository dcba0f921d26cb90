#!/usr/bin/env bash
# clef summarize end to end: a synthetic report -> one JSON object (checked with Python's json)
# whose summary holds none of the report's planted PHI and whose findings match truth.csv for
# the findings the text states; a missing file fails with exit 1.
# Usage: cli_summarize.sh CLEF_BINARY PYTHON
set -euo pipefail
clef="$1"
py="$2"
work="$(mktemp -d /tmp/clef_cli_summarize_XXXXXX)"
trap 'rm -rf "$work"' EXIT
"$clef" synth -o "$work/c" --patients 6 --sessions 1 --seconds 4 --seed 3 --quiet
for r in "$work"/c/reports/*.txt; do
  "$clef" summarize "$r" > "$work/out.json"
  "$py" - "$r" "$work/out.json" "$work/c/truth.csv" << 'PY'
import json, os, sys
report, out, truth = sys.argv[1:]
j = json.load(open(out))
head = dict(l.split(": ", 1) for l in open(report).read().split("\n\n")[1].splitlines())
phi = [w.strip(",") for w in head["Patient"].split()] + [head["MRN"], head["DOB"]]
for p in phi:
    assert p not in json.dumps(j), "PHI in output"
sid = os.path.basename(report)[:-4]
for line in open(truth).read().splitlines()[1:]:
    s, f, v = line.split(",")
    if s == sid and f in ("focal_slowing", "generalized_slowing", "burst_suppression",
                          "triphasic_waves", "artifact_line_noise"):
        got = j["findings"][f] in ("present", "uncertain")
        assert got == (v == "1"), (sid, f, v, j["findings"][f])
PY
done
# --cohort: one row per finding; slowing is always stated in the text, so its F1 is 1
"$clef" summarize --cohort "$work/c" > "$work/f1.txt"
[ "$(grep -c -E '^(artifact_|focal_|generalized_|triphasic|excess|drowsiness|burst|slow_pdr|abnormal)' "$work/f1.txt")" -eq 15 ]
grep -qE '^focal_slowing +[0-9]+ +0 +0 +1\.000$' "$work/f1.txt"
set +e
"$clef" summarize "$work/none.txt" 2> "$work/err"
rc=$?
set -e
[ "$rc" -eq 1 ]
echo "cli summarize: JSON, no PHI, findings agree with truth"
