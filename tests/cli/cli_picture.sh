#!/usr/bin/env bash
# clef's pictures, decoded by Pillow (tests/cli/check_picture.py): spectrograms of a 2-minute
# and a 20-minute synthetic session, a 2,500 s 3-channel .npy (frames averaged into pixels) and
# the real EDF file of the cli_spectrogram fixture, each within its size bound; the tokenizer's
# reconstruction picture decodes.
# Usage: cli_picture.sh CLEF_BINARY PYTHON CLI_OUT_DIR TOK_OUT_DIR
set -euo pipefail
clef="$1"
py="$2"
cli_out="$3"
tok_out="$4"
check="$(dirname "$0")/check_picture.py"
work="$(mktemp -d /tmp/clef_cli_picture_XXXXXX)"
trap 'rm -rf "$work"' EXIT
for s in 120 1200; do
  "$clef" synth -o "$work/c$s" --patients 1 --sessions 1 --seconds "$s" --seed 5 --quiet
  edfs=("$work/c$s"/edf/*)
  "$clef" spectrogram "${edfs[0]}" -o "$work/s$s.npy" --png "$work/s$s.png" --threads 2 > /dev/null
done
"$py" "$check" "$work/s120.png" "$work/s120.npy" 300000
"$py" "$check" "$work/s1200.png" "$work/s1200.npy" 1500000
"$py" -c "import numpy as np, sys; r = np.random.default_rng(1); \
np.save(sys.argv[1], (20 * r.standard_normal((3, 200 * 2500))).astype(np.float32))" "$work/x.npy"
"$clef" spectrogram "$work/x.npy" -o "$work/xs.npy" --png "$work/x.png" --threads 2 > /dev/null
"$py" "$check" "$work/x.png" "$work/xs.npy" 1500000
"$py" "$check" "$cli_out/subsecond.png" "$cli_out/subsecond.npy" 300000
"$py" - "$tok_out/recon.png" << 'PY'
import sys
from PIL import Image
im = Image.open(sys.argv[1])
im.load()
assert im.mode == "P" and im.size[0] > 2 * 351 and im.size[1] > 19 * 128, (im.mode, im.size)
PY
echo "cli picture: PNGs decode, cells, axes and colour bar as drawn, sizes within bounds"
