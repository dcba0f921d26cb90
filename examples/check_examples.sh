#!/usr/bin/env bash
# The examples as a user runs them, checked against the clef command (ctest: examples_run).
#   usage: check_examples.sh BIN_DIR CLEF_CLI TEST_DATA_DIR WORK_DIR
# tokenize_file must write the same ids as `clef tokenize` on the same file and weights;
# stream_spectrogram must emit one frame per second after the first 4 s window.
set -euo pipefail
bin="$1" cli="$2" data="$3" work="$4"
mkdir -p "$work"
w="$data/golden/model/tok_real_weights.safetensors"
edf="$data/test_subsecond.edf"
"$bin/example_tokenize_file" "$w" "$edf" "$work/example.npy" 2
"$cli" tokenize "$edf" -w "$w" -o "$work/cli.npy" --dtype int32 > /dev/null
# payloads after the .npy headers (header length: little-endian u16 at byte 8, v1.0)
payload() { local f="$1" h; h=$(od -An -tu2 -j8 -N2 "$f" | tr -d ' '); tail -c +$((10 + h + 1)) "$f"; }
if ! cmp -s <(payload "$work/example.npy") <(payload "$work/cli.npy"); then
  echo "example_tokenize_file and clef tokenize disagree" >&2
  exit 1
fi
out=$("$bin/example_stream_spectrogram" 12)
echo "$out" | tail -2
echo "$out" | grep -q "^9 frames from 12.0 s of input$" || { echo "unexpected frame count" >&2; exit 1; }
echo "examples: tokenize_file == clef tokenize; stream_spectrogram 9 frames"
