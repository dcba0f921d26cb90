# Session encoder (docs/encoder.md): pretraining as `clef pretrain` runs it, and embeddings as a
# matrix of sessions x dimensions.

# Pretrain a session encoder on a cohort directory (its train split; its val split, when it has
# one, for held-out validation) over the tokenizer file tokenizer, and write the EMA weights to
# out. Settings by name, with or without their prefix (d_model = 256, n_layers = 4,
# steps = 2000, batch = 8, crop_cols = 0, ...: the command's defaults). Returns the steps taken.
clef_pretrain <- function(cohort_dir, tokenizer, out, ..., n_threads = 1L,
                          checkpoint = paste0(out, ".ckpt")) {
  ctx <- clef_ctx_create()
  p <- .clef_settings(ctx, list(...), "CLEF_PARAMS_ENCODER", "CLEF_PARAMS_PRETRAIN",
                      c("pretrain.", "enc."), "encoder or pretraining")
  tok <- clef_tokenizer_load(ctx, path.expand(tokenizer))
  on.exit(clef_tokenizer_free(tok))
  tr <- clef_encoder_trainer_create(ctx, tok, p$arch, p$train, as.integer(n_threads))
  on.exit(clef_encoder_trainer_free(tr), add = TRUE, after = FALSE)
  clef_encoder_trainer_add_cohort(tr, tok, path.expand(cohort_dir), "train")
  tryCatch(clef_encoder_trainer_add_cohort(tr, tok, path.expand(cohort_dir), "val"),
           clef_error_not_found = function(e) NULL) # no held-out sessions: train without
  clef_encoder_trainer_run(tr, checkpoint)
  clef_encoder_save(clef_encoder_trainer_encoder(tr, 1L), ctx, path.expand(out))
  clef_encoder_trainer_steps(tr)
}

# Embeddings of token-id rows: ids is an integer matrix (sessions x n_tokens) or one session's
# vector; the result is a numeric matrix sessions x embed_dim, each row embedded alone, with
# the row names of ids. valid_cols > 0 keeps the grid columns [0, valid_cols).
clef_encoder_embed_matrix <- function(enc, ids, session = NULL, valid_cols = 0L) {
  if (!is.matrix(ids)) ids <- matrix(ids, nrow = 1L)
  if (!is.numeric(ids) || anyNA(ids)) {
    stop("clef_encoder_embed_matrix: ids must be a numeric matrix without NA", call. = FALSE)
  }
  shape <- clef_encoder_shape(enc)
  ss <- .clef_session_or_temp(session)
  on.exit(ss$free())
  out <- matrix(0, nrow(ids), shape$embed_dim, dimnames = list(rownames(ids), NULL))
  for (i in seq_len(nrow(ids))) {
    r <- clef_encoder_embed(enc, ss$s, as.integer(ids[i, ]), ncol(ids), as.integer(valid_cols),
                            shape$embed_dim, 0L)
    out[i, ] <- r$emb
  }
  out
}

# Embed EEG files (EDF/BDF) end to end (recording -> spectrogram -> tokens -> embedding):
# a numeric matrix files x embed_dim with the file paths as row names.
clef_embed_files <- function(enc, tok, files, session = NULL) {
  ss <- .clef_session_or_temp(session)
  on.exit(ss$free())
  ctx <- clef_ctx_create()
  on.exit(clef_ctx_free(ctx), add = TRUE)
  sg <- clef_tokenizer_spectrogram_create(ctx, tok)
  on.exit(clef_spectrogram_free(sg), add = TRUE)
  e <- clef_encoder_shape(enc)$embed_dim
  out <- matrix(0, length(files), e, dimnames = list(files, NULL))
  for (i in seq_along(files)) {
    rec <- clef_recording_open(ctx, path.expand(files[[i]]), NULL)
    r <- tryCatch(clef_encoder_embed_recording(enc, tok, ss$s, sg, rec, e),
                  finally = clef_recording_free(rec))
    out[i, ] <- r$emb
  }
  out
}
