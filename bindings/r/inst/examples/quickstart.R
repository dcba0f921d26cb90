# libclef from R in a few lines (docs/r-quickstart.md). Run: Rscript quickstart.R
library(clef)

cat("libclef", clef_version(), "ABI", clef_abi_version(), "\n")

ctx <- clef_ctx_create()          # an external pointer, freed by a finalizer or clef_ctx_free()
params <- clef_params_create(ctx, clef_const("CLEF_PARAMS_COHORT"))
clef_param_set(params, "cohort.seed", 1234)
cat("seed =", clef_param_get(params, "cohort.seed"), "\n")

# Failures are conditions of class clef_error_<status>, clef_error, error.
res <- tryCatch(clef_param_set(params, "cohort.n_patients", 0),
                clef_error_range = function(e) conditionMessage(e))
cat("refused:", res, "\n")
clef_params_free(params)

# A session is one thread's call state: worker threads, reused scratch, the last error.
session <- clef_session_create(ctx, 2L)
cat("threads on the session:", clef_session_n_threads(session), "\n")

# Signals are numeric matrices of channels x samples.
if (exists("clef_spectrogram_create")) {
  tt <- seq(0, 30 - 1 / 200, by = 1 / 200)             # 30 s at 200 Hz
  x <- rbind(10 * sin(2 * pi * 6 * tt), 10 * sin(2 * pi * 10 * tt))
  sg <- clef_spectrogram_create(ctx, NULL)             # CLEF defaults
  s <- clef_spectrogram_matrix(sg, x, session)         # [channels, frequencies, frames]
  freqs <- clef_spectrogram_freqs(sg, dim(s)[2])$out
  cat("spectrogram", dim(s), "peaks at", freqs[apply(s[, , 1], 1, which.max)], "Hz\n")
  res <- tryCatch(clef_spectrogram_matrix(sg, x[, 1:100], session),  # shorter than a window
                  clef_error_shape = function(e) clef_session_errmsg(session))
  cat("refused:", res, "\n")                           # a call's error is on its session
  clef_spectrogram_free(sg)
}
clef_session_free(session)
clef_ctx_free(ctx)
