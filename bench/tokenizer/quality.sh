#!/usr/bin/env bash
# Tokenizer reconstruction quality (issue 8, item 3; docs/tokenizer.md "Measured quality").
#   bench/tokenizer/quality.sh BUILD_DIR WORK_DIR [STEPS] [THREADS]
# 1. clef synth: 40 synthetic patients, 20-minute sessions, seed 7 (its splits.csv gives the
#    train / val / test subjects);
# 2. clef train-tokenizer on the train split: the default architecture (1,024 x 32 codes),
#    STEPS (default 1800) batches of 8 random 128 x 80 crops, no PatchGAN (--disc-ndf 0: the
#    adversarial term starts at step 2000 by default, beyond this budget), THREADS (2);
# 3. bench_tok_quality on the held-out (val + test) sessions and the real EEG files of
#    tests/data: MAE beside the training-mean and session-time-mean references, the noise
#    floor, codebook usage. Prints `uptime` before and after: the machine is shared.
set -euo pipefail
build="$(cd "${1:?build dir (configured with -DCLEF_BUILD_BENCH=ON)}" && pwd)"
work=${2:?work dir}
steps=${3:-1800}
threads=${4:-2}
root="$(cd "$(dirname "$0")/../.." && pwd)"
clef="$build/tools/cli/clef"
bench="$build/bench/tokenizer/bench_tok_quality"
mkdir -p "$work"
cd "$work"
[ -f coh/manifest.csv ] || "$clef" synth -o coh --patients 40 --seed 7 --quiet
# subject -> split, then the manifest's paths by split
awk -F, 'NR == FNR { if (FNR > 1) split_of[$1] = $2; next }
         FNR > 1 { print "coh/" $3 > (split_of[$2] == "train" ? "train.txt" : "heldout.txt") }' \
    coh/splits.csv coh/manifest.csv
echo "train sessions: $(wc -l < train.txt), held-out sessions: $(wc -l < heldout.txt)"
echo "load before training: $(uptime)"
if [ ! -f tok.safetensors ]; then
  /usr/bin/time -v "$clef" train-tokenizer coh -o tok.safetensors --steps "$steps" \
    --threads "$threads" --log-every 50 --checkpoint-every 200 --disc-ndf 0 --seed 1 \
    2> train.log || { tail -20 train.log; exit 1; }
  grep -E "^step .*00/|Elapsed|Maximum resident" train.log
fi
echo "load after training: $(uptime)"
"$bench" tok.safetensors train.txt heldout.txt "$root/tests/data/test_subsecond.edf"
