#!/usr/bin/env bash
# The examples as a user runs them, checked against the clef command (ctest: examples_run).
#   usage: check_examples.sh BIN_DIR CLEF_CLI TEST_DATA_DIR WORK_DIR
# tokenize_file must write the same ids as `clef tokenize` on the same file and weights;
# embed_file must print clef embed's values; stream_spectrogram must emit one frame per second
# after the first 4 s window.
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
# embed_file must print the first values `clef embed` writes, with a tiny encoder pretrained
# (one step) on a small synthetic cohort over the same tokenizer
"$cli" synth -o "$work/coh" --patients 3 --sessions 1 --minutes 1 --seed 3 --quiet
"$cli" pretrain "$work/coh" -w "$w" -o "$work/enc.safetensors" --steps 1 --d-model 16 \
  --layers 1 --heads 2 --d-ff 32 --embed-dim 8 --batch 2 > /dev/null 2>&1
ex=$("$bin/example_embed_file" "$w" "$work/enc.safetensors" "$edf")
"$cli" embed "$edf" -w "$work/enc.safetensors" -t "$w" -o "$work/emb.npy" > /dev/null
want=$(payload "$work/emb.npy" | od -An -tf4 -N12 -v | xargs printf "%.6f %.6f %.6f")
echo "$ex" | grep -qF "8-d embedding [$want ...]" ||
  { echo "example_embed_file ($ex) and clef embed ($want) disagree" >&2; exit 1; }
out=$("$bin/example_stream_spectrogram" 12)
echo "$out" | tail -2
echo "$out" | grep -q "^9 frames from 12.0 s of input$" || { echo "unexpected frame count" >&2; exit 1; }
echo "examples: tokenize_file == clef tokenize; embed_file == clef embed; stream_spectrogram 9 frames"
