#!/usr/bin/env bash
# Time a 20-minute, 19-channel spectrogram (200 Hz, default settings, a 1-thread session) from R
# and Python in the same run, and print the ratios R / Python:
#   R new: spectrogram(x) on a samples x channels matrix (src/idiom.c writes the frames x freqs x
#          channels array in R's layout: no transpose);
#   R old: clef_spectrogram_matrix(sg, x) on a channels x samples matrix (t() and aperm());
#   Python: Spectrogram.compute() on a float32 (19, n) array.
# Each is the median of REPS calls after one warm-up, on the same random signal; the peak RSS of
# each process is printed too.
#   usage: bench/bindings/spectrogram_r_vs_py.sh [REPS]
# Needs the R package installed (R_LIBS) and the Python package importable (PYTHON, default
# build/venv/bin/python; with PYTHONPATH=bindings/python and CLEF_LIBRARY when not installed).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
reps="${1:-7}"
py="${PYTHON:-$root/build/venv/bin/python}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# the machine first: CPU model, ISA and the BLAS kernel (the clef program's build-info)
echo "machine: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(nproc) CPUs"
"$root/build/release/tools/cli/clef" build-info 2> /dev/null | grep -iE "^(cpu|blas)" || true

# the signal, shared: float32 little-endian, channel-major (19 rows of 240,000 samples)
"$py" - "$tmp/x.f32" <<'PYEOF'
import sys
import numpy as np
rng = np.random.default_rng(1)
x = (rng.standard_normal((19, 20 * 60 * 200)) * 20).astype("<f4")
x.tofile(sys.argv[1])
PYEOF

py_out=$("$py" - "$tmp/x.f32" "$reps" <<'PYEOF'
import sys, time
import numpy as np
import clef
x = np.fromfile(sys.argv[1], dtype="<f4").reshape(19, -1)
reps = int(sys.argv[2])
ctx = clef.Context()
s = clef.Session(ctx, 1)
sg = clef.Spectrogram(ctx)
sg.compute(x, s, fs=200.0)
t = []
for _ in range(reps):
    t0 = time.perf_counter()
    sg.compute(x, s, fs=200.0)
    t.append(time.perf_counter() - t0)
import resource
print(f"{np.median(t):.6f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
PYEOF
)

r_out=$(Rscript --vanilla - "$tmp/x.f32" "$reps" <<'REOF'
suppressPackageStartupMessages(library(clef))
a <- commandArgs(TRUE)
reps <- as.integer(a[[2L]])
n <- 20 * 60 * 200
v <- readBin(a[[1L]], "double", n = 19 * n, size = 4L, endian = "little")
x <- matrix(v, nrow = n, ncol = 19L, dimnames = list(NULL, clef_canonical_channels()))
attr(x, "fs") <- 200
xt <- t(x) # the old layout, channels x samples (prepared outside the timing)
s <- new_session(1L)
ctx <- clef_ctx_create()
sg <- clef_spectrogram_create(ctx, NULL)
fs <- list(new_sg = function() spectrogram(x, sg = sg, session = s),
           new_settings = function() spectrogram(x, session = s),
           old = function() clef_spectrogram_matrix(sg, xt, s))
for (f in fs) f() # warm-up
# the three interleaved, so that a slower phase of a shared machine hits them alike
t <- vapply(seq_len(reps), function(i) vapply(fs, function(f) {
  t0 <- proc.time()[["elapsed"]]
  f()
  proc.time()[["elapsed"]] - t0
}, 0), numeric(3L))
med <- apply(t, 1L, stats::median)
new_sg <- med[["new_sg"]]
new_settings <- med[["new_settings"]]
old <- med[["old"]]
stopifnot(identical(unname(unclass(spectrogram(x, sg = sg, session = s))[, , 1L]),
                    t(clef_spectrogram_matrix(sg, xt, s)[1L, , ])))
hwm <- sub("^VmHWM:[[:space:]]*([0-9]+).*", "\\1",
           grep("^VmHWM:", readLines("/proc/self/status"), value = TRUE))
cat(sprintf("%.6f %.6f %.6f %.0f\n", new_sg, new_settings, old, as.numeric(hwm) / 1024))
REOF
)
read -r py_s py_rss <<< "$py_out"
read -r r_new r_new_settings r_old r_rss <<< "$r_out"
echo "20-minute 19-channel spectrogram (200 Hz, 1197 frames x 128 freqs), median of $reps"
row() { awk -v n="$1" -v t="$2" -v p="$py_s" \
  'BEGIN { printf "  %-44s %8.1f ms  ratio %.2f\n", n, t * 1000, t / p }'; }
row "Python Spectrogram.compute()" "$py_s"
row "R spectrogram(x, sg = sg) (new)" "$r_new"
row "R spectrogram(x) (new, builds its sg)" "$r_new_settings"
row "R clef_spectrogram_matrix() (old)" "$r_old"
echo "  peak RSS: Python process $py_rss MiB, R process (all three) $r_rss MiB"
