#!/usr/bin/env bash
# clef ingest on a cohort with hostile report and FHIR files (issue 23 item 6): all-or-nothing
# imports nothing; --skip-bad imports the rest, records and lists each bad file with its reason
# and exits 3; after the files are fixed a rerun imports just them, and the store then equals a
# clean import.
# Usage: cli_ingest_skip_bad.sh CLEF_BINARY
set -euo pipefail
clef="$1"
work="$(mktemp -d /tmp/clef_cli_skipbad_XXXXXX)"
trap 'rm -rf "$work"' EXIT
q() { sqlite3 -batch -noheader "$@"; }
"$clef" synth -o "$work/good" --patients 12 --sessions 1 --seconds 4 --seed 7 --quiet
"$clef" ingest "$work/good" --store "$work/ref.db" > /dev/null 2>&1
cp -r "$work/good" "$work/bad"
b="$work/bad"
# 1 external entity (XXE) and 2 billion laughs: both refused through the DOCTYPE
sed -i '1a <!DOCTYPE Bundle [<!ENTITY x SYSTEM "file:///etc/passwd">]>' "$b/fhir/P000001.xml"
printf '<?xml version="1.0"?>\n<!DOCTYPE a [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>\n<Bundle>&b;</Bundle>\n' \
  > "$b/fhir/P000002.xml"
# 3 truncated XML, 4 a directory where a file should be, and a report with a NUL byte
head -c 700 "$work/good/fhir/P000003.xml" > "$b/fhir/P000003.xml"
rm "$b/fhir/P000004.xml" && mkdir "$b/fhir/P000004.xml"
printf 'report\0hidden\n' > "$b/reports/P000005_S01.txt"
bad_subjects="'P000001','P000002','P000003','P000004'"

# all-or-nothing (the default): exit 1 and an empty store
if "$clef" ingest "$b" --store "$work/aon.db" > /dev/null 2> "$work/aon.err"; then
  echo "all-or-nothing ingest of a hostile cohort succeeded"; exit 1
fi
[ "$(q "$work/aon.db" 'SELECT count(*) FROM sessions')" -eq 0 ]

# quarantine: exit 3, five files listed with reasons, the rest imported
set +e
"$clef" ingest "$b" --store "$work/q.db" --skip-bad > "$work/q.out" 2> /dev/null
code=$?
set -e
[ "$code" -eq 3 ] || { echo "--skip-bad exit status $code, expected 3"; exit 1; }
grep -q "skipped files (5 this run" "$work/q.out"
for f in fhir/P000001.xml fhir/P000002.xml fhir/P000003.xml fhir/P000004.xml reports/P000005_S01.txt; do
  grep -q "^  $f: ." "$work/q.out" || { echo "$f not listed"; cat "$work/q.out"; exit 1; }
done
grep -q "fhir/P000001.xml: .*external entity .* not allowed" "$work/q.out"
grep -q "reports/P000005_S01.txt: .*NUL" "$work/q.out"
! grep -q "root:" "$work/q.out"
[ "$(q "$work/q.db" 'SELECT count(*) FROM import_skipped')" -eq 5 ]
[ "$(q "$work/q.db" 'SELECT count(*) FROM sessions')" -eq 12 ]
# nothing of a bad file kept, everything else as in the clean import
rows() {
  q "$1" "SELECT subject_id, time, code, value, source FROM ehr_events WHERE $2 ORDER BY 1,2,3,4,5;
          SELECT session_id, text FROM reports WHERE $3 ORDER BY 1;
          SELECT t.name, l.session_id, l.label FROM labels l JOIN tasks t USING (task_id) ORDER BY 1,2;"
}
[ "$(q "$work/q.db" "SELECT count(*) FROM ehr_events WHERE source = 'fhir' AND subject_id IN ($bad_subjects)")" -eq 0 ]
[ "$(q "$work/q.db" "SELECT count(*) FROM reports WHERE session_id = 'P000005_S01'")" -eq 0 ]
ok="NOT (source = 'fhir' AND subject_id IN ($bad_subjects))"
diff <(rows "$work/ref.db" "$ok" "session_id <> 'P000005_S01'") \
  <(rows "$work/q.db" "$ok" "session_id <> 'P000005_S01'")

# fix the files: the rerun imports just them (their rows and the five quarantine records)
rm -r "$b/fhir/P000004.xml"
for f in fhir/P000001.xml fhir/P000002.xml fhir/P000003.xml fhir/P000004.xml reports/P000005_S01.txt; do
  cp "$work/good/$f" "$b/$f"
done
"$clef" ingest "$b" --store "$work/q.db" --skip-bad > "$work/fix.out" 2> /dev/null
expect=$(q "$work/ref.db" "SELECT (SELECT count(*) FROM ehr_events WHERE source = 'fhir' AND subject_id IN ($bad_subjects))
                                + (SELECT count(*) FROM reports WHERE session_id = 'P000005_S01') + 5")
grep -q ": $expect rows changed" "$work/fix.out" || { echo "expected $expect rows changed"; cat "$work/fix.out"; exit 1; }
! grep -q "skipped files" "$work/fix.out"
[ "$(q "$work/q.db" 'SELECT count(*) FROM import_skipped')" -eq 0 ]
diff <(rows "$work/ref.db" 1 1) <(rows "$work/q.db" 1 1)
"$clef" ingest "$b" --store "$work/q.db" --skip-bad | grep -q ": 0 rows changed"
[ "$(q "$work/q.db" 'PRAGMA integrity_check')" = ok ]
echo "cli ingest --skip-bad: ok"
