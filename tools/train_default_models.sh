#!/usr/bin/env bash
# Rebuild the shipped default models (models/*.safetensors; model cards in docs/models.md) from
# nothing, through the clef program:
#   tools/train_default_models.sh [WORK_DIR]     (default build/default-models)
# 1. a training cohort (seed 31: 300 patients x 1 session x 5 min): tokenizer (400 steps) and
#    session encoder (800 steps) on its train split, held-out checks on its val split;
# 2. an alignment cohort (seed 33: 800 patients x 1 x 5 min): its sessions embedded, the
#    clinical aligner trained on its train split (400 steps) while it fine-tunes the encoder
#    (--finetune-encoder, masked-token loss kept), retrieval on its val split;
# 3. F16 copies into models/ (clef convert), each naming the SHA-256 of the model it depends
#    on: encoder.safetensors (the fine-tuned encoder) and encoder-pretrained.safetensors (the
#    masked-token pretrained one it started from) -> tokenizer, aligner -> encoder.
# Deterministic: every trainer draws from its seed only and gives the same bits on any thread
# count; OpenBLAS's kernel family is pinned (OPENBLAS_CORETYPE=SkylakeX when the CPU has
# AVX-512, else Haswell) because another kernel rounds differently. About 45 min on 2 cores.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$root/build/default-models}"
clef="$root/build/release/tools/cli/clef"
[ -x "$clef" ] || { echo "build first: cmake -S . -B build/release && cmake --build build/release"; exit 1; }
if grep -q avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX; else export OPENBLAS_CORETYPE=Haswell; fi
threads=(--threads "$(nproc)")
mkdir -p "$work" && cd "$work"
t() { /usr/bin/time -f "  [%e s wall, %U s user: %C]" "$@"; }
"$clef" build-info
# 1. tokenizer and encoder
[ -f train/manifest.csv ] || t "$clef" synth -o train --patients 300 --sessions 1 --minutes 5 \
  --seed 31 --quiet
[ -f train.db ] || "$clef" ingest train --store train.db > /dev/null
[ -f tok.safetensors ] || t "$clef" train-tokenizer train -o tok.safetensors --steps 400 \
  --channel-dropout 0.3 --disc-ndf 0 --log-every 100 "${threads[@]}"
t "$clef" tokenize --store train.db -w tok.safetensors "${threads[@]}" > /dev/null
[ -f enc.safetensors ] || t "$clef" pretrain --store train.db -w tok.safetensors \
  -o enc.safetensors --steps 800 --d-model 128 --layers 4 --heads 4 --d-ff 512 --embed-dim 512 \
  --lr 1e-3 --val-every 400 --log-every 100 "${threads[@]}"
# 2. aligner
[ -f align/manifest.csv ] || t "$clef" synth -o align --patients 800 --sessions 1 --minutes 5 \
  --seed 33 --quiet
[ -f align.db ] || "$clef" ingest align --store align.db > /dev/null
t "$clef" tokenize --store align.db -w tok.safetensors "${threads[@]}" > /dev/null
t "$clef" embed --store align.db -w enc.safetensors -t tok.safetensors "${threads[@]}" --quiet
[ -f al.safetensors ] || t "$clef" align --store align.db -w enc.safetensors -o al.safetensors \
  --finetune-encoder encft.safetensors --steps 400 --log-every 100 "${threads[@]}"
# 3. F16 copies, each naming its dependency's (F16) SHA-256
out="$root/models"
mkdir -p "$out"
"$clef" convert tok.safetensors -o "$out/tokenizer.safetensors"
tsha=$(sha256sum "$out/tokenizer.safetensors" | cut -c1-64)
"$clef" convert enc.safetensors -o "$out/encoder-pretrained.safetensors" \
  --set-meta "clef.enc.tokenizer_sha256=$tsha"
"$clef" convert encft.safetensors -o "$out/encoder.safetensors" \
  --set-meta "clef.enc.tokenizer_sha256=$tsha"
esha=$(sha256sum "$out/encoder.safetensors" | cut -c1-64)
"$clef" convert al.safetensors -o "$out/aligner.safetensors" \
  --set-meta "clef.align.encoder_sha256=$esha"
sha256sum "$out"/*.safetensors
du -ch "$out"/*.safetensors | tail -n 1
