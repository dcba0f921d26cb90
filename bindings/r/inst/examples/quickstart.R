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
