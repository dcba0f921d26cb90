#!/usr/bin/env bash
# Every clef subcommand against the rules of tools/cli/cli_args.h, through the built program:
# --help exits 0 with the usage on stdout; an unknown option, a missing argument or value and a
# malformed or out-of-range number (each numeric option) exit 2 with one stderr line naming
# the option (and the value); -o and --out are both the output. Only parsing is exercised
# (the checks fail before any file is read), plus a real run of -o and --out each.
# Usage: test_cli_table.sh CLEF_BINARY TEST_DATA_DIR
set -uo pipefail
clef="$(realpath "$1")" # run() works in a scratch directory
data="$(realpath "$2")"
work="$(mktemp -d /tmp/clef_cli_table_XXXXXX)"
trap 'rm -rf "$work"' EXIT
fails=0
fail() {
  echo "FAIL: $*"
  fails=$((fails + 1))
}

# One row per subcommand: name | arguments that parse (output excluded) | the output
# ("req": -o/--out required, "opt": optional, "": none) | numeric options | state.
# State "pending": only --help is checked (for a subcommand not yet on cli_args; none now).
rows=(
  "version||||"
  "build-info||||"
  "info|F.edf|||"
  "ingest|DIR --store DB|||"
  "evaluate|--store DB|opt|--bootstrap --seed|"
  "synth||req|--patients --sessions --seed --minutes --seconds --threads|"
  "spectrogram|F.edf|req|--threads --start --duration|"
  "tokenize|F.edf|req|--threads|"
  "session-means|F.edf|req|--frames --threads|"
  "train-tokenizer|DIR|req|--steps --threads --batch --crop-t --ch --codebook --code-dim --gn-groups --checkpoint-every --log-every --disc-start --disc-ndf --max-sessions --warmup --cosine-steps --mean-tokens --mean-levels --lr --lr-min --channel-dropout --channel-lone --power-weight --seed|"
  "pretrain|DIR -w T.st|req|--threads --log-every --steps --batch --seed --crop-cols --max-sessions --val-every --checkpoint-every --lr --mask-min --mask-max --warmup-frac --weight-decay --ema-decay --grad-clip --d-model --layers --heads --d-ff --embed-dim|"
  "embed|F.edf -w E.st -t T.st|req|--threads|"
  "ehr|F.xml|||"
  "summarize|R.txt|||"
  "align|--store DB -w E.st|req|--threads --log-every --steps --batch --seed --dim --width --layers --heads --eeg-hidden --checkpoint-every --lr --temperature --report-weight --ehr-weight --weight-decay|"
  "zeroshot|--store DB P|opt|--threads|"
  "convert|W.st|req||"
  "report|--store DB|req|--sessions --bootstrap --threads|"
)

# run ARGS...: rc, stdout and stderr of clef ARGS into $rc, $work/out, $work/err
run() {
  (cd "$work" && "$clef" "$@") > "$work/out" 2> "$work/err"
  rc=$?
}

# expect_usage_error WHAT NEEDLE...: exit 2, one stderr line holding every needle
expect_usage_error() {
  local what="$1"
  shift
  [ "$rc" -eq 2 ] || { fail "$what: exit $rc, not 2 ($(head -c 200 "$work/err"))"; return; }
  [ "$(wc -l < "$work/err")" -eq 1 ] || fail "$what: stderr is not one line: $(cat "$work/err")"
  for needle in "$@"; do
    grep -qF -- "$needle" "$work/err" || fail "$what: stderr lacks '$needle': $(cat "$work/err")"
  done
}

# the top level
run --help
[ "$rc" -eq 0 ] && grep -q "^usage: clef" "$work/out" || fail "clef --help: exit $rc"
run
expect_usage_error "clef (no command)" "missing command"
run no-such-command
expect_usage_error "clef no-such-command" "no-such-command"
run --no-such-flag
expect_usage_error "clef --no-such-flag" "--no-such-flag"
run --version
[ "$rc" -eq 0 ] && grep -q "^clef " "$work/out" || fail "clef --version: exit $rc"

# every command of clef --help has a row
run --help
for cmd in $(sed -n '/^commands:/,/^$/p' "$work/out" | awk 'NF > 1 {print $1}'); do
  # (no `printf | grep -q`: grep may exit before printf has written, and pipefail then reports
  # printf's SIGPIPE as a missing row)
  found=0
  for r in "${rows[@]}"; do [[ $r == "$cmd|"* ]] && found=1 && break; done
  [ "$found" -eq 1 ] || fail "$cmd: no row in test_cli_table.sh"
done

for row in "${rows[@]}"; do
  IFS='|' read -r name args output numeric state <<< "$row"
  read -r -a argv <<< "$args"
  out=()
  [ -n "$output" ] && out=(-o OUT)
  for h in --help -h; do
    run "$name" "$h"
    [ "$rc" -eq 0 ] || fail "$name $h: exit $rc"
    grep -qi "usage" "$work/out" || fail "$name $h: no usage on stdout"
  done
  if [ "$state" = pending ]; then
    echo "pending (lead converts $name to cli_args): unknown option, missing argument, numbers, -o/--out"
    continue
  fi
  run "$name" "${argv[@]}" "${out[@]}" --no-such-flag
  expect_usage_error "$name --no-such-flag" "clef $name: " "--no-such-flag"
  run "$name" "${argv[@]}" "${out[@]}" --no-such-flag=3
  expect_usage_error "$name --no-such-flag=3" "--no-such-flag"
  # a missing required argument: nothing at all, or (no required ones) one too many
  if [ -n "$args" ] || [ "$output" = req ]; then
    run "$name"
    expect_usage_error "$name (no arguments)" "clef $name: " "missing"
  else
    run "$name" extra-argument
    expect_usage_error "$name extra-argument" "extra-argument"
  fi
  if [ "$output" = req ] && [ -n "$args" ]; then
    run "$name" "${argv[@]}"
    expect_usage_error "$name without -o" "--out: missing"
  fi
  for flag in $numeric; do
    for v in abc 12x "" nan -1e300; do
      run "$name" "${argv[@]}" "${out[@]}" "$flag" "$v"
      expect_usage_error "$name $flag '$v'" "$flag" "\"$v\""
    done
    run "$name" "${argv[@]}" "${out[@]}" "$flag"
    expect_usage_error "$name $flag (no value)" "$flag: missing value"
  done
  if [ -n "$output" ]; then
    # -o, --out and --out= are the output: the error names the option after them
    for o in "-o OUT" "--out OUT" "--out=OUT"; do
      read -r -a oa <<< "$o"
      run "$name" "${argv[@]}" "${oa[@]}" --after-out
      expect_usage_error "$name $o" "--after-out: unknown option"
    done
    run "$name" "${argv[@]}" -o
    expect_usage_error "$name -o (no value)" "-o: missing value"
  fi
done

# real runs: -o and --out write the same file
run spectrogram "$data/test_subsecond.edf" -o "$work/a.npy"
[ "$rc" -eq 0 ] || fail "spectrogram -o: exit $rc: $(cat "$work/err")"
run spectrogram "$data/test_subsecond.edf" --out "$work/b.npy"
[ "$rc" -eq 0 ] || fail "spectrogram --out: exit $rc: $(cat "$work/err")"
cmp -s "$work/a.npy" "$work/b.npy" || fail "spectrogram: -o and --out files differ"
run synth --out "$work/coh" --patients 1 --sessions 1 --seconds 4 --quiet
[ "$rc" -eq 0 ] && [ -f "$work/coh/manifest.csv" ] || fail "synth --out: exit $rc"
# a runtime failure exits 1
run info "$work/no-such-file.edf"
[ "$rc" -eq 1 ] || fail "info of a missing file: exit $rc, not 1"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "cli table: ok"
