#!/usr/bin/env bash
# Mean test AUROC over all tasks and per category (dis_, med_, feat_) of `clef evaluate -o` CSVs,
# one row per model: auroc_summary.sh NAME=FILE.csv [NAME=FILE.csv ...]
set -euo pipefail
printf "  %-16s %8s %8s %8s %8s\n" model all dis_ med_ feat_
for arg in "$@"; do
  awk -F, -v name="${arg%%=*}" '$9 == "ok" && $1 != "mean" {
      a += $5; n++; p = substr($1, 1, index($1, "_"));
      s[p] += $5; c[p]++ }
    function m(x, k) { return k > 0 ? sprintf("%8.4f", x / k) : "       -" }
    END { printf "  %-16s %s %s %s %s\n", name, m(a, n), m(s["dis_"], c["dis_"]),
          m(s["med_"], c["med_"]), m(s["feat_"], c["feat_"]) }' "${arg#*=}"
done
