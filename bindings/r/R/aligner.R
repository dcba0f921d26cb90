# Clinical aligner (docs/aligner.md) and its frozen text encoder (docs/text-tower.md): session
# embeddings as matrices of sessions x dimensions into the shared space, zero-shot scores of a
# prompt, and the training pipeline `clef align` runs, so R trains the same weights.

# A text encoder from a directory holding model.safetensors and vocab.txt (default
# $CLEF_TEXT_MODEL; tools/install_deps.sh fetches all-MiniLM-L6-v2 into build/minilm), or from a
# safetensors file with vocab its vocab.txt. precision "bf16": linear layers in bfloat16 with
# float32 sums (CPUs with AVX-512 BF16; about 2x faster, cosine >= 0.9999 to "f32"). The handle
# keeps ctx (default: a new one) alive.
clef_text_encoder <- function(path = Sys.getenv("CLEF_TEXT_MODEL"), vocab = NULL, n_heads = 0L,
                              ctx = NULL, precision = c("f32", "bf16")) {
  precision <- match.arg(precision)
  if (!nzchar(path)) {
    stop("clef_text_encoder: no path and no CLEF_TEXT_MODEL (a directory with ",
         "model.safetensors and vocab.txt)", call. = FALSE)
  }
  path <- path.expand(path)
  weights <- path
  if (dir.exists(path)) {
    weights <- file.path(path, "model.safetensors")
    if (is.null(vocab)) vocab <- file.path(path, "vocab.txt")
  } else if (is.null(vocab)) {
    stop(sprintf("clef_text_encoder: %s is not a directory; give vocab (its vocab.txt)", path),
         call. = FALSE)
  }
  own <- is.null(ctx)
  if (own) ctx <- clef_ctx_create()
  on.exit(if (own) clef_ctx_free(ctx)) # the text encoder keeps its ctx alive inside libclef
  te <- clef_text_encoder_load(ctx, weights, path.expand(vocab), as.integer(n_heads))
  if (precision == "bf16") {
    ok <- FALSE
    on.exit(if (!ok) clef_text_encoder_free(te), add = TRUE)
    clef_text_encoder_set_precision(te, clef_const("CLEF_PRECISION_BF16"))
    ok <- TRUE
  }
  te
}

# Unit-norm embeddings of texts: a numeric matrix texts x dim, named by names(texts) (or the
# texts themselves when unnamed).
clef_text_embed_matrix <- function(te, texts, session = NULL) {
  if (!is.character(texts) || anyNA(texts)) {
    stop("clef_text_embed_matrix: texts must be a character vector without NA", call. = FALSE)
  }
  dim <- clef_text_encoder_dim(te)
  ss <- .clef_session_or_temp(session)
  on.exit(ss$free())
  rn <- if (is.null(names(texts))) texts else names(texts)
  out <- matrix(0, length(texts), dim, dimnames = list(rn, NULL))
  for (i in seq_along(texts)) out[i, ] <- clef_text_encoder_embed(te, ss$s, texts[[i]], dim)$out
  out
}

# emb (a numeric matrix sessions x eeg_dim, or one session's vector) checked against the
# aligner's input width; a clef_error_shape naming the shape otherwise.
.clef_aligner_emb <- function(al, emb, fn) {
  if (!is.matrix(emb)) emb <- matrix(emb, nrow = 1L)
  if (!is.numeric(emb) || anyNA(emb)) {
    stop(sprintf("%s: emb must be a numeric matrix (sessions x eeg_dim) without NA", fn),
         call. = FALSE)
  }
  d <- clef_aligner_dims(al)
  if (ncol(emb) != d$eeg_dim) {
    clef_error(fn, clef_const("CLEF_ERR_SHAPE"),
               sprintf("emb is %d x %d; the aligner takes %d columns (eeg_dim)", nrow(emb),
                       ncol(emb), d$eeg_dim))
  }
  list(x = as.vector(t(emb)), n = nrow(emb), eeg_dim = d$eeg_dim, dim = d$dim,
       rows = rownames(emb))
}

# Session embeddings (sessions x eeg_dim) into the shared space: a matrix sessions x dim of unit
# rows, with the row names of emb.
clef_aligner_embed_eeg_matrix <- function(al, emb, session = NULL) {
  e <- .clef_aligner_emb(al, emb, "clef_aligner_embed_eeg_matrix")
  out <- matrix(0, e$n, e$dim, dimnames = list(e$rows, NULL))
  if (e$n == 0L) return(out)
  ss <- .clef_session_or_temp(session)
  on.exit(ss$free())
  out[] <- matrix(clef_aligner_embed_eeg(al, ss$s, e$x, e$n, e$eeg_dim, e$n * e$dim),
                  e$n, e$dim, byrow = TRUE)
  out
}

# A text (summarize = TRUE: a whole report, summarized first as in training) into the shared
# space: a numeric vector of length dim, unit norm.
clef_aligner_embed_text_vector <- function(al, te, text, summarize = FALSE, session = NULL) {
  ss <- .clef_session_or_temp(session)
  on.exit(ss$free())
  clef_aligner_embed_text(al, ss$s, te, text, as.integer(isTRUE(summarize)),
                          clef_aligner_dims(al)$dim)
}

# Zero-shot: the cosine between each session's aligned embedding and the prompt's, a numeric
# vector named by the row names of emb (sessions x eeg_dim).
clef_aligner_score_text_matrix <- function(al, te, emb, prompt, session = NULL) {
  e <- .clef_aligner_emb(al, emb, "clef_aligner_score_text_matrix")
  if (e$n == 0L) return(structure(numeric(0), names = e$rows))
  ss <- .clef_session_or_temp(session)
  on.exit(ss$free())
  scores <- clef_aligner_score_text(al, ss$s, te, e$x, e$n, e$eeg_dim, prompt, e$n)
  names(scores) <- e$rows
  scores
}

# SHA-256 of a weights file: the key of an encoder's (or aligner's) embeddings in a store.
clef_model_hash <- function(path) {
  ctx <- clef_ctx_create()
  on.exit(clef_ctx_free(ctx))
  clef_encoder_model_hash(ctx, path.expand(path), 65L)$buf
}

# Train an aligner as `clef align --store DB -w ENCODER -o OUT` does and write it to out: the
# store's train sessions (and val, if any, for held-out retrieval) with their embeddings under
# the encoder file, reports and EHR records. text: a clef_text_encoder handle or its directory
# (NULL: $CLEF_TEXT_MODEL). Settings by name, with or without the align. prefix (dim = 512,
# width = 128, n_layers = 1, n_heads = 4, eeg_hidden = 512, batch = 64, steps = 600, ...: the
# command's defaults). finetune_encoder: a path, to fine-tune a copy of the encoder during
# alignment and write it there (clef align --finetune-encoder; docs/aligner.md). Returns
# list(steps, n_train, n_val, val_loss, r_at_1, r_at_10), the last three NA with fewer than 2
# held-out sessions.
clef_align <- function(store, encoder, out, ..., text = NULL, n_threads = 1L,
                       checkpoint = paste0(out, ".ckpt"), resume = NULL,
                       finetune_encoder = NULL) {
  ctx <- clef_ctx_create()
  on.exit(clef_ctx_free(ctx))
  p <- clef_params_create(ctx, clef_const("CLEF_PARAMS_ALIGN"))
  settings <- list(...)
  for (name in names(settings)) {
    k <- .clef_setting_key(name, "align.", "aligner")
    if (clef_param_info(k)$kind != clef_const("CLEF_PARAMS_ALIGN")) {
      stop(sprintf("'%s' is not among the aligner settings", name), call. = FALSE)
    }
    clef_param_set(p, k, settings[[name]])
  }
  te <- text
  if (!inherits(te, "clef_text_encoder")) {
    te <- clef_text_encoder(if (is.null(text)) Sys.getenv("CLEF_TEXT_MODEL") else text, ctx = ctx)
    on.exit(clef_text_encoder_free(te), add = TRUE, after = FALSE)
  }
  st <- clef_store_open(ctx, path.expand(store))
  on.exit(clef_store_free(st), add = TRUE, after = FALSE)
  hash <- clef_model_hash(encoder)
  tr <- if (is.null(resume)) clef_aligner_trainer_create(ctx, p, as.integer(n_threads)) else
    clef_aligner_trainer_resume(ctx, path.expand(resume), p, as.integer(n_threads))
  on.exit(clef_aligner_trainer_free(tr), add = TRUE, after = FALSE)
  if (!is.null(finetune_encoder) && is.null(resume)) { # a resumed one has its own
    enc <- clef_encoder_load(ctx, path.expand(encoder), NULL)
    on.exit(clef_encoder_free(enc), add = TRUE, after = FALSE)
    clef_aligner_trainer_finetune(tr, enc)
  }
  clef_aligner_trainer_add_store(tr, te, st, hash, "train")
  val <- clef_const("CLEF_SPLIT_VAL")
  tryCatch(clef_aligner_trainer_add_store(tr, te, st, hash, "val"),
           clef_error_not_found = function(e) {
             if (clef_aligner_trainer_sessions(tr, val) > 0) stop(e) # not an empty split
           })
  clef_aligner_trainer_run(tr, path.expand(checkpoint))
  # the fine-tuned encoder first: the aligner then names it
  if (!is.null(finetune_encoder)) clef_aligner_trainer_save_encoder(tr, path.expand(finetune_encoder))
  clef_aligner_save(clef_aligner_trainer_aligner(tr), ctx, path.expand(out))
  n_val <- clef_aligner_trainer_sessions(tr, val)
  v <- list(loss = NA_real_, r_at_1 = NA_real_, r_at_10 = NA_real_)
  if (n_val >= 2) v <- tryCatch(clef_aligner_trainer_validate(tr), clef_error_state = function(e) v)
  list(steps = clef_aligner_trainer_steps(tr),
       n_train = clef_aligner_trainer_sessions(tr, clef_const("CLEF_SPLIT_TRAIN")),
       n_val = n_val, val_loss = v$loss, r_at_1 = v$r_at_1, r_at_10 = v$r_at_10)
}
