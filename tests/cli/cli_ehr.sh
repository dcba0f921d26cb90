#!/usr/bin/env bash
# clef ehr end to end: the FHIR and CDA fixtures print valid JSON with the expected fields;
# a generated cohort's FHIR bundle and its events.csv give the same patient (sex, race, ICD-10,
# ATC: two formats of one generator); an XXE file and an external DTD exit 1 with their own
# message and the target's content never appears. Usage: cli_ehr.sh CLEF PYTHON TEST_DATA_DIR
set -uo pipefail
clef="$1"
py="$2"
data="$3"
work="$(mktemp -d /tmp/clef_cli_ehr_XXXXXX)"
trap 'rm -rf "$work"' EXIT
fails=0
fail() {
  echo "FAIL: $*"
  fails=$((fails + 1))
}

# check FILE PYTHON-EXPR...: FILE parses as JSON (as r) and each expression is true
check() {
  local f="$1"
  shift
  "$py" - "$f" "$@" << 'PY' || fail "$f: $(cat "$f" | head -c 400)"
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
for e in sys.argv[2:]:
    if not eval(e):
        sys.exit("false: " + e)
PY
}

"$clef" ehr "$data/ehr/patient_fhir.xml" > "$work/fhir.json" || fail "ehr fhir: exit $?"
check "$work/fhir.json" 'r["format"] == "FHIR R4"' 'r["patient"]["id"] == "P042"' \
  'r["patient"]["sex"] == "F"' '[c["code"] for c in r["conditions"]] == ["G40.909", "84757009"]' \
  'r["conditions"][0]["system"] == "http://hl7.org/fhir/sid/icd-10-cm"' \
  '[m["code"] for m in r["medications"]] == ["N03AX14", "N05BA06"]' \
  'r["reports"][1]["text"].startswith("EEG report\nIMPRESSION")' \
  '"\"left\"" in r["reports"][1]["text"]'
"$clef" ehr "$data/ehr/patient_cda.xml" > "$work/cda.json" || fail "ehr cda: exit $?"
check "$work/cda.json" 'r["format"] == "CDA R2"' 'r["patient"]["id"] == "MRN-77"' \
  'r["conditions"][0]["system"] == "2.16.840.1.113883.6.90"' \
  'r["medications"][0]["vocab"] == "ATC"' 'len(r["reports"]) == 3'

# a generated cohort: its FHIR bundle and its events.csv describe the same patient
"$clef" synth --out "$work/coh" --patients 3 --sessions 1 --seconds 4 --quiet || fail "synth"
for x in "$work"/coh/fhir/*.xml; do
  subj="$(basename "$x" .xml)"
  "$clef" ehr "$x" > "$work/a.json" || fail "ehr $x: exit $?"
  "$clef" ehr --subject "$subj" "$work/coh/events.csv" > "$work/b.json" || fail "ehr csv $subj"
  "$py" - "$work/a.json" "$work/b.json" << 'PY' || fail "$subj: FHIR and events.csv differ"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
codes = lambda r, k: sorted({(i["vocab"], i["code"]) for i in r[k]})
for f in ("id", "sex", "race"):
    assert a["patient"][f] == b["patient"][f] != "", f
assert codes(a, "conditions") == codes(b, "conditions") != [], "conditions"
assert codes(a, "medications") == codes(b, "medications"), "medications"
assert b["patient"]["age_years"] != ""
PY
done

# attacks: exit 1, their own message, the secret never printed
secret="CLEF-CLI-SECRET-91c2"
echo "$secret" > "$work/secret.txt"
printf '<!DOCTYPE Bundle [<!ENTITY x SYSTEM "file://%s">]>\n<Bundle xmlns="http://hl7.org/fhir">&x;</Bundle>\n' \
  "$work/secret.txt" > "$work/xxe.xml"
printf '<!DOCTYPE Bundle SYSTEM "file://%s"><Bundle xmlns="http://hl7.org/fhir"/>\n' \
  "$work/secret.txt" > "$work/dtd.xml"
for case in "xxe|external entity 'x'" "dtd|an external DTD"; do
  IFS='|' read -r name want <<< "$case"
  "$clef" ehr "$work/$name.xml" > "$work/out" 2> "$work/err"
  rc=$?
  [ "$rc" -eq 1 ] || fail "$name: exit $rc, not 1"
  grep -qF "unsupported feature" "$work/err" && grep -qF "$want" "$work/err" ||
    fail "$name: stderr lacks '$want': $(cat "$work/err")"
  ! grep -qF "$secret" "$work/out" "$work/err" || fail "$name: the secret was printed"
done
"$clef" ehr --subject X "$data/ehr/patient_fhir.xml" > /dev/null 2>&1
[ $? -eq 2 ] || fail "--subject with an XML file is a usage error"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "cli ehr: ok"
