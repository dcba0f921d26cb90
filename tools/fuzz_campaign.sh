#!/usr/bin/env bash
# Fuzz campaign: every libFuzzer harness (fuzz/<name>.c) for a stated time under ASan+UBSan, crashes
# collected, the new corpus units merged into fuzz/corpus/<name>/, and a report.
#
#   tools/fuzz_campaign.sh [-s SECONDS] [-j JOBS] [-o OUTDIR] [--no-build] [--no-merge] [HARNESS...]
#
#   -s SECONDS   CPU time per harness (default 600 = 10 CPU-minutes; one libFuzzer process at a
#                time per harness, restarted for what is left when the machine is shared)
#   -j JOBS      harnesses fuzzed at the same time (default 1)
#   -o OUTDIR    work and report folder (default build/fuzz-campaign)
#   --no-build   use the harnesses already built
#   --no-merge   leave fuzz/corpus/ alone (the work corpora stay in OUTDIR/<name>/corpus)
#   HARNESS...   a subset, by name (edf_header, store_fhir, ...); default every fuzz/<name>.c
#
# The harnesses are built by tools/fuzz_build.sh (build/fuzz, or $CLEF_FUZZ_BUILD: clang,
# RelWithDebInfo, ASan+UBSan).
# Per harness, OUTDIR/<name>/ holds fuzz.log (libFuzzer's output, runs appended), artifacts/
# (crash-*, leak-*, timeout-*, oom-*, slow-unit-*), corpus/ (the work corpus, seeded from
# fuzz/corpus/<name>/) and stats.tsv. A crash does not end the harness's time: libFuzzer is
# restarted on the work corpus for the CPU time left (at most 20 restarts). The merge
# (-merge=1 fuzz/corpus/<name> OUTDIR/<name>/corpus) adds to the committed corpus only the
# units that add coverage to it, so committed regression cases are never dropped and the
# additions are minimal. Then the committed corpus is replayed once (-runs=0) to measure its
# coverage. OUTDIR/report.md is a markdown table; the exit status is 1 when any harness crashed,
# leaked, timed out or ran out of memory (the reproducers are in OUTDIR/<name>/artifacts/).
set -euo pipefail
# Everything runs from main, read whole before it starts: editing this file during a campaign is safe.
main() {
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

bdir="${CLEF_FUZZ_BUILD:-build/fuzz}"
secs=600
jobs=1
out=build/fuzz-campaign
build=1
merge=1
harnesses=()
while [ $# -gt 0 ]; do
  case "$1" in
    -s) secs="$2"; shift 2 ;;
    -j) jobs="$2"; shift 2 ;;
    -o) out="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --no-merge) merge=0; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz campaign: unknown option $1" >&2; exit 2 ;;
    *) harnesses+=("$1"); shift ;;
  esac
done
if [ ${#harnesses[@]} -eq 0 ]; then
  for src in fuzz/*.c; do
    name="$(basename "$src" .c)"
    [ "$name" = regression_driver ] || harnesses+=("$name")
  done
fi
for name in "${harnesses[@]}"; do
  [ -f "fuzz/$name.c" ] || { echo "fuzz campaign: no harness fuzz/$name.c" >&2; exit 2; }
done

if [ "$build" = 1 ]; then
  echo "fuzz campaign: building $bdir"
  tools/fuzz_build.sh
fi

export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
# Same input limits as the CI smoke stage; an input that runs 20 s is a finding (timeout-*).
fuzz_flags=(-max_len=65536 -rss_limit_mb=2048 -timeout=20 -print_final_stats=1)
mkdir -p "$out"

# Executions over the libFuzzer runs in a log (each starts "INFO: Seed:"): a run's final stats
# when it printed them, else its last status line ("#N ...").
execs_sum() {
  awk '/^INFO: Seed:/ { s += n; n = 0 }
       /^#[0-9]+/ { n = substr($1, 2) + 0 }
       $1 == "stat::number_of_executed_units:" { n = $2 + 0 }
       END { print s + n }' "$1"
}
# A field ("cov:", "ft:", "corp:") of the last libFuzzer status line ("#N ...") in a log.
last_field() {
  awk -v k="$2" '/^#[0-9]+/ { for (i = 1; i < NF; i++) if ($i == k) v = $(i + 1) } END { print v }' "$1"
}
# CPU seconds (user + system) of the children in the output of `times` (run in the shell itself:
# a subshell starts from zero).
children_cpu_s() {
  awk 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] }
                 printf "%d\n", t }' "$1"
}
n_files() { find "$1" -maxdepth 1 -type f | wc -l; }

# Fuzzes one harness for $secs and writes OUTDIR/<name>/stats.tsv.
run_one() {
  local name="$1" bin="$bdir/fuzz/fuzz_$1" dir="$out/$1"
  local dict=() seed="fuzz/corpus/$1" start left rc restarts=0 crashes=0
  [ -x "$bin" ] || { echo "fuzz campaign: $bin not built" >&2; return 1; }
  [ -f "fuzz/$name.dict" ] && dict=(-dict="fuzz/$name.dict")
  rm -rf "$dir"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  if [ -d "$seed" ]; then cp "$seed"/* "$dir/corpus/" 2> /dev/null || true; fi
  local before_files
  before_files="$(n_files "$dir/corpus")"
  : > "$dir/fuzz.log"
  start="$(date +%s)"
  times > "$dir/times.start"
  left="$secs"
  echo "fuzz campaign: $name for ${secs} CPU-s"
  # The budget is CPU time: on a loaded machine libFuzzer (which counts wall time) is run again
  # for what is left, until less than 5 s is (or the wall time reaches 3 budgets + 60 s).
  while [ "$restarts" -le 20 ] && [ $(($(date +%s) - start)) -lt $((3 * secs + 60)) ]; do
    rc=0
    "$bin" -max_total_time="$left" "${fuzz_flags[@]}" "${dict[@]}" \
           -artifact_prefix="$dir/artifacts/" "$dir/corpus" >> "$dir/fuzz.log" 2>&1 || rc=$?
    if [ "$rc" != 0 ]; then
      crashes=$((crashes + 1))
      restarts=$((restarts + 1))
      tail -40 "$dir/fuzz.log"
      echo "fuzz campaign: $name: finding (exit $rc)" | tee -a "$dir/fuzz.log"
    fi
    times > "$dir/times.now"
    left=$((secs - $(children_cpu_s "$dir/times.now") + $(children_cpu_s "$dir/times.start")))
    [ "$left" -ge 5 ] || break
  done
  times > "$dir/times.end"
  local wall=$(($(date +%s) - start))
  local cpu=$(($(children_cpu_s "$dir/times.end") - $(children_cpu_s "$dir/times.start")))
  # The coverage the seed corpus reached (first INITED line) and the campaign reached (last status).
  local cov0 execs eps cov ft
  cov0="$(awk '/INITED/ { for (i = 1; i < NF; i++) if ($i == "cov:") { print $(i + 1); exit } }' "$dir/fuzz.log")"
  execs="$(execs_sum "$dir/fuzz.log")"
  eps=$((execs / (wall > 0 ? wall : 1)))
  cov="$(last_field "$dir/fuzz.log" cov:)"
  ft="$(last_field "$dir/fuzz.log" ft:)"
  local work_files after_files="-" corp_cov="-" corp_ft="-" corp_kb="-"
  work_files="$(n_files "$dir/corpus")"
  if [ "$merge" = 1 ]; then
    mkdir -p "$seed"
    "$bin" -merge=1 "${fuzz_flags[@]}" -merge_control_file="$dir/merge.ctl" "$seed" "$dir/corpus" \
           > "$dir/merge.log" 2>&1 || echo "fuzz campaign: $name: merge failed, see $dir/merge.log"
    after_files="$(n_files "$seed")"
    corp_kb="$(du -sk --apparent-size "$seed" | cut -f1)"
    # The committed corpus replayed once: the coverage a regression run of fuzz/corpus/<name> gets.
    "$bin" -runs=0 "${fuzz_flags[@]}" "$seed" > "$dir/replay.log" 2>&1 || true
    corp_cov="$(awk '/INITED/ { for (i = 1; i < NF; i++) if ($i == "cov:") print $(i + 1) }' "$dir/replay.log")"
    corp_ft="$(awk '/INITED/ { for (i = 1; i < NF; i++) if ($i == "ft:") print $(i + 1) }' "$dir/replay.log")"
  fi
  local artifacts
  artifacts="$(find "$dir/artifacts" -maxdepth 1 -type f ! -name 'slow-unit-*' | wc -l)"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
    "$name" "$wall" "$cpu" "$execs" "$eps" "${cov0:--}" "${cov:--}" "${ft:--}" "$before_files" \
    "$work_files" "$after_files" "$corp_kb" "${corp_cov:--}" "${corp_ft:--}" "$crashes/$artifacts" \
    > "$dir/stats.tsv"
  echo "fuzz campaign: $name done: $execs execs, cov $cov, ft $ft, findings $crashes"
}

running=0
for name in "${harnesses[@]}"; do
  if [ "$jobs" -le 1 ]; then
    run_one "$name" || true
  else
    run_one "$name" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
      wait -n || true
      running=$((running - 1))
    fi
  fi
done
wait || true

# The report.
report="$out/report.md"
found=0
{
  echo "# Fuzz campaign report"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%MZ), source $(git describe --always --dirty 2> /dev/null || echo unknown)"
  echo "- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) CPUs"
  echo "- compiler: $(clang --version | head -1); ASan+UBSan, RelWithDebInfo; ${secs} CPU-s per harness, -j $jobs"
  echo "- flags: ${fuzz_flags[*]}"
  echo
  echo "| harness | seconds | CPU s | execs | exec/s | edges (seeds) | edges | features | corpus before | work corpus | corpus after | corpus KiB | corpus edges | corpus features | findings (runs/files) |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for name in "${harnesses[@]}"; do
    f="$out/$name/stats.tsv"
    if [ ! -f "$f" ]; then
      echo "| $name | not run | | | | | | | | | | | | | |"
      found=1
      continue
    fi
    IFS=$'\t' read -r n wall cpu execs eps cov0 cov ft b w a kb ccov cft fnd < "$f"
    echo "| $n | $wall | $cpu | $execs | $eps | $cov0 | $cov | $ft | $b | $w | $a | $kb | $ccov | $cft | $fnd |"
    [ "${fnd%%/*}" = 0 ] && [ "${fnd##*/}" = 0 ] || found=1
  done
  echo
  echo "Seconds: wall time of the fuzzing; CPU s: user + system time of the libFuzzer processes (both"
  echo "without the merge). Edges: libFuzzer's \"cov:\" (instrumented edges reached); features: \"ft:\"."
  echo "\"edges (seeds)\" is the coverage of the seed corpus at start, \"edges\" at the end of the run;"
  echo "\"corpus edges\" is what replaying the merged fuzz/corpus/<name>/ reaches. Findings: libFuzzer"
  echo "runs that ended in a crash, leak, timeout or OOM / reproducer files in $out/<name>/artifacts/."
} > "$report"
cat "$report"
return "$found"
}

main "$@"; exit $?
