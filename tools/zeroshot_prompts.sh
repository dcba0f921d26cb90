# zeroshot_prompts.sh — sourced by the main command (tools/run_main.sh) and the zero-shot
# benchmarks (bench/aligner/run.sh, bench/models/measure.sh).
# prompts: one text prompt per feat_ task of the synthetic cohort, as TASK:TEXT or
# TASK:TEXT|VERSUS (scored cos(TEXT) - cos(VERSUS), clef zeroshot --versus).
# shellcheck disable=SC2034 # used by the scripts that source it
# Chosen on a development cohort (clef synth --seed 61, 400 patients x 5 min) that no reported
# figure uses: the descriptive phrasings of generalized slowing and triphasic waves scored
# .865 and .709 there against .681 and .481 for the short ones; other rephrasings of the focal
# findings gained nothing. The abnormal finding is scored against its counterpart (the
# two-class form of CLIP's zero-shot): alone, "abnormal EEG" and "normal EEG" both land nearest
# the normal sessions' short verdicts (docs/aligner.md "Prompts"). With the coefficient pooling (2026-12-07) the
# focal findings gained from their location on the same cohort: "focal slowing over the
# temporal region" .828 against .418 for "focal slowing", "focal epileptiform discharges over
# the temporal region" .852 against .790 (the reports name the side and the temporal region).
# And "abnormal background" against "normal background" .731 there, where "abnormal EEG"
# against "normal EEG" had fallen to .543 with the retrained aligner.
prompts=("feat_focal_slowing:focal slowing over the temporal region"
  "feat_generalized_slowing:diffuse generalized slowing of the background"
  "feat_triphasic_waves:generalized periodic discharges with triphasic morphology"
  "feat_focal_epileptiform:focal epileptiform discharges over the temporal region"
  "feat_generalized_epileptiform:generalized spike and wave discharges"
  "feat_excess_beta:excess beta activity" "feat_drowsiness_sleep:drowsiness and sleep spindles"
  "feat_burst_suppression:burst suppression" "feat_slow_pdr:slow posterior dominant rhythm"
  "feat_abnormal:abnormal background|normal background")

# zeroshot_all CLEF STORE ENCODER ALIGNER: each prompt's zero-shot AUROC over all labelled
# sessions of its task, then their mean (over the tasks whose labels hold both classes).
zeroshot_all() {
  local clef=$1 db=$2 enc=$3 al=$4 pt text line sum=0 n=0 versus
  for pt in "${prompts[@]}"; do
    text=${pt#*:} versus=()
    [[ $text == *"|"* ]] && versus=(--versus "${text#*|}") && text=${text%%|*}
    if ! line=$("$clef" zeroshot --store "$db" -w "$enc" -a "$al" "$text" "${versus[@]}" \
      --task "${pt%%:*}" --split all); then
      echo "  ${pt%%:*}: no zero-shot AUROC (its labelled sessions lack a class)"
      continue
    fi
    echo "  $line"
    sum=$(awk -v s="$sum" -v l="$line" 'BEGIN { split(l, a, "AUROC "); split(a[2], b, " ");
      printf "%.6f", s + b[1] }')
    n=$((n + 1))
  done
  awk -v s="$sum" -v n="$n" \
    'BEGIN { if (n > 0) printf "  mean zero-shot AUROC over %d feat_ tasks: %.4f\n", n, s / n }'
}
