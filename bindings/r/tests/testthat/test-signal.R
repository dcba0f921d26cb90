ref_dir <- Sys.getenv("CLEF_C_REFERENCE_DIR")
read_kv <- function(module) {
  f <- file.path(ref_dir, paste0(module, ".txt"))
  kv <- strsplit(readLines(f), "\t", fixed = TRUE)
  stats::setNames(vapply(kv, `[`, "", 2L), vapply(kv, `[`, "", 1L))
}
read_f32 <- function(name, n) {
  readBin(file.path(ref_dir, name), "double", n = n, size = 4L, endian = "little")
}
has_ref <- function(module) nzchar(ref_dir) && file.exists(file.path(ref_dir, paste0(module, ".txt")))

test_that("spectrogram of a channels x samples matrix is identical to the C library's", {
  skip_if_not(has_ref("dsp"), "no dsp reference")
  ref <- read_kv("dsp")
  n_ch <- as.integer(ref[["spec.n_ch"]])
  n_s <- as.integer(ref[["spec.n_samples"]])
  n_f <- as.integer(ref[["spec.n_freqs"]])
  n_t <- as.integer(ref[["spec.n_frames"]])
  x <- matrix(read_f32("spec_in.f32", n_ch * n_s), nrow = n_ch, byrow = TRUE)
  want <- aperm(array(read_f32("spec_out.f32", n_ch * n_f * n_t), c(n_t, n_f, n_ch)), 3:1)
  ctx <- clef_ctx_create()
  sg <- clef_spectrogram_create(ctx, NULL)
  got <- clef_spectrogram_matrix(sg, x)
  expect_identical(dim(got), c(n_ch, n_f, n_t))
  expect_identical(got, want)
  expect_error(clef_spectrogram_matrix(sg, "a"), "numeric matrix")
  expect_error(clef_spectrogram_matrix(sg, matrix(0, 2, 10)), class = "clef_error_shape")
  expect_error(clef_spectrogram_compute(sg, c(1, 2), 10, 2L, 10, 100),
               "has 2 elements but") # the glue checks the annotated input size
  clef_spectrogram_free(sg)
  expect_error(clef_spectrogram_matrix(sg, x), "freed")
  clef_ctx_free(ctx)
})

test_that("stream output is identical to the C library's", {
  skip_if_not(has_ref("io"), "no io reference")
  ref <- read_kv("io")
  x <- matrix(read_f32("stream_in.f32", 4L * 2560L), nrow = 4L, byrow = TRUE)
  n_out <- as.integer(ref[["stream.n_out"]])
  want <- matrix(read_f32("stream_out.f32", 19L * n_out), nrow = 19L, byrow = TRUE)
  ctx <- clef_ctx_create()
  st <- clef_stream_create(ctx, 4L, c("EEG Fp1-REF", "T3", "O2", "ECG"), rep(256, 4),
                           c("uV", "mV", "uV", "uV"), NULL)
  clef_stream_push_matrix(st, x[, 1:1280])
  clef_stream_push_matrix(st, x[, 1281:2560])
  clef_stream_finish(st)
  got <- clef_stream_pull_matrix(st)
  expect_identical(unname(got), want)
  expect_identical(rownames(got), clef_canonical_channels())
  expect_identical(clef_stream_present_mask(st), as.numeric(ref[["stream.mask"]]))
  expect_error(clef_stream_push_matrix(st, x), class = "clef_error_state")
  expect_error(clef_stream_create(ctx, 2L, c("Fp1"), c(256, 256), NULL, NULL),
               "has 1 elements but")
  clef_stream_free(st)
  clef_ctx_free(ctx)
})

test_that("recording reads are identical to the C library's", {
  skip_if_not(has_ref("io"), "no io reference")
  ref <- read_kv("io")
  ctx <- clef_ctx_create()
  rec <- clef_recording_open(ctx, ref[["path"]], NULL)
  expect_identical(clef_recording_n_signals(rec), as.integer(ref[["n_signals"]]))
  n <- as.numeric(ref[["phys0.n"]])
  want <- readBin(file.path(ref_dir, "phys0.f64"), "double", n = n, size = 8L)
  expect_identical(clef_recording_read_physical(rec, 0L, 0, n), want)
  expect_error(clef_read_canonical(rec), class = "clef_error_not_found")
  expect_error(clef_recording_open(ctx, "/nonexistent/x.edf", NULL), class = "clef_error_io")
  clef_recording_free(rec)
  clef_ctx_free(ctx)
})
