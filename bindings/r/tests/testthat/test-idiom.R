# The idiomatic layer (R/idiom.R, src/idiom.c) on a small synthetic cohort made once.
cohort <- file.path(tempdir(), "idiom-cohort")
if (!file.exists(file.path(cohort, "manifest.csv"))) {
  generate_cohort(cohort, seed = 7, n_patients = 40, duration_s = 60, frac_missing = 0.3)
}
edf_files <- list.files(file.path(cohort, "edf"), pattern = "[.](edf|bdf)$", full.names = TRUE,
                        recursive = TRUE)

# A recording with an absent canonical channel (frac_missing), and one with all 19.
first_rec <- function(missing) {
  for (f in edf_files) {
    rec <- read_edf(f)
    if (any(is.na(match(clef_canonical_channels(), channels(rec)$canonical))) == missing) {
      return(rec)
    }
  }
  skip(sprintf("no recording with missing = %s", missing))
}

test_that("generate_cohort writes a cohort that read_cohort reads as a data frame", {
  m <- read_cohort(cohort)
  expect_s3_class(m, "data.frame")
  expect_gt(nrow(m), 40)
  expect_identical(attr(m, "dir"), normalizePath(cohort))
  expect_error(read_cohort(tempfile()), "has no manifest.csv")
})

test_that("read_edf gives a clef_recording that prints and summarizes", {
  rec <- first_rec(FALSE)
  expect_s3_class(rec, "clef_recording")
  expect_output(print(rec), "clef_recording .*19 of 19 canonical channels")
  s <- summary(rec)
  expect_s3_class(s, "summary.clef_recording")
  expect_output(print(s), "Fp1")
  expect_identical(length(s$missing), 0L)
  expect_error(read_edf(file.path(tempdir(), "none.edf")), class = "clef_error_io")
  expect_error(read_edf(1), "one file name")
  clef_recording_free(rec)
  expect_output(print(rec), "freed")
})

test_that("channels and annotations are data frames with 1-based indices", {
  rec <- first_rec(FALSE)
  ch <- channels(rec)
  expect_s3_class(ch, "data.frame")
  expect_identical(names(ch), c("index", "label", "unit", "rate", "n_samples", "phys_min",
                                "phys_max", "transducer", "prefilter", "canonical"))
  expect_identical(ch$index, seq_len(nrow(ch)))
  expect_identical(ch$label[[1L]], clef_recording_signal_label(rec, 0L))
  a <- annotations(rec)
  expect_s3_class(a, "data.frame")
  expect_identical(names(a), c("onset", "duration", "text"))
  expect_type(a$onset, "double")
  expect_true(all(is.na(a$duration) | a$duration >= 0)) # -1 (none given) is NA
})

test_that("read_signal takes 1-based indices or labels and rejects 0 and out of range", {
  rec <- first_rec(FALSE)
  ch <- channels(rec)
  x <- read_signal(rec, 1:2, start = 1, duration = 2)
  expect_identical(dim(x), c(as.integer(2 * ch$rate[[1L]]), 2L))
  expect_identical(colnames(x), ch$label[1:2])
  expect_identical(names(dimnames(x)), c("time", "channel"))
  expect_identical(attr(x, "fs"), ch$rate[[1L]])
  # the same samples as the C API's 0-based signal 0, in microvolts (uV files: scale 1)
  ref <- clef_recording_read_physical(rec, 0L, ch$rate[[1L]], 10)
  expect_equal(x[1:10, 1L], ref, tolerance = 1e-6, ignore_attr = TRUE)
  expect_identical(unname(read_signal(rec, ch$label[[2L]], 1, 2)), unname(x[, 2L, drop = FALSE]),
                   ignore_attr = TRUE)
  expect_error(read_signal(rec, 0), "channel index 0 is out of range 1..[0-9]+ \\(R indices start at 1\\)")
  expect_error(read_signal(rec, nrow(ch) + 1L), "out of range")
  expect_error(read_signal(rec, 1.5), "whole numbers")
  expect_error(read_signal(rec, "nope"), "no channel named 'nope'")
})

test_that("canonical_signal has NA columns for absent channels", {
  rec <- first_rec(TRUE)
  x <- canonical_signal(rec, 0, 10)
  expect_identical(colnames(x), clef_canonical_channels())
  expect_identical(attr(x, "fs"), 200)
  expect_identical(nrow(x), 2000L)
  absent <- is.na(match(clef_canonical_channels(), channels(rec)$canonical))
  expect_true(any(absent))
  expect_true(all(is.na(x[, absent])))
  expect_false(anyNA(x[, !absent]))
  present <- bitwAnd(attr(x, "present_mask"), bitwShiftL(1L, 0:18)) != 0L
  expect_identical(present, !absent)
  # the same numbers as the generated glue (which gives zeros for absent channels)
  old <- clef_read_canonical(rec, 0, 10)
  expect_identical(unname(x[, !absent]), unname(t(old)[, !absent]))
})

test_that("spectrogram gives frames x freqs x channels with dimnames, NA for absent channels", {
  rec <- first_rec(TRUE)
  x <- canonical_signal(rec, 0, 30)
  s <- new_session(2L)
  sp <- spectrogram(x, session = s)
  expect_s3_class(sp, "clef_specgram")
  d <- dim(sp)
  expect_identical(d[[3L]], 19L)
  expect_identical(names(dimnames(sp)), c("time", "freq", "channel"))
  expect_identical(dimnames(sp)$channel, clef_canonical_channels())
  expect_identical(as.numeric(dimnames(sp)$time), attr(sp, "times"))
  expect_identical(as.numeric(dimnames(sp)$freq), attr(sp, "freqs"))
  expect_identical(attr(sp, "freqs")[1:2], c(0, 0.25))
  absent <- is.na(match(clef_canonical_channels(), channels(rec)$canonical))
  expect_true(all(is.na(unclass(sp)[, , absent])))
  expect_false(anyNA(unclass(sp)[, , !absent]))
  # identical to the old channels x samples path on the present channels
  xp <- x[, !absent, drop = FALSE]
  old <- clef_spectrogram_matrix(clef_spectrogram_create(clef_ctx_create(), NULL), t(xp), s)
  expect_identical(unname(unclass(sp)[, , which(!absent)[[1L]]]), unname(t(old[1L, , ])))
  # from a recording directly, and with the tokenizer's spectrogram
  expect_identical(dim(spectrogram(rec)), c(57L, 128L, 19L))
  expect_output(print(sp), "clef_specgram: [0-9]+ frames .* 19 channels \\([0-9]+ absent\\)")
  sm <- summary(sp)
  expect_s3_class(sm, "data.frame")
  expect_identical(sm$present, !absent)
  expect_true(all(is.na(sm$mean[absent])))
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off())
  expect_silent(plot(sp, channel = which(!absent)[[1L]]))
  expect_silent(plot(sp, channel = clef_canonical_channels()[!absent][[1L]]))
  expect_error(plot(sp, channel = 0), "out of range 1..19")
  expect_error(plot(sp, channel = which(absent)[[1L]]), "is absent")
})

test_that("spectrogram checks its input", {
  x <- matrix(rnorm(4000), 2000, 2)
  expect_identical(dim(spectrogram(x, fs = 200)), c(7L, 128L, 2L))
  expect_identical(dimnames(spectrogram(x, fs = 200))$channel, c("ch1", "ch2"))
  expect_identical(dim(spectrogram(x[, 1L], fs = 200)), c(7L, 128L, 1L))
  y <- x
  y[5, 2] <- NA
  expect_error(spectrogram(y, fs = 200), "channel 2 has NA or NaN at sample 5")
  expect_error(spectrogram(matrix(NA_real_, 2000, 2), fs = 200), "every channel of x is NA")
  expect_error(spectrogram(matrix(0, 10, 2), fs = 200), class = "clef_error_shape")
  expect_error(spectrogram("a"), "numeric matrix")
  expect_error(spectrogram(x, fs = 200, no_such = 1), "unknown setting 'no_such'")
  expect_identical(dim(spectrogram(x, fs = 200, fmax_hz = 16)), c(7L, 64L, 2L))
  sg <- clef_spectrogram_create(clef_ctx_create(), NULL)
  expect_error(spectrogram(x, fs = 100, sg = sg), "sampled at 100 Hz but sg takes 200 Hz")
  expect_error(spectrogram(x, session = "s", fs = 200), "new_session")
  expect_error(new_session(0), ">= 1")
})

test_that("tokenize takes a recording or a spectrogram", {
  tok <- tryCatch(load_tokenizer(), clef_error = function(e) NULL)
  skip_if(is.null(tok), "no default tokenizer installed")
  rec <- first_rec(FALSE)
  t1 <- tokenize(tok, rec)
  expect_s3_class(t1, "clef_tokens")
  expect_identical(length(t1$ids), as.integer(clef_tokenizer_n_tokens(tok)))
  expect_true(all(t1$present))
  expect_output(print(t1), "clef_tokens: [0-9]+ ids")
  sp <- spectrogram(rec, sg = clef_tokenizer_spectrogram_create(clef_ctx_create(), tok))
  expect_identical(tokenize(tok, sp)$ids, t1$ids)
  expect_error(tokenize(tok, 1), "clef_recording")
  expect_error(tokenize(rec, rec), "load_tokenizer")
})

test_that("stores: ingest, embed_bandpower and evaluate_store with progress callbacks", {
  st <- open_store(file.path(tempdir(), "idiom.db"))
  calls <- 0
  rows <- ingest(st, cohort, progress = function(done, total) {
    calls <<- calls + 1
    TRUE
  })
  expect_gt(rows, 0)
  expect_gt(calls, 0)
  expect_identical(ingest(st, cohort), 0) # idempotent
  expect_true("feat_abnormal" %in% tasks(st))
  seen <- character()
  embed_bandpower(st, progress = function(done, total, task) {
    seen <<- c(seen, "bp")
    TRUE
  })
  expect_gt(length(seen), 0)
  ev <- evaluate_store(st, n_boot = 100, progress = function(done, total, task) {
    seen <<- c(seen, task)
    TRUE
  })
  expect_true(all(tasks(st) %in% seen))
  expect_s3_class(ev, "clef_evaluation")
  expect_s3_class(ev, "data.frame")
  expect_identical(names(ev), c("task", "n_train", "n_val", "n_test", "auroc", "ci_lo", "ci_hi",
                                "C", "smd_age", "smd_sex", "status"))
  expect_identical(ev$task, tasks(st))
  ok <- ev$status == "ok"
  expect_true(any(ok))
  expect_true(all(ev$ci_lo[ok] <= ev$auroc[ok] & ev$auroc[ok] <= ev$ci_hi[ok]))
  expect_true(all(is.nan(ev$auroc[!ok])))
  expect_output(print(ev), "clef_evaluation: [0-9]+ tasks")
  m <- attr(ev, "means")
  expect_identical(names(m), c("category", "n_tasks", "mean", "ci_lo", "ci_hi"))
  expect_identical(m$category[[1L]], "all")
  expect_equal(m$n_tasks[[1L]], sum(ok))
  expect_equal(m$mean[[1L]], mean(ev$auroc[ok]))
  expect_true(all(m$ci_lo <= m$mean & m$mean <= m$ci_hi))
  expect_output(print(ev), "means over tasks")
  # band power against itself: a difference of exactly 0 in every resample
  d <- compare_store(st, "bandpower", n_boot = 50)
  expect_identical(d$category, m$category)
  expect_true(all(d$diff == 0 & d$ci_lo == 0 & d$ci_hi == 0))
  expect_error(compare_store(st, "bandpower", versus = strrep("0", 64), n_boot = 50),
               class = "clef_error")
  expect_identical(names(summary(ev)), c("n_tasks", "n_evaluated", "mean_auroc", "min_auroc",
                                         "max_auroc"))
  r <- roc_curve(ev, ev$task[ok][[1L]])
  expect_s3_class(r, "clef_roc")
  expect_equal(attr(r, "auc"), ev$auroc[ok][[1L]])
  expect_error(roc_curve(ev, 0), "task index 0 is out of range")
  if (any(!ok)) expect_error(roc_curve(ev, which(!ok)[[1L]]), "was not evaluated")
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off())
  expect_silent(plot(ev))
  # a progress function that returns FALSE cancels; one that fails cancels with its error
  expect_error(evaluate_store(st, n_boot = 100, progress = function(d, t, task) FALSE),
               class = "clef_error_cancelled")
  expect_error(evaluate_store(st, n_boot = 100, progress = function(d, t, task) stop("boom")),
               "boom")
  expect_error(ingest(st, cohort, progress = 3), "progress must be a function")
})

test_that("generate_cohort's progress runs on the R thread and can cancel", {
  n <- 0
  dir <- file.path(tempdir(), "cancelled")
  expect_error(generate_cohort(dir, n_patients = 5, duration_s = 20, progress = function(d, t) {
    n <<- n + 1
    n < 2
  }), class = "clef_error_cancelled")
  expect_identical(n, 2)
  expect_false(file.exists(file.path(dir, "manifest.csv")))
  expect_error(generate_cohort(dir, no_such = 1), "unknown setting 'no_such'")
})

test_that("auroc and roc_curve handle NA, factors and logicals", {
  s <- c(0.1, 0.4, 0.35, 0.8, NA, 0.2)
  y <- c(0, 0, 1, 1, 1, NA)
  expect_equal(auroc(s, y), 0.75)
  expect_equal(auroc(s, y == 1), 0.75)
  expect_equal(auroc(s, factor(c("a", "a", "b", "b", "b", NA))), 0.75)
  expect_error(auroc(s, y, na.rm = FALSE), "NA in scores or labels")
  expect_error(auroc(s, c(0, 2, 1, 1, 1, 0)), "0/1")
  expect_error(auroc(s[1:3], y), "differ in length")
  a <- auroc(s, y, ci = TRUE, n_boot = 200)
  expect_length(attr(a, "conf.int"), 2L)
  r <- roc_curve(s, y)
  expect_s3_class(r, "clef_roc")
  expect_identical(names(r), c("threshold", "fpr", "tpr"))
  expect_identical(c(r$fpr[[1L]], r$tpr[[1L]]), c(0, 0))
  expect_identical(c(r$fpr[[nrow(r)]], r$tpr[[nrow(r)]]), c(1, 1))
  # the trapezoid area under the curve is the AUROC
  expect_equal(sum(diff(r$fpr) * (head(r$tpr, -1) + tail(r$tpr, -1)) / 2), 0.75)
  expect_output(print(r), "AUROC 0.7500")
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off())
  expect_silent(plot(r))
  expect_silent(plot(r, add = TRUE, col = 2))
})

test_that("evaluate takes a matrix, a label data frame with NA and a split", {
  set.seed(3)
  n <- 120
  x <- matrix(rnorm(n * 4), n, 4)
  labels <- data.frame(a = as.integer(x[, 1] + rnorm(n, sd = 0.5) > 0),
                       b = rbinom(n, 1, 0.5))
  labels$a[1:10] <- NA
  x[11, 2] <- NA
  split <- rep(c("train", "val", "test"), length.out = n)
  ev <- evaluate(x, labels, split, n_boot = 200)
  expect_s3_class(ev, "clef_evaluation")
  expect_identical(ev$task, c("a", "b"))
  expect_identical(ev$status, c("ok", "ok"))
  expect_gt(ev$auroc[[1L]], 0.8)
  # NA labels and incomplete rows are left out
  expect_identical(ev$n_train[[1L]] + ev$n_val[[1L]] + ev$n_test[[1L]], n - 11)
  expect_identical(ev$n_train[[2L]] + ev$n_val[[2L]] + ev$n_test[[2L]], n - 1)
  expect_true(is.na(ev$smd_age[[1L]]))
  expect_error(evaluate(x, labels, split[-1]), "one row")
  expect_error(evaluate(x, labels, rep("x", n)), "'train', 'val', 'test'")
})

test_that("set_log_handler gets libclef's messages on the R thread", {
  got <- list()
  old <- set_log_handler(function(level, msg) got[[length(got) + 1L]] <<- c(level, msg),
                         "debug")
  on.exit(set_log_handler(old))
  expect_error(read_edf(file.path(tempdir(), "none.edf")), class = "clef_error")
  # the message about the file (a machine whose OpenBLAS kernel is older than its CPU gets the
  # kernel advice first, once per process)
  hit <- Filter(function(m) grepl("none.edf", m[[2L]], fixed = TRUE), got)
  expect_gt(length(hit), 0L)
  expect_identical(hit[[1L]][[1L]], "debug")
  set_log_handler(NULL)
  n <- length(got)
  expect_error(read_edf(file.path(tempdir(), "none.edf")), class = "clef_error")
  expect_identical(length(got), n) # off
  expect_error(set_log_handler(3), "function")
  expect_error(set_log_handler(print, "loud"), "should be one of")
})

test_that("spectrogram is the C library's output, written without a transpose", {
  ref_dir <- Sys.getenv("CLEF_C_REFERENCE_DIR")
  skip_if_not(nzchar(ref_dir) && file.exists(file.path(ref_dir, "dsp.txt")), "no dsp reference")
  kv <- strsplit(readLines(file.path(ref_dir, "dsp.txt")), "\t", fixed = TRUE)
  kv <- stats::setNames(as.numeric(vapply(kv, `[`, "", 2L)), vapply(kv, `[`, "", 1L))
  f32 <- function(name, n) {
    readBin(file.path(ref_dir, name), "double", n = n, size = 4L, endian = "little")
  }
  n_ch <- kv[["spec.n_ch"]]
  n_s <- kv[["spec.n_samples"]]
  n_f <- kv[["spec.n_freqs"]]
  n_t <- kv[["spec.n_frames"]]
  # the planar (channel-major) input is the column-major samples x channels matrix, and the
  # [channel][freq][frame] output the column-major frames x freqs x channels array
  x <- matrix(f32("spec_in.f32", n_ch * n_s), nrow = n_s)
  want <- array(f32("spec_out.f32", n_ch * n_f * n_t), c(n_t, n_f, n_ch))
  sg <- clef_spectrogram_create(clef_ctx_create(), NULL)
  for (threads in c(1L, 3L)) {
    got <- spectrogram(x, sg = sg, session = new_session(threads))
    expect_identical(array(as.vector(got), dim(got)), want)
  }
})
