# align_store.sh — sourced by the aligner's CLI tests (cli_align_e2e.sh, cli_report.sh,
# tests/dist/cli_align_dist.sh): a store of the tests' session-mean cohort, tokenized, with a
# tiny encoder pretrained on it (2 steps) as WORK/enc.safetensors; its sessions are not
# embedded yet (align_store_embedded embeds them).
# Usage: align_store CLEF FIXTURE_DIR WORK_DIR
align_store() {
  local clef="$1" fix="$2" work="$3"
  "$clef" ingest "$fix/coh_mean" --store "$work/s.db" > /dev/null 2>&1
  "$clef" tokenize --store "$work/s.db" -w "$fix/wm.safetensors" > /dev/null 2>&1
  "$clef" pretrain --store "$work/s.db" -w "$fix/wm.safetensors" -o "$work/enc.safetensors" \
    --steps 2 --d-model 16 --layers 1 --heads 2 --d-ff 32 --embed-dim 12 --batch 2 \
    --crop-cols 24 --quiet > /dev/null 2>&1
}

# The same store with every session embedded by that encoder (clef embed --store).
align_store_embedded() {
  align_store "$@"
  "$1" embed --store "$3/s.db" -w "$3/enc.safetensors" -t "$2/wm.safetensors" --quiet > /dev/null
}
