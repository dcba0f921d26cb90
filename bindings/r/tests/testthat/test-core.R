ref_dir <- Sys.getenv("CLEF_C_REFERENCE_DIR")
ref_path <- if (nzchar(ref_dir)) file.path(ref_dir, "core.txt") else ""
read_ref <- function() {
  lines <- readLines(ref_path)
  kv <- strsplit(lines, "\t", fixed = TRUE)
  stats::setNames(vapply(kv, `[`, "", 2L), vapply(kv, `[`, "", 1L))
}

test_that("versions and constants agree with the C library", {
  skip_if(ref_path == "", "CLEF_C_REFERENCE_DIR not set")
  ref <- read_ref()
  expect_identical(clef_version(), ref[["version"]])
  expect_identical(clef_version_number(), as.integer(ref[["version_number"]]))
  expect_identical(clef_abi_version(), as.integer(ref[["abi_version"]]))
  # the BLAS kernel is this R process's: R may have loaded OpenBLAS before clef could choose
  expect_identical(clef_build_info(), gsub(ref[["blas_kernel"]], clef_blas_kernel(),
                                           ref[["build_info"]], fixed = TRUE))
  for (s in -15:1) expect_identical(clef_strerror(s), ref[[sprintf("strerror.%d", s)]])
})

test_that("loading clef selects the BLAS kernel family for the CPU, or says how", {
  fit <- clef_blas_coretype()
  skip_if(is.null(fit) || is.na(fit), "no OpenBLAS kernel family fits this CPU")
  expect_identical(clef:::.clef_coretype_from_flags(clef:::.clef_cpu_flags()), fit)
  expect_identical(clef:::.clef_coretype_from_flags(c("avx", "avx2")), "Sandybridge")
  expect_true(is.na(clef:::.clef_coretype_from_flags("sse4_2")))
  # a fresh R with nothing set: the kernel for the CPU, unless R had loaded the same OpenBLAS
  # before clef (Debian's R links it as its BLAS); then the startup message names the fix
  rscript <- file.path(R.home("bin"), "Rscript")
  code <- paste0("pre <- any(grepl('libopenblas', readLines('/proc/self/maps'))); ",
                 "library(clef); cat('\\n', pre, clef_blas_kernel(), '\\n')")
  run <- function(extra) {
    out <- system2("env", c("-u", "OPENBLAS_CORETYPE", "-u", "CLEF_BLAS_SELECT", extra, rscript,
                            "-e", shQuote(code)), stdout = TRUE, stderr = TRUE,
                   env = sprintf("R_LIBS=%s", paste(.libPaths(), collapse = .Platform$path.sep)))
    list(last = strsplit(trimws(tail(out, 1L)), " ")[[1L]], all = paste(out, collapse = "\n"))
  }
  r <- run(character())
  if (identical(r$last[[1L]], "FALSE")) {
    expect_identical(tolower(r$last[[2L]]), tolower(fit))
  } else if (clef:::.clef_kernel_level(r$last[[2L]]) >= clef:::.clef_kernel_level(fit)) {
    expect_no_match(r$all, "OPENBLAS_CORETYPE=", fixed = TRUE) # as wide: no advice
  } else {
    expect_match(r$all, sprintf("OPENBLAS_CORETYPE=%s", fit), fixed = TRUE)
  }
  # the documented step: set in the environment that starts R, it always works
  expect_identical(run(sprintf("OPENBLAS_CORETYPE=%s", fit))$last[[2L]], fit)
  expect_null(clef:::.clef_blas_late(fit, fit))
  old <- Sys.getenv("OPENBLAS_CORETYPE", unset = NA)
  Sys.setenv(OPENBLAS_CORETYPE = "SkylakeX") # .clef_blas_late speaks only after a selection
  expect_null(clef:::.clef_blas_late("Cooperlake", "SkylakeX"))
  expect_match(clef:::.clef_blas_late("Haswell", "SkylakeX"), "Haswell kernels", fixed = TRUE)
  if (is.na(old)) Sys.unsetenv("OPENBLAS_CORETYPE") else Sys.setenv(OPENBLAS_CORETYPE = old)
  levels <- vapply(c("Prescott", "Sandybridge", "Zen", "SkylakeX"), clef:::.clef_kernel_level,
                   integer(1), USE.NAMES = FALSE)
  expect_identical(levels, 0:3)
})

test_that("parameter metadata is identical to the C library's", {
  skip_if(ref_path == "", "CLEF_C_REFERENCE_DIR not set")
  ref <- read_ref()
  keys <- as.integer(strsplit(ref[["param_keys"]], ",", fixed = TRUE)[[1L]])
  expect_gt(length(keys), 0L)
  for (k in keys) {
    info <- clef_param_info(k)
    expect_identical(info$name, ref[[sprintf("param.%d.name", k)]])
    expect_identical(info$type, as.integer(ref[[sprintf("param.%d.type", k)]]))
    expect_identical(info$kind, as.integer(ref[[sprintf("param.%d.kind", k)]]))
    expect_identical(clef_param_lookup(info$name), k)
    if (info$type != clef_const("CLEF_PARAM_STR")) {
      b <- clef_param_bounds(k)
      expect_identical(b$min_out, as.numeric(ref[[sprintf("param.%d.min", k)]]))
      expect_identical(b$max_out, as.numeric(ref[[sprintf("param.%d.max", k)]]))
    }
  }
})

test_that("a library of another ABI is refused", {
  expect_true(clef:::.clef_check_abi(clef_abi_version(), clef_const("CLEF_ABI_VERSION")))
  expect_error(clef:::.clef_check_abi(clef_abi_version() + 1L, clef_abi_version()),
               "generated for ABI")
})

test_that("a parameter set round-trips values", {
  ctx <- clef_ctx_create()
  p <- clef_params_create(ctx, clef_const("CLEF_PARAMS_COHORT"))
  expect_identical(clef_params_kind(p), clef_const("CLEF_PARAMS_COHORT"))
  expect_identical(clef_param_get(p, "cohort.n_patients"), 100)
  clef_param_set(p, "cohort.n_patients", 8L)
  clef_param_set(p, "cohort.seed", 2^40)
  clef_param_set(p, "cohort.frac_mv", 0.5)
  q <- clef_params_clone(p)
  expect_identical(clef_param_get(q, "cohort.n_patients"), 8)
  expect_identical(clef_param_get(q, "cohort.seed"), 2^40)
  expect_identical(clef_param_get(q, "cohort.frac_mv"), 0.5)
  clef_params_free(q)
  clef_params_free(p)
  clef_ctx_free(ctx)
})

test_that("the core parameter kind and the ctx thread count are gone (ABI 1)", {
  expect_error(clef_const("CLEF_PARAMS_CORE"), "unknown libclef constant")
  expect_false(exists("clef_ctx_set_n_threads"))
  expect_error(clef_param_lookup("n_threads"), class = "clef_error_not_found")
})

test_that("a session holds threads and the last error of its calls", {
  ctx <- clef_ctx_create()
  s <- clef_session_create(ctx, 3L)
  expect_s3_class(s, "clef_session")
  expect_identical(clef_session_n_threads(s), 3L)
  expect_identical(clef_session_errmsg(s), "")
  expect_identical(clef_session_errcode(s), clef_const("CLEF_OK"))
  clef_session_release_scratch(s)
  expect_identical(clef_session_scratch_bytes(s), 0)
  e <- tryCatch(clef_session_create(ctx, 0L), clef_error = function(e) e)
  expect_s3_class(e, "clef_error_range")
  expect_match(conditionMessage(e), "n_threads 0 is not in")
  expect_error(clef_session_create(ctx, 2^40), "whole number in")
  expect_error(clef_session_n_threads(ctx), "must be a clef_session handle")
  clef_ctx_free(ctx) # the session keeps its ctx alive inside libclef
  expect_identical(clef_session_n_threads(s), 3L)
  clef_session_free(s)
  expect_error(clef_session_errmsg(s), "freed clef_session handle")
  expect_silent(clef_session_free(s))
})

test_that("failures are clef_error conditions with status and message", {
  ctx <- clef_ctx_create()
  p <- clef_params_create(ctx, clef_const("CLEF_PARAMS_COHORT"))
  e <- tryCatch(clef_param_set(p, "cohort.n_patients", 0), clef_error = function(e) e)
  expect_s3_class(e, "clef_error_range")
  expect_identical(e$status, clef_const("CLEF_ERR_RANGE"))
  expect_match(conditionMessage(e), "cohort.n_patients = 0 outside", fixed = TRUE)
  e <- tryCatch(clef_params_create(ctx, 99L), clef_error = function(e) e)
  expect_s3_class(e, "clef_error_invalid_arg")
  expect_match(conditionMessage(e), "unknown parameter-set kind 99")
  expect_error(clef_params_get_i64(p, 999L), class = "clef_error_not_found")
  expect_error(clef_param_lookup("no_such_key"), class = "clef_error")
  clef_params_free(p)
  clef_ctx_free(ctx)
})

test_that("bad arguments raise R errors, never crash", {
  ctx <- clef_ctx_create()
  p <- clef_params_create(ctx, clef_const("CLEF_PARAMS_COHORT"))
  expect_error(clef_params_kind(ctx), "must be a clef_params handle")
  expect_error(clef_params_kind(42), "must be a clef_params handle")
  expect_error(clef_params_set_i64(p, "a", 1), "single number")
  expect_error(clef_params_set_i64(p, 1L, 1.5), "whole number")
  expect_error(clef_params_set_i64(p, 1L, NA), "NA")
  expect_error(clef_params_set_i64(p, c(1L, 2L), 1), "single number")
  expect_error(clef_params_set_str(p, 1L, 3), "string")
  expect_error(clef_session_create(ctx, 2^40), "whole number in")
  # NULL reaches the C library, which rejects it with a status
  expect_error(clef_params_create(NULL, 1L), class = "clef_error_invalid_arg")
  f <- tempfile(fileext = ".rds")
  saveRDS(p, f)
  expect_error(clef_params_kind(readRDS(f)), "restored by readRDS") # NULL address, no crash
  unlink(f)
  clef_params_free(p)
  expect_error(clef_params_kind(p), "freed clef_params handle")
  expect_silent(clef_params_free(p)) # freeing twice is a no-op
  clef_ctx_free(ctx)
  expect_error(clef_session_create(ctx, 1L), "freed")
})

test_that("10,000 create/free cycles neither leak nor crash", {
  mem <- function() {
    s <- readLines("/proc/self/statm")
    as.numeric(strsplit(s, " ")[[1L]][2L]) * 4096
  }
  cycle <- function(n, explicit) {
    for (i in seq_len(n)) {
      ctx <- clef_ctx_create()
      p <- clef_params_create(ctx, clef_const("CLEF_PARAMS_COHORT"))
      s <- clef_session_create(ctx, 1L)
      if (explicit) {
        clef_ctx_free(ctx) # params and sessions keep the ctx alive inside libclef
        clef_params_free(p)
        clef_session_free(s)
      }
    }
    invisible(gc())
  }
  cycle(2000L, TRUE)
  cycle(2000L, FALSE)
  before <- mem()
  cycle(5000L, TRUE)
  cycle(5000L, FALSE) # finalizers free these
  after <- mem()
  expect_lt(after - before, 8 * 1024^2)
})
