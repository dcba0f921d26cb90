# Tokenizer training (docs/tokenizer.md "Training"): the calls `clef train-tokenizer` makes, so
# R trains the same weights from the same settings.

# Key of a setting given as "steps", "train.steps", "ch" or "tok.ch".
.clef_setting_key <- function(name) {
  for (cand in c(name, paste0("train.", name), paste0("tok.", name))) {
    k <- tryCatch(clef_param_lookup(cand), clef_error = function(e) NULL)
    if (!is.null(k)) return(k)
  }
  stop(sprintf("unknown tokenizer or training setting '%s'", name), call. = FALSE)
}

# Train a tokenizer on the split of a cohort directory and write it to out; settings by name
# (steps = 2000, batch = 8, crop_t = 80, channel_dropout = 0, mean_tokens = 128, seed = 1:
# the command's defaults). Returns the steps taken.
clef_train_tokenizer <- function(cohort_dir, out, ..., split = "train", n_threads = 1L,
                                 checkpoint = paste0(out, ".ckpt")) {
  settings <- list(...)
  if (is.null(settings$crop_t) && is.null(settings[["tok.crop_t"]])) settings$crop_t <- 80L
  ctx <- clef_ctx_create()
  arch <- clef_params_create(ctx, clef_const("CLEF_PARAMS_TOKENIZER"))
  train <- clef_params_create(ctx, clef_const("CLEF_PARAMS_TRAIN"))
  for (name in names(settings)) {
    k <- .clef_setting_key(name)
    is_arch <- clef_param_info(k)$kind == clef_const("CLEF_PARAMS_TOKENIZER")
    clef_param_set(if (is_arch) arch else train, k, settings[[name]])
  }
  tr <- clef_tokenizer_trainer_create(ctx, arch, train, as.integer(n_threads))
  clef_tokenizer_trainer_add_cohort(tr, path.expand(cohort_dir), split)
  clef_tokenizer_trainer_run(tr, checkpoint)
  clef_tokenizer_save(clef_tokenizer_trainer_tokenizer(tr), ctx, path.expand(out))
  clef_tokenizer_trainer_steps(tr)
}
