#!/usr/bin/env bash
# Session encoder quality (issue 19 item 7; docs/encoder.md "Quality"), end to end through the
# clef program on synthetic cohorts:
#   bench/encoder/quality.sh BUILD_DIR WORK_DIR [TRAIN_PATIENTS] [EVAL_PATIENTS] [MINUTES]
#                            [THREADS] [TOK_STEPS] [ENC_STEPS]
# 1. a training cohort (seed 31): train a session-mean tokenizer (TOK_STEPS steps) and pretrain
#    the encoder (ENC_STEPS steps) on its train split, validation on its val split (masked-token
#    accuracy beside the unigram and copy-nearest baselines);
# 2. two fresh cohorts (seeds 41, 43; never used for training): ingest, tokenize, embed, and
#    probe (a) band power, (b) the bag-of-tokens histogram, (c) the encoder: per task AUROC
#    with bootstrap CIs (CSV per model and cohort), then mean AUROC over all tasks and per
#    category (dis_, med_, feat_) side by side.
# Build with -DCLEF_BUILD_BENCH=ON. Prints the machine and the CPU time of each stage.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "${1:?build dir (configured with -DCLEF_BUILD_BENCH=ON)}" && pwd)"
work=${2:?work dir}
train_n=${3:-300}
eval_n=${4:-300}
minutes=${5:-5}
threads=${6:-2}
tok_steps=${7:-1500}
enc_steps=${8:-1500}
clef="$build/tools/cli/clef"
bag="$build/bench/encoder/bench_bag_tokens"
mkdir -p "$work"
cd "$work"
"$clef" build-info | grep -E "cpu|blas|CPU|BLAS" || true
t() { /usr/bin/time -f "  [%C: %e s wall, %U s user, %M KB]" "$@"; }
# 1. training cohort, tokenizer, encoder
[ -f train/manifest.csv ] || t "$clef" synth -o train --patients "$train_n" --sessions 1 \
  --minutes "$minutes" --seed 31 --quiet
[ -f tok.safetensors ] || t "$clef" train-tokenizer train -o tok.safetensors --steps "$tok_steps" \
  --threads "$threads" --log-every 100 --channel-dropout 0.3 --disc-ndf 0 ${TOK_ARGS:-}
"$clef" ingest train --store train.db > /dev/null
t "$clef" tokenize --store train.db -w tok.safetensors --threads "$threads" > /dev/null
[ -f enc.safetensors ] || t "$clef" pretrain --store train.db -w tok.safetensors \
  -o enc.safetensors --steps "$enc_steps" --threads "$threads" --log-every 100 \
  --val-every 250 ${ENC_ARGS:-}
# 2. fresh cohorts
for seed in 41 43; do
  d="eval$seed"
  [ -f "$d/manifest.csv" ] || t "$clef" synth -o "$d" --patients "$eval_n" --sessions 2 \
    --minutes "$minutes" --seed "$seed" --quiet
  "$clef" ingest "$d" --store "$d.db" > /dev/null
  t "$clef" tokenize --store "$d.db" -w tok.safetensors --threads "$threads" > /dev/null
  t "$clef" embed --store "$d.db" -w enc.safetensors -t tok.safetensors --threads "$threads" \
    --quiet > /dev/null
  hash=$("$bag" tok.safetensors "$d.db")
  for m in bandpower "$hash" enc.safetensors; do
    name=$(case "$m" in bandpower) echo bandpower ;; enc.safetensors) echo encoder ;;
      *) echo bag_of_tokens ;; esac)
    "$clef" evaluate --store "$d.db" --model "$m" -o "$d.$name.csv" > /dev/null 2>&1
  done
  echo "cohort seed $seed ($eval_n patients, $minutes min sessions): mean test AUROC"
  bash "$here/../../tools/auroc_summary.sh" bandpower="$d.bandpower.csv" \
    bag_of_tokens="$d.bag_of_tokens.csv" encoder="$d.encoder.csv"
done
