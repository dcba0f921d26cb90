#!/usr/bin/env bash
# The files of the clef program do not depend on the user's locale (docs/io.md "Locale"): clef
# calls setlocale(LC_ALL, ""), and under LC_ALL=de_DE.UTF-8 (decimal comma) `clef synth` (EDF+/
# BDF+ through the EDF writer, CSV, JSON, FHIR), `clef train-tokenizer` (tiny: weights metadata)
# and `clef evaluate --out` (CSV) write the same bytes as under LC_ALL=C; the files written
# under de_DE then load back there (clef info, clef tokenize read the EDF and the weights) and
# give the same tokens. Exit 77 (SKIP) when de_DE.UTF-8 cannot be set; LOCPATH may point at a
# locale built by CMake (tests/CMakeLists.txt).
# Usage: cli_locale.sh CLEF_BINARY
set -euo pipefail
trap 'echo "cli_locale.sh: line $LINENO failed: $BASH_COMMAND"' ERR
clef="$1"
de=de_DE.UTF-8
if [ "$(LC_ALL=$de bash -c 'printf "%.1f" 0,5' 2> /dev/null)" != "0,5" ]; then
  echo "SKIP: locale $de is not installed (tools/install_deps.sh generates it)"
  exit 77
fi
work="$(mktemp -d /tmp/clef_cli_locale_XXXXXX)"
trap 'rm -rf "$work"' EXIT
tiny=(--steps 2 --ch 8 --ch-mult 1,1,1,1 --codebook 32 --code-dim 4 --gn-groups 4 --batch 2
  --crop-t 40 --disc-ndf 4 --disc-start 1 --log-every 1 --checkpoint-every 2 --mean-tokens 0
  --lr 0.0005)
for loc in C "$de"; do
  d="$work/$loc"
  mkdir -p "$d"
  LC_ALL=$loc "$clef" synth -o "$d/coh" --patients 30 --sessions 1 --seconds 60 --seed 7 \
    --quiet
  LC_ALL=$loc "$clef" train-tokenizer "$d/coh" -o "$d/w.safetensors" "${tiny[@]}" \
    > /dev/null 2> "$work/train_$loc.log"
  LC_ALL=$loc "$clef" ingest "$d/coh" --store "$d/store.db" > /dev/null 2>&1
  LC_ALL=$loc "$clef" evaluate --store "$d/store.db" --out "$d/results.csv" --bootstrap 20 \
    > /dev/null 2>&1
  rm -f "$d/store.db"*
done
# byte-identical trees (file names and contents)
if ! diff -r "$work/C" "$work/$de" > "$work/diff.txt"; then
  echo "files differ between LC_ALL=C and LC_ALL=$de:"
  head -n 20 "$work/diff.txt"
  exit 1
fi
# the comma locale really was in force: clef's own progress line followed it
grep -qE "l1 [0-9]+,[0-9]+ dB" "$work/train_$de.log"
edfs=("$work/$de"/coh/edf/*.edf) # a glob: no `ls | head` whose writer dies of SIGPIPE (pipefail)
edf="${edfs[0]}"
for loc in C "$de"; do
  LC_ALL=$loc "$clef" tokenize "$edf" -w "$work/$de/w.safetensors" -o "$work/tok_$loc.npy" \
    > /dev/null
done
cmp "$work/tok_C.npy" "$work/tok_$de.npy"
grep -q "^mean," "$work/$de/results.csv"
echo "cli locale: synth, train-tokenizer, evaluate --out: identical bytes under C and $de; loaded back"
