#!/usr/bin/env bash
# bench/clinical/run.sh — libclef and scikit-learn on the same probing workload, one thread each,
# in one run: prints both times, the ratio, and the probability and AUROC differences.
# usage: bench/clinical/run.sh [BUILD_DIR] [PYTHON]   (OPENBLAS_CORETYPE is passed through)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build/release}
py=${2:-${PYTHON:-python3}}
dir=${BENCH_DIR:-$(mktemp -d)}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
[ -f "$dir/y.npy" ] || "$py" "$here/probe_sklearn.py" gen "$dir"
clef_out=$("$build/bench/clinical/bench_clinical" "$dir" --c 1.0)
grep -v '^CLEF_SECONDS' <<<"$clef_out"
sk_out=$("$py" "$here/probe_sklearn.py" compare "$dir" --c 1.0)
grep -v '^SKLEARN_SECONDS' <<<"$sk_out"
# first runs on both sides; CPU time too, since on a shared machine it is the one thread's work
read -r t_c c_c < <(sed -n 's/^CLEF_SECONDS //p' <<<"$clef_out")
read -r t_def c_def t_tight c_tight < <(sed -n 's/^SKLEARN_SECONDS //p' <<<"$sk_out")
awk -v c="$t_c" -v a="$t_def" -v b="$t_tight" -v cc="$c_c" -v ca="$c_def" -v cb="$c_tight" 'BEGIN {
  printf "bench_clinical: libclef %.3f s (CPU %.3f s); speed-up %.1fx (CPU %.1fx) over sklearn lbfgs defaults, %.1fx (CPU %.1fx) over lbfgs converged\n", c, cc, a / c, ca / cc, b / c, cb / cc }'
