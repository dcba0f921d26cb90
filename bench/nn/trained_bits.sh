#!/usr/bin/env bash
# bench/nn/trained_bits.sh CLEF [WORKDIR]: train a small tokenizer, encoder and aligner with the
# clef program CLEF on a fixed 60-patient cohort and print their SHA-256s. A kernel change that
# claims to keep the trained bits must print the same three lines before and after, with 1 and
# with 2 threads (run it twice with CLEF_BITS_THREADS=1 and 2). OpenBLAS's kernel family is
# pinned as in tools/train_default_models.sh. About 2 minutes on 2 cores.
set -euo pipefail
clef="$(realpath "$1")"
work="${2:-$(mktemp -d)}"
threads=(--threads "${CLEF_BITS_THREADS:-$(nproc)}")
if grep -q avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX; else export OPENBLAS_CORETYPE=Haswell; fi
mkdir -p "$work" && cd "$work"
[ -f c/manifest.csv ] || "$clef" synth -o c --patients 60 --sessions 1 --minutes 5 --seed 5 --quiet
[ -f c.db ] || "$clef" ingest c --store c.db > /dev/null
rm -f tok.safetensors enc.safetensors al.safetensors
"$clef" train-tokenizer c -o tok.safetensors --steps 20 --disc-ndf 0 --mean-tokens 32 --log-every 1000 "${threads[@]}" > /dev/null 2>&1
"$clef" tokenize --store c.db -w tok.safetensors "${threads[@]}" > /dev/null
# head width 32, as the shipped encoder's: the attention's AVX-512 tile kernels take it (16 not)
"$clef" pretrain --store c.db -w tok.safetensors -o enc.safetensors --steps 30 --d-model 64 \
  --layers 2 --heads 2 --d-ff 64 --embed-dim 32 --quiet "${threads[@]}" > /dev/null
"$clef" embed --store c.db -w enc.safetensors -t tok.safetensors --quiet "${threads[@]}" > /dev/null
"$clef" align --store c.db -w enc.safetensors -o al.safetensors --steps 10 --quiet \
  "${threads[@]}" > /dev/null
sha256sum tok.safetensors enc.safetensors al.safetensors
