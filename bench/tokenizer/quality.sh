#!/usr/bin/env bash
# Tokenizer reconstruction quality (issue 8, item 3; docs/tokenizer.md "Measured quality").
#   bench/tokenizer/quality.sh BUILD_DIR WORK_DIR [STEPS] [THREADS] [PATIENTS] [SEED]
# 1. clef synth: PATIENTS (default 300) synthetic patients, 20-minute sessions, seed SEED
#    (default 23; its splits.csv gives the train / val / test subjects);
# 2. clef train-tokenizer on the train split: the default architecture (1,024 x 32 codes),
#    STEPS (default 13000) batches of 8 random 128 x 80 crops, lr 1e-3 with 300 warmup steps
#    and a cosine decay to 1e-5 at the last step, no PatchGAN (--disc-ndf 0: the L1 target of
#    the issue; docs/tokenizer.md), the grid alone (--mean-tokens 0), THREADS (2) ->
#    tok_full.safetensors; then 1,500 more steps
#    from its checkpoint at a constant lr 1e-4 with --channel-dropout 0.3 (missing electrodes,
#    masked loss) -> tok_masked.safetensors; and, from stage 1's checkpoint again, 4,500 steps
#    with the mean-power loss (--power-weight: 600 steps at weight 10, lr 6e-3 on a cosine to
#    step STEPS + 3000, then weight 20 on a cosine from 3.2e-3 ending at the last step; both
#    start near 5e-4) -> tok_power.safetensors (docs/tokenizer.md "Downstream check"); and,
#    from stage 1's checkpoint again, 3,000 steps with 128 session-mean tokens fitted to the
#    training sessions and to the mean power spectra of 3 x 450 more synthetic patients (seeds
#    29, 31, 37: clef session-means, each chunk's recordings deleted once read, about 3 min and
#    8 GB of disk at a time; --mean-tokens 128 --mean-fit, lr 5e-4 on a cosine to 1e-5) ->
#    tok_mean.safetensors,
#    the default layout (docs/tokenizer.md "Session-mean tokens"); then 1,500 more steps from
#    its checkpoint with --power-weight 10 (lr 3e-4 on a cosine to 1e-5) -> tok_mean_pw; then
#    600 more steps from its checkpoint at a constant lr 3e-4 with --power-weight 10 and
#    --channel-dropout 0.5 --channel-lone 0.5 (half the crops lose channels, half of those keep
#    one: montages down to a single channel) -> tok_mean_lone, the recommended tokenizer.
#    Every stage resumes from its checkpoint when the script is rerun after an interruption;
# 3. bench_tok_quality for both on the held-out (val + test) sessions, whole and with
#    electrodes removed, and on the real EEG file of tests/data: MAE beside the training-mean
#    and session-time-mean references, the noise floor, codebook usage. Prints `uptime` before
#    and after training: the machine may be shared.
set -euo pipefail
build="$(cd "${1:?build dir (configured with -DCLEF_BUILD_BENCH=ON)}" && pwd)"
work=${2:?work dir}
steps=${3:-13000}
threads=${4:-2}
patients=${5:-300}
seed=${6:-23}
root="$(cd "$(dirname "$0")/../.." && pwd)"
clef="$build/tools/cli/clef"
bench="$build/bench/tokenizer/bench_tok_quality"
mkdir -p "$work"
cd "$work"
[ -f coh/manifest.csv ] || "$clef" synth -o coh --patients "$patients" --seed "$seed" \
    --threads "$threads" --quiet
# subject -> split, then the manifest's paths by split
awk -F, 'NR == FNR { if (FNR > 1) split_of[$1] = $2; next }
         FNR > 1 { print "coh/" $3 > (split_of[$2] == "train" ? "train.txt" : "heldout.txt") }' \
    coh/splits.csv coh/manifest.csv
echo "train sessions: $(wc -l < train.txt), held-out sessions: $(wc -l < heldout.txt)"
echo "load before training: $(uptime)"
# train OUT CKPT_IN STEPS OPTIONS...: one stage, resumed from OUT.ckpt (or CKPT_IN) if present
train() {
  local out=$1 from=$2 n=$3
  shift 3
  [ -f "$out" ] && return 0
  local resume=()
  if [ -f "$out.ckpt" ]; then resume=(--resume "$out.ckpt")
  elif [ -n "$from" ]; then resume=(--resume "$from"); fi
  /usr/bin/time -v "$clef" train-tokenizer coh -o "$out" --checkpoint "$out.ckpt" --steps "$n" \
    --threads "$threads" --log-every 100 --checkpoint-every 500 --disc-ndf 0 --seed 1 \
    "${resume[@]}" "$@" 2>> "$out.log" || { tail -20 "$out.log"; exit 1; }
  grep -E "^step .*000/|Elapsed|Maximum resident" "$out.log"
}
train tok_full.safetensors "" "$steps" --cosine-steps "$steps" --warmup 300 --lr 1e-3 --lr-min 1e-5 \
  --mean-tokens 0
train tok_masked.safetensors tok_full.safetensors.ckpt $((steps + 1500)) --lr 1e-4 \
  --channel-dropout 0.3
train tok_power_a.safetensors tok_full.safetensors.ckpt $((steps + 600)) --lr 6e-3 \
  --cosine-steps $((steps + 3000)) --lr-min 1e-5 --power-weight 10
train tok_power.safetensors tok_power_a.safetensors.ckpt $((steps + 4500)) --lr 3.2e-3 \
  --cosine-steps $((steps + 4500)) --lr-min 1e-5 --power-weight 20
# the session-mean coder's fit set: the principal axes want many more sessions than the network
for s in 29 31 37; do
  [ -f "fit_$s.npy" ] && continue
  rm -rf fit_coh
  "$clef" synth -o fit_coh --patients 450 --seed "$s" --threads "$threads" --quiet
  find fit_coh/edf -type f | sort > fit_list.txt
  "$clef" session-means -o "fit_$s.npy" --threads "$threads" --list fit_list.txt
  rm -rf fit_coh fit_list.txt
done
train tok_mean.safetensors tok_full.safetensors.ckpt $((steps + 3000)) --lr 5e-4 \
  --cosine-steps $((steps + 3000)) --lr-min 1e-5 --mean-tokens 128 \
  --mean-fit fit_29.npy --mean-fit fit_31.npy --mean-fit fit_37.npy
train tok_mean_pw.safetensors tok_mean.safetensors.ckpt $((steps + 4500)) --lr 3e-4 \
  --cosine-steps $((steps + 4500)) --lr-min 1e-5 --power-weight 10
train tok_mean_lone.safetensors tok_mean_pw.safetensors.ckpt $((steps + 5100)) --lr 3e-4 \
  --power-weight 10 --channel-dropout 0.5 --channel-lone 0.5
echo "load after training: $(uptime)"
for w in tok_full tok_masked tok_power tok_mean tok_mean_pw tok_mean_lone; do
  echo "== $w"
  "$bench" "$w.safetensors" train.txt heldout.txt "$root/tests/data/test_subsecond.edf"
done
