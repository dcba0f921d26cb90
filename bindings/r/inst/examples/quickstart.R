# libclef from R in a few lines (docs/r-quickstart.md). Run: Rscript quickstart.R
library(clef)

cat("libclef", clef_version(), "ABI", clef_abi_version(), "\n")

ctx <- clef_ctx_create()          # an external pointer, freed by a finalizer or clef_ctx_free()
clef_ctx_set_n_threads(ctx, 2L)
params <- clef_params_create(ctx, clef_const("CLEF_PARAMS_CORE"))
clef_param_set(params, "seed", 1234)
cat("seed =", clef_param_get(params, "seed"), "\n")

# Failures are conditions of class clef_error_<status>, clef_error, error.
res <- tryCatch(clef_param_set(params, "n_threads", 0),
                clef_error_range = function(e) conditionMessage(e))
cat("refused:", res, "\n")

clef_params_free(params)
clef_ctx_free(ctx)

# Signals are numeric matrices of channels x samples.
if (exists("clef_spectrogram_create")) {
  ctx <- clef_ctx_create()
  tt <- seq(0, 30 - 1 / 200, by = 1 / 200)             # 30 s at 200 Hz
  x <- rbind(10 * sin(2 * pi * 6 * tt), 10 * sin(2 * pi * 10 * tt))
  sg <- clef_spectrogram_create(ctx, NULL)             # CLEF defaults
  s <- clef_spectrogram_matrix(sg, x)                  # [channels, frequencies, frames]
  freqs <- clef_spectrogram_freqs(sg, dim(s)[2])$out
  cat("spectrogram", dim(s), "peaks at", freqs[apply(s[, , 1], 1, which.max)], "Hz\n")
  clef_spectrogram_free(sg)
  clef_ctx_free(ctx)
}
