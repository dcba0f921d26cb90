#!/usr/bin/env bash
# Crash safety of the store (issue 23 item 5): clef ingest, clef tokenize --store and clef embed
# --store are SIGKILLed at random moments (KILLS times each, >= 50 in all), each kill followed
# by PRAGMA integrity_check; then each stage is run to the end, and the store must hold every
# item once with the same rows and artifacts as an uninterrupted run.
# Usage: cli_store_crash.sh CLEF_BINARY FIXTURE_DIR [KILLS_PER_STAGE] [SEED]
set -euo pipefail
clef="$1"
fix="$2"
kills="${3:-20}"
RANDOM="${4:-23}"
work="$(mktemp -d /tmp/clef_cli_crash_XXXXXX)"
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
q() { sqlite3 -batch -noheader -cmd '.timeout 10000' "$@"; }
coh="$fix/coh_mean"
tok="$fix/wm.safetensors"
enc="$work/enc.safetensors"
"$clef" pretrain "$coh" -w "$tok" -o "$enc" --steps 1 --d-model 16 --layers 1 --heads 2 \
  --d-ff 32 --embed-dim 12 --batch 2 --crop-cols 24 --threads 1 > /dev/null 2>&1
stage() { # stage DB NAME: one stage run to the end
  case "$2" in
  ingest) "$clef" ingest "$coh" --store "$1" ;;
  tokenize) "$clef" tokenize --store "$1" -w "$tok" --threads 1 ;;
  embed) "$clef" embed --store "$1" -w "$enc" -t "$tok" --threads 1 --quiet ;;
  esac > /dev/null 2>&1
}
dump() { # everything the stages write, in a stable order (no ids, no timestamps)
  q "$1" "SELECT * FROM patients ORDER BY 1; SELECT * FROM sessions ORDER BY 1;
          SELECT * FROM recording_files ORDER BY 1; SELECT * FROM reports ORDER BY 1;
          SELECT subject_id, time, code, value, source FROM ehr_events ORDER BY 1,2,3,4,5;
          SELECT name FROM tasks ORDER BY 1; SELECT t.name, l.session_id, l.label FROM labels l
            JOIN tasks t USING (task_id) ORDER BY 1,2; SELECT * FROM splits ORDER BY 1;
          SELECT session_id, kind, model_hash, hex(data) FROM artifacts ORDER BY 1,2,3;
          SELECT job, item, state FROM jobs ORDER BY 1,2;"
}
# the uninterrupted reference, timed to size the kill delays
declare -A ms
for s in ingest tokenize embed; do
  t0=$(date +%s%N)
  stage "$work/ref.db" $s
  ms[$s]=$(((($(date +%s%N) - t0) / 1000000) + 1))
done
total=0
declare -A claimed=([ingest]=0 [tokenize]=0 [embed]=0) # kills that left an item claimed
for s in ingest tokenize embed; do
  for ((i = 0; i < kills; i++)); do
    case $s in
    ingest) "$clef" ingest "$coh" --store "$work/crash.db" ;;
    tokenize) "$clef" tokenize --store "$work/crash.db" -w "$tok" --threads 1 ;;
    embed) "$clef" embed --store "$work/crash.db" -w "$enc" -t "$tok" --threads 1 --quiet ;;
    esac > /dev/null 2>&1 &
    pid=$!
    if ((i % 2)); then # odd kills: as soon as an item is seen claimed (or the run ended)
      while kill -0 "$pid" 2> /dev/null &&
        [ "$(q "$work/crash.db" 'SELECT count(*) FROM jobs WHERE state = 1' 2> /dev/null || echo 0)" -eq 0 ]; do :; done
    else # even kills: after a random part of the uninterrupted run's time
      delay=$((RANDOM % ${ms[$s]}))
      sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
    fi
    kill -9 "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
    total=$((total + 1))
    ok=$(q "$work/crash.db" 'PRAGMA integrity_check' 2>&1 || true)
    [ "$ok" = ok ] || [ ! -s "$work/crash.db" ] || { echo "integrity_check after $s kill $i: $ok"; exit 1; }
    if [ -s "$work/crash.db" ] && [ "$(q "$work/crash.db" 'SELECT count(*) FROM jobs WHERE state = 1' 2> /dev/null || echo 0)" -gt 0 ]; then
      claimed[$s]=$((claimed[$s] + 1))
    fi
  done
  if [ $s != ingest ]; then # the row a kill between claim and commit leaves, made sure of once
    q "$work/crash.db" "UPDATE jobs SET state = 1, owner = 'killed' WHERE rowid =
                          (SELECT max(rowid) FROM jobs WHERE job LIKE '$s%' AND state = 2);
                        DELETE FROM artifacts WHERE (session_id, kind) IN
                          (SELECT item, CASE WHEN job LIKE 'tok%' THEN 2 ELSE 3 END FROM jobs
                           WHERE owner = 'killed')"
  fi
  stage "$work/crash.db" $s
done
[ "$total" -ge 50 ]
[ "$(q "$work/crash.db" 'PRAGMA integrity_check')" = ok ]
# every item done once: no claimed, pending or failed item left, one artifact per session and kind
left=$(q "$work/crash.db" 'SELECT job, item, state FROM jobs WHERE state <> 2')
[ -z "$left" ] || { echo "items not done after the resumed runs:"; echo "$left"; exit 1; }
n_sess=$(q "$work/crash.db" 'SELECT count(*) FROM sessions')
[ "$(q "$work/crash.db" 'SELECT count(*) FROM artifacts WHERE kind = 2')" -eq "$n_sess" ]
[ "$(q "$work/crash.db" 'SELECT count(*) FROM artifacts WHERE kind = 3')" -eq "$n_sess" ]
diff <(dump "$work/ref.db") <(dump "$work/crash.db") > "$work/diff.txt" || {
  echo "the resumed store differs from the uninterrupted run:"; head -20 "$work/diff.txt"; exit 1; }
echo "cli store crash: ok ($total kills; ingest ${ms[ingest]} ms, tokenize ${ms[tokenize]} ms, embed ${ms[embed]} ms; kills mid-item: tokenize ${claimed[tokenize]}, embed ${claimed[embed]})"
