# Tokenizer training (docs/tokenizer.md "Training"): the calls `clef train-tokenizer` makes, so
# R trains the same weights from the same settings.

# Key of a setting given by its full name ("train.steps") or without one of the prefixes
# ("steps", "ch").
.clef_setting_key <- function(name, prefixes = c("train.", "tok."), what = "tokenizer or training") {
  for (cand in c(name, paste0(prefixes, name))) {
    k <- tryCatch(clef_param_lookup(cand), clef_error = function(e) NULL)
    if (!is.null(k)) return(k)
  }
  stop(sprintf("unknown %s setting '%s'", what, name), call. = FALSE)
}

# Parameter sets of the two kinds (architecture, training) filled from named settings.
.clef_settings <- function(ctx, settings, arch_kind, train_kind, prefixes, what) {
  arch <- clef_params_create(ctx, clef_const(arch_kind))
  train <- clef_params_create(ctx, clef_const(train_kind))
  for (name in names(settings)) {
    k <- .clef_setting_key(name, prefixes, what)
    is_arch <- clef_param_info(k)$kind == clef_const(arch_kind)
    clef_param_set(if (is_arch) arch else train, k, settings[[name]])
  }
  list(arch = arch, train = train)
}

# Train a tokenizer on the split of a cohort directory and write it to out; settings by name
# (steps = 2000, batch = 8, crop_t = 80, channel_dropout = 0, mean_tokens = 128, seed = 1:
# the command's defaults). Returns the steps taken.
clef_train_tokenizer <- function(cohort_dir, out, ..., split = "train", n_threads = 1L,
                                 checkpoint = paste0(out, ".ckpt")) {
  settings <- list(...)
  if (is.null(settings$crop_t) && is.null(settings[["tok.crop_t"]])) settings$crop_t <- 80L
  ctx <- clef_ctx_create()
  p <- .clef_settings(ctx, settings, "CLEF_PARAMS_TOKENIZER", "CLEF_PARAMS_TRAIN",
                      c("train.", "tok."), "tokenizer or training")
  tr <- clef_tokenizer_trainer_create(ctx, p$arch, p$train, as.integer(n_threads))
  clef_tokenizer_trainer_add_cohort(tr, path.expand(cohort_dir), split)
  clef_tokenizer_trainer_run(tr, checkpoint)
  clef_tokenizer_save(clef_tokenizer_trainer_tokenizer(tr), ctx, path.expand(out))
  clef_tokenizer_trainer_steps(tr)
}
