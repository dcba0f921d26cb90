# Session encoder in R: clef_pretrain writes the weights `clef pretrain` writes, and the
# embedding matrices equal `clef embed` and each other.

read_npy_f32 <- function(path) {
  con <- file(path, "rb")
  on.exit(close(con))
  readBin(con, "raw", 8L) # magic and version 1.0
  hlen <- readBin(con, "integer", 1L, size = 2L, signed = FALSE, endian = "little")
  header <- rawToChar(readBin(con, "raw", hlen))
  dims <- as.integer(strsplit(sub(".*'shape': \\(([0-9, ]*)\\).*", "\\1", header), ",")[[1]])
  x <- readBin(con, "double", prod(dims), size = 4L, endian = "little")
  matrix(x, nrow = dims[[1]], byrow = TRUE)
}

test_that("clef_pretrain and the embedding matrices match the clef command", {
  exe <- clef_cli()
  skip_if(!nzchar(exe), "no clef command to synthesise a cohort")
  restore <- clef_cli_env()
  on.exit(restore(), add = TRUE)
  d <- tempfile("enc")
  dir.create(d)
  on.exit(unlink(d, recursive = TRUE), add = TRUE)
  coh <- file.path(d, "coh")
  system2(exe, c("synth", "-o", coh, "--patients", "6", "--seconds", "120", "--quiet"))
  tok_path <- file.path(d, "tok.safetensors")
  clef_train_tokenizer(coh, tok_path, ch = 8L, ch_mult = "1,1,1,1", codebook_size = 32L,
                       code_dim = 4L, gn_groups = 4L, batch = 2L, crop_t = 40L, disc_ndf = 4L,
                       mean_tokens = 8L, steps = 2L)
  cli_out <- file.path(d, "cli.safetensors")
  r_out <- file.path(d, "r.safetensors")
  flags <- c("--d-model", "16", "--layers", "1", "--heads", "2", "--d-ff", "32",
             "--embed-dim", "12", "--batch", "2", "--crop-cols", "24", "--steps", "3")
  expect_identical(system2(exe, c("pretrain", coh, "-w", tok_path, "-o", cli_out, "-q", flags),
                           stdout = FALSE, stderr = FALSE), 0L)
  steps <- clef_pretrain(coh, tok_path, r_out, d_model = 16L, n_layers = 1L, n_heads = 2L,
                         d_ff = 32L, embed_dim = 12L, batch = 2L, crop_cols = 24L, steps = 3L)
  expect_equal(steps, 3)
  expect_identical(readBin(r_out, "raw", file.size(r_out)),
                   readBin(cli_out, "raw", file.size(cli_out)))
  expect_error(clef_pretrain(coh, tok_path, r_out, no_such_setting = 1), "unknown encoder")

  files <- sort(list.files(coh, pattern = "\\.edf$", recursive = TRUE, full.names = TRUE))[1:2]
  npy <- file.path(d, "emb.npy")
  expect_identical(system2(exe, c("embed", files, "-w", r_out, "-t", tok_path, "-o", npy, "-q"),
                           stdout = FALSE, stderr = FALSE), 0L)
  ctx <- clef_ctx_create()
  tok <- clef_tokenizer_load(ctx, tok_path)
  enc <- clef_encoder_load(ctx, r_out, tok)
  s <- clef_session_create(ctx, 2L)
  emb <- clef_embed_files(enc, tok, files, s)
  expect_identical(dim(emb), c(2L, 12L))
  expect_identical(rownames(emb), files)
  expect_equal(unname(emb), read_npy_f32(npy), tolerance = 0) # float32 both ways: exact
  sg <- clef_tokenizer_spectrogram_create(ctx, tok)
  rec <- clef_recording_open(ctx, files[[1]], NULL)
  ids <- clef_tokenize_recording(tok, s, sg, rec)$ids
  clef_recording_free(rec)
  one <- clef_encoder_embed_matrix(enc, ids, s)
  expect_identical(one[1, ], emb[1, ])
  both <- clef_encoder_embed_matrix(enc, rbind(a = ids, b = ids))
  expect_identical(rownames(both), c("a", "b"))
  expect_identical(both[2, ], emb[1, ])
  bad <- ids
  bad[[1]] <- 1e6
  expect_error(clef_encoder_embed_matrix(enc, bad, s), class = "clef_error_range")
  expect_error(clef_encoder_embed_matrix(enc, ids[-1], s), class = "clef_error_shape")
  expect_error(clef_encoder_embed_matrix(enc, "a"), "numeric matrix")
  clef_spectrogram_free(sg)
  clef_session_free(s)
  clef_encoder_free(enc)
  clef_tokenizer_free(tok)
  clef_ctx_free(ctx)
})
