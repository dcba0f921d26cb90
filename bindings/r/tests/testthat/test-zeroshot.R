# Clinical aligner in R: clef_align on a generated store whose sessions get known embeddings
# (the same weights as `clef align`), zero-shot scores equal to the cosine of the aligned
# sessions and the prompt computed in R, unit rows, and wrong shapes refused naming the shape.
# Needs the text encoder: $CLEF_MINILM_DIR (tools/test.d/50-bindings.sh sets it to build/minilm);
# skipped without. (Named to run after test-core.R: its RSS bound on create/free cycles is
# measured in the same R process, and a testthat file run before it grows R's heap by more.)

minilm_dir <- function() {
  d <- Sys.getenv("CLEF_MINILM_DIR")
  if (nzchar(d) && file.exists(file.path(d, "model.safetensors"))) d else ""
}

f32 <- function(x) readBin(writeBin(as.double(x), raw(), size = 4L), "double", length(x), size = 4L)

# A store of 12 generated patients (reports, EHR records) whose sessions' embeddings (12-d,
# seeded) are stored under the SHA-256 of a stand-in encoder file, as `clef embed --store`
# stores an encoder's. Returns list(db, enc, emb: sessions x 12 with the session ids as names).
align_store <- function(d) {
  ctx <- clef_ctx_create()
  on.exit(clef_ctx_free(ctx))
  s <- clef_session_create(ctx, 2L)
  on.exit(clef_session_free(s), add = TRUE, after = FALSE)
  p <- clef_params_create(ctx, clef_const("CLEF_PARAMS_COHORT"))
  clef_param_set(p, "cohort.n_patients", 12L)
  clef_param_set(p, "cohort.max_sessions", 1L)
  clef_param_set(p, "cohort.duration_s", 30)
  clef_cohort_generate(s, p, file.path(d, "coh"))
  clef_params_free(p)
  db <- file.path(d, "s.db")
  st <- clef_store_open(ctx, db)
  on.exit(clef_store_free(st), add = TRUE, after = FALSE)
  clef_store_import_cohort(st, file.path(d, "coh"))
  enc <- file.path(d, "enc.safetensors")
  writeLines("stand-in encoder weights: only their SHA-256 keys the embeddings", enc)
  h <- clef_model_hash(enc)
  ids <- character()
  for (split in c("CLEF_SPLIT_TRAIN", "CLEF_SPLIT_VAL", "CLEF_SPLIT_TEST")) {
    sp <- clef_const(split)
    for (i in seq_len(clef_store_split_count(st, sp)) - 1L) {
      ids <- c(ids, clef_store_split_session(st, sp, i, 64L)$buf)
    }
  }
  set.seed(7)
  emb <- matrix(f32(rnorm(length(ids) * 12L)), length(ids), 12L, dimnames = list(ids, NULL))
  for (id in ids) {
    clef_store_artifact_put(st, id, clef_const("CLEF_ARTIFACT_EMBEDDING"), h,
                            writeBin(emb[id, ], raw(), size = 4L), 48)
  }
  list(db = db, enc = enc, emb = emb)
}

test_that("clef_align trains an aligner whose zero-shot scores are the cosines", {
  mdir <- minilm_dir()
  skip_if(!nzchar(mdir), "no text encoder (set CLEF_MINILM_DIR to build/minilm)")
  d <- tempfile("align")
  dir.create(d)
  on.exit(unlink(d, recursive = TRUE), add = TRUE)
  fx <- align_store(d)
  out <- file.path(d, "al.safetensors")
  res <- clef_align(fx$db, fx$enc, out, text = mdir, steps = 3L, dim = 16L, width = 8L,
                    n_layers = 1L, n_heads = 2L, eeg_hidden = 16L, batch = 4L)
  expect_equal(res$steps, 3)
  expect_true(res$n_train >= 4 && res$n_val >= 2)
  expect_true(res$val_loss > 0 && res$r_at_1 <= res$r_at_10 && res$r_at_10 <= 1)
  expect_true(file.exists(paste0(out, ".ckpt")))
  expect_error(clef_align(fx$db, fx$enc, out, text = mdir, no_such_setting = 1), "unknown aligner")
  # fine-tuning loads the encoder file: the fixture's stand-in is not one
  expect_error(clef_align(fx$db, fx$enc, out, text = mdir, steps = 1L,
                          finetune_encoder = file.path(d, "ft.safetensors")),
               class = "clef_error")

  exe <- clef_cli()
  if (nzchar(exe)) { # the same bytes as the command
    restore <- clef_cli_env()
    cli_out <- file.path(d, "cli.safetensors")
    rc <- system2(exe, c("align", "--store", fx$db, "-w", fx$enc, "-o", cli_out, "--text", mdir,
                         "--steps", "3", "--dim", "16", "--width", "8", "--layers", "1",
                         "--heads", "2", "--eeg-hidden", "16", "--batch", "4", "--quiet"),
                  stdout = FALSE, stderr = FALSE)
    restore()
    expect_identical(rc, 0L)
    expect_identical(readBin(out, "raw", file.size(out)),
                     readBin(cli_out, "raw", file.size(cli_out)))
  }

  ctx <- clef_ctx_create()
  al <- clef_aligner_load(ctx, out)
  te <- clef_text_encoder(mdir)
  s <- clef_session_create(ctx, 2L)
  expect_identical(unlist(clef_aligner_dims(al)), c(eeg_dim = 12, dim = 16))
  expect_identical(clef_aligner_encoder_sha256(al, 65L)$buf, clef_model_hash(fx$enc))
  emb <- fx$emb
  z <- clef_aligner_embed_eeg_matrix(al, emb, s)
  expect_identical(dim(z), c(nrow(emb), 16L))
  expect_identical(rownames(z), rownames(emb))
  expect_lt(max(abs(sqrt(rowSums(z^2)) - 1)), 1e-5)
  # one row alone: the same up to float rounding (a batch's GEMM blocks differ)
  expect_lt(max(abs(clef_aligner_embed_eeg_matrix(al, emb[3, ])[1, ] - z[3, ])), 1e-6)
  prompt <- "diffuse beta activity"
  q <- clef_aligner_embed_text_vector(al, te, prompt, session = s)
  expect_length(q, 16L)
  expect_lt(abs(sqrt(sum(q^2)) - 1), 1e-5)
  sc <- clef_aligner_score_text_matrix(al, te, emb, prompt, s)
  expect_identical(names(sc), rownames(emb))
  expect_lt(max(abs(sc - as.vector(z %*% q))), 1e-5)
  expect_gt(diff(range(sc)), 1e-3)
  expect_length(clef_aligner_score_text_matrix(al, te, emb[0, , drop = FALSE], prompt), 0L)
  v <- clef_text_embed_matrix(te, c(a = prompt, b = "spikes"), s)
  expect_identical(dim(v), c(2L, 384L))
  expect_identical(rownames(v), c("a", "b"))
  expect_lt(max(abs(sqrt(rowSums(v^2)) - 1)), 1e-5)

  expect_error(clef_aligner_score_text_matrix(al, te, emb[, 1:10], prompt, s),
               class = "clef_error_shape")
  expect_error(clef_aligner_embed_eeg_matrix(al, emb[, 1:10]), "12 x 10.*takes 12 columns")
  expect_error(clef_aligner_embed_eeg_matrix(al, "a"), "numeric matrix")
  expect_error(clef_aligner_embed_eeg(al, s, emb[1, 1:3], 3, 12, 48), "n\\*eeg_dim")
  expect_error(clef_text_encoder(mdir, precision = "int8"), "should be one of")
  fast <- tryCatch(clef_text_encoder(mdir, precision = "bf16"),
                   clef_error_unsupported = function(e) {
                     expect_match(conditionMessage(e), "AVX-512 BF16")
                     NULL
                   })
  if (!is.null(fast)) {
    expect_identical(clef_text_encoder_precision(fast), clef_const("CLEF_PRECISION_BF16"))
    vb <- clef_text_embed_matrix(fast, c(a = prompt, b = "spikes"))
    expect_false(identical(vb, v))
    expect_gte(min(rowSums(vb * v)), 0.9999)
    clef_text_encoder_free(fast)
  }
  expect_error(clef_text_encoder(file.path(mdir, "model.safetensors")), "give vocab")
  expect_error(clef_text_encoder(d), class = "clef_error_not_found")
  clef_session_free(s)
  clef_text_encoder_free(te)
  clef_aligner_free(al)
  clef_ctx_free(ctx)
})
