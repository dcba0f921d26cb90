# The idiomatic R layer (docs/r-quickstart.md): 1-based indices, matrices and arrays with
# dimnames, data frames, S3 classes with print/summary/plot, NA for absent channels, and
# callbacks (progress, log) run on the R thread. It calls the generated wrappers (R/ffi.R) and the
# hand-written entry points of src/idiom.c, which write results in R's column-major layout.
#
# Layouts: a signal is a matrix samples x channels (each channel a contiguous column, the
# channel-major buffer libclef reads); a spectrogram is an array frames x freqs x channels (the
# [channel][freq][frame] buffer libclef writes). Neither is transposed.

.clef_state <- new.env(parent = emptyenv())

# The package's context (created on first use): recordings, stores, sessions and the log handler
# of the idiomatic functions live on it.
.clef_ctx <- function() {
  if (is.null(.clef_state$ctx)) .clef_state$ctx <- clef_ctx_create()
  .clef_state$ctx
}

# session, checked, or the package's 1-thread session.
.clef_sess <- function(session, fn) {
  if (is.null(session)) {
    if (is.null(.clef_state$session)) .clef_state$session <- clef_session_create(.clef_ctx(), 1L)
    return(.clef_state$session)
  }
  if (!inherits(session, "clef_session")) {
    stop(sprintf("%s: session must come from new_session()", fn), call. = FALSE)
  }
  session
}

.clef_free_state <- function() {
  if (!is.null(.clef_state$ctx)) .Call(C_idiom_set_log, .clef_state$ctx, 0L)
  if (!is.null(.clef_state$session)) clef_session_free(.clef_state$session)
  if (!is.null(.clef_state$ctx)) clef_ctx_free(.clef_state$ctx)
  .clef_state$session <- NULL
  .clef_state$ctx <- NULL
  invisible(NULL)
}

.clef_stopf <- function(fn, fmt, ...) stop(sprintf(paste0("%s: ", fmt), fn, ...), call. = FALSE)

# 1-based indices i into 1..n, or names matched against labels; returns 1-based integers.
.clef_index <- function(i, n, fn, what = "channel", labels = NULL) {
  if (is.character(i)) {
    hit <- match(i, labels)
    if (anyNA(hit)) .clef_stopf(fn, "no %s named '%s'", what, i[is.na(hit)][[1L]])
    return(hit)
  }
  if (is.logical(i) && length(i) == n && !anyNA(i)) return(which(i))
  if (!is.numeric(i) || anyNA(i) || any(i != floor(i))) {
    .clef_stopf(fn, "%s indices must be whole numbers (1-based) or names", what)
  }
  bad <- i[i < 1 | i > n]
  if (length(bad)) {
    .clef_stopf(fn, "%s index %s is out of range 1..%d (R indices start at 1)", what,
                format(bad[[1L]]), n)
  }
  as.integer(i)
}

# Raise the condition of a failed idiomatic .Call (list(status, errmsg, out)), or return out.
.clef_ok <- function(r, fn) {
  if (!is.list(r)) return(r)
  .clef_result(r, fn, TRUE, "out")
}

# Settings by name ("seed" or "cohort.seed") into a new parameter set of kind.
.clef_params_from <- function(kind, prefix, settings) {
  p <- clef_params_create(.clef_ctx(), clef_const(kind))
  for (name in names(settings)) {
    if (is.null(settings[[name]])) next
    key <- if (startsWith(name, prefix)) name else paste0(prefix, name)
    k <- tryCatch(clef_param_lookup(key), clef_error = function(e) NULL)
    if (is.null(k) || clef_param_info(k)$kind != clef_const(kind)) {
      clef_params_free(p)
      stop(sprintf("unknown setting '%s' (a %s key)", name, sub("\\.$", "", prefix)),
           call. = FALSE)
    }
    clef_param_set(p, k, settings[[name]])
  }
  p
}

# ---- callbacks --------------------------------------------------------------------------------

.clef_log_levels <- c(error = 1L, warn = 2L, info = 3L, debug = 4L)

set_log_handler <- function(fun, level = c("info", "warn", "error", "debug")) {
  level <- match.arg(level)
  if (!is.null(fun) && !is.function(fun)) {
    stop("set_log_handler: fun must be a function(level, message) or NULL", call. = FALSE)
  }
  .clef_log_flush()
  old <- .clef_state$log_handler
  .clef_state$log_handler <- fun
  lv <- if (is.null(fun)) 0L else .clef_log_levels[[level]]
  .clef_ok(.Call(C_idiom_set_log, .clef_ctx(), lv), "set_log_handler")
  invisible(old)
}

# Hand the queued log messages to the handler (on this, the R thread).
.clef_log_flush <- function() {
  repeat {
    q <- .Call(C_idiom_log_drain)
    fun <- .clef_state$log_handler
    if (q[[3L]] > 0 && !is.null(fun)) {
      fun("warn", sprintf("clef: %.0f log messages dropped (queue full)", q[[3L]]))
    }
    if (!length(q[[1L]])) break
    if (is.null(fun)) next
    names <- names(.clef_log_levels)[q[[1L]]]
    for (k in seq_along(q[[2L]])) fun(names[[k]], q[[2L]][[k]])
  }
  invisible(NULL)
}

# A progress function for src/idiom.c: calls progress(done, total[, task]) and keeps an error
# it raises in state, to re-raise once libclef has returned. TRUE goes on, FALSE cancels.
.clef_progress <- function(progress, state, fn) {
  if (is.null(progress)) return(NULL)
  if (!is.function(progress)) .clef_stopf(fn, "progress must be a function or NULL")
  f <- names(formals(progress))
  three <- "..." %in% f || length(f) >= 3L
  function(done, total, task) {
    .clef_log_flush()
    r <- tryCatch(if (three) progress(done, total, task) else progress(done, total),
                  error = function(e) {
                    state$error <- e
                    FALSE
                  }, interrupt = function(e) {
                    state$error <- e
                    FALSE
                  })
    !identical(r, FALSE)
  }
}

# Run an idiomatic .Call that takes a progress function (its last argument).
.clef_with_progress <- function(fn, progress, call_fn, ...) {
  state <- new.env(parent = emptyenv())
  on.exit(.clef_log_flush())
  r <- call_fn(..., .clef_progress(progress, state, fn))
  if (!is.null(state$error)) stop(state$error)
  .clef_ok(r, fn)
}

# ---- recordings ---------------------------------------------------------------------------------

read_edf <- function(path) {
  if (!is.character(path) || length(path) != 1L || is.na(path)) {
    stop("read_edf: path must be one file name", call. = FALSE)
  }
  on.exit(.clef_log_flush())
  rec <- clef_recording_open(.clef_ctx(), path.expand(path), NULL)
  attr(rec, "path") <- path
  rec
}

.clef_file_type <- function(rec) {
  c("EDF", "EDF+C", "EDF+D", "BDF", "BDF+C", "BDF+D")[clef_recording_file_type(rec) + 1L]
}

.clef_live <- function(h) {
  !inherits(try(clef_recording_n_signals(h), silent = TRUE), "try-error")
}

print.clef_recording <- function(x, ...) {
  if (!.clef_live(x)) {
    cat("<clef_recording handle (freed)>\n")
    return(invisible(x))
  }
  ch <- channels(x)
  n_ann <- clef_recording_n_annotations(x)
  cat(sprintf("<clef_recording %s: %s, %d signals, %g s, %d of %d canonical channels, %d annotations>\n",
              if (is.null(attr(x, "path"))) "" else sQuote(attr(x, "path"), FALSE),
              .clef_file_type(x), nrow(ch), clef_recording_duration(x),
              sum(!is.na(ch$canonical)), clef_canonical_n_channels(), n_ann))
  invisible(x)
}

summary.clef_recording <- function(object, ...) {
  ch <- channels(object)
  structure(list(path = attr(object, "path"), type = .clef_file_type(object),
                 duration = clef_recording_duration(object),
                 start = clef_recording_start_iso(object), channels = ch,
                 missing = setdiff(clef_canonical_channels(), ch$canonical),
                 n_annotations = clef_recording_n_annotations(object),
                 warnings = vapply(seq_len(clef_recording_n_warnings(object)) - 1L,
                                   function(i) clef_recording_warning(object, i), "")),
            class = "summary.clef_recording")
}

print.summary.clef_recording <- function(x, ...) {
  cat(sprintf("%s recording%s, %g s from %s, %d annotations\n", x$type,
              if (is.null(x$path)) "" else paste0(" ", x$path), x$duration, x$start,
              x$n_annotations))
  print(x$channels[, c("index", "label", "unit", "rate", "canonical")], row.names = FALSE)
  if (length(x$missing)) cat("absent canonical channels:", paste(x$missing, collapse = ", "), "\n")
  for (w in x$warnings) cat("warning:", w, "\n")
  invisible(x)
}

.clef_na_str <- function(s) if (is.null(s) || is.na(s)) NA_character_ else s

channels <- function(rec) {
  n <- clef_recording_n_signals(rec)
  i0 <- seq_len(n) - 1L
  str <- function(f) vapply(i0, function(i) .clef_na_str(f(rec, i)), "")
  num <- function(f) vapply(i0, function(i) as.double(f(rec, i)), 0)
  rng <- lapply(i0, function(i) clef_recording_signal_range(rec, i))
  can <- num(clef_recording_signal_canonical)
  names <- clef_canonical_channels()
  data.frame(index = seq_len(n), label = str(clef_recording_signal_label),
             unit = str(clef_recording_signal_unit),
             rate = num(clef_recording_signal_rate),
             n_samples = num(clef_recording_signal_n_samples),
             phys_min = vapply(rng, `[[`, 0, "phys_min"),
             phys_max = vapply(rng, `[[`, 0, "phys_max"),
             transducer = str(clef_recording_signal_transducer),
             prefilter = str(clef_recording_signal_prefilter),
             canonical = ifelse(can < 0, NA_character_, names[pmax(can, 0) + 1L]),
             stringsAsFactors = FALSE)
}

annotations <- function(rec) {
  n <- clef_recording_n_annotations(rec)
  a <- lapply(seq_len(n) - 1L, function(k) clef_recording_annotation(rec, k))
  dur <- vapply(a, function(e) e$duration, 0)
  data.frame(onset = vapply(a, function(e) e$onset, 0),
             duration = ifelse(dur < 0, NA_real_, dur),
             text = vapply(a, function(e) .clef_na_str(e$text), ""), stringsAsFactors = FALSE)
}

read_signal <- function(rec, channels = NULL, start = 0, duration = NULL) {
  fn <- "read_signal"
  n <- clef_recording_n_signals(rec)
  labels <- vapply(seq_len(n) - 1L, function(i) clef_recording_signal_label(rec, i), "")
  idx <- if (is.null(channels)) seq_len(n) else .clef_index(channels, n, fn, labels = labels)
  if (!length(idx)) .clef_stopf(fn, "no channel selected")
  rates <- vapply(idx - 1L, function(i) clef_recording_signal_rate(rec, i), 0)
  if (length(unique(rates)) > 1L) {
    .clef_stopf(fn, "the channels have different rates (%s Hz); read them separately",
                paste(unique(rates), collapse = ", "))
  }
  fs <- rates[[1L]]
  n_all <- clef_recording_signal_n_samples(rec, idx[[1L]] - 1L)
  end <- if (is.null(duration)) n_all else min(round((start + duration) * fs), n_all)
  len <- max(end - round(start * fs), 1)
  r <- clef_recording_read_uv(rec, as.double(idx - 1L), length(idx), start,
                              if (is.null(duration)) -1 else duration, len)
  m <- r$out
  dim(m) <- c(len, length(idx))
  m <- m[seq_len(r$counts[[1L]]), , drop = FALSE]
  dimnames(m) <- list(time = NULL, channel = labels[idx])
  attr(m, "fs") <- fs
  attr(m, "start") <- start
  m
}

.clef_canonical_rate <- function() {
  p <- clef_params_create(.clef_ctx(), clef_const("CLEF_PARAMS_IO"))
  on.exit(clef_params_free(p))
  clef_param_get(p, "io.target_rate")
}

canonical_signal <- function(rec, start = 0, duration = NULL) {
  dn <- list(time = NULL, channel = clef_canonical_channels())
  m <- .clef_ok(.Call(C_idiom_canonical, rec, start, if (is.null(duration)) -1 else duration, dn),
                "clef_recording_read_canonical")
  attr(m, "fs") <- .clef_canonical_rate()
  attr(m, "start") <- start
  m
}

# ---- spectrogram ------------------------------------------------------------------------------

spectrogram <- function(x, fs = attr(x, "fs"), ..., sg = NULL, session = NULL) {
  fn <- "spectrogram"
  if (inherits(x, "clef_recording")) x <- canonical_signal(x)
  if (is.numeric(x) && is.null(dim(x))) x <- matrix(x, ncol = 1L)
  if (!is.matrix(x) || !(is.numeric(x) || is.logical(x))) {
    .clef_stopf(fn, "x must be a numeric matrix (samples x channels) or a clef_recording")
  }
  if (!is.double(x)) storage.mode(x) <- "double"
  session <- .clef_sess(session, fn)
  own <- is.null(sg)
  if (own) {
    p <- .clef_params_from("CLEF_PARAMS_SPEC", "spec.", c(list(fs = fs), list(...)))
    sg <- tryCatch(clef_spectrogram_create(.clef_ctx(), p), finally = clef_params_free(p))
    on.exit(clef_spectrogram_free(sg))
  } else {
    if (!inherits(sg, "clef_spectrogram")) .clef_stopf(fn, "sg must be a clef_spectrogram handle")
    if (length(list(...))) .clef_stopf(fn, "give settings or sg, not both")
    sg_fs <- clef_spectrogram_param_f64(sg, clef_const("CLEF_P_SPEC_FS"))
    if (!is.null(fs) && abs(fs - sg_fs) > 1e-9 * sg_fs) {
      .clef_stopf(fn, "x is sampled at %g Hz but sg takes %g Hz", fs, sg_fs)
    }
  }
  n_s <- nrow(x)
  n_f <- clef_spectrogram_n_freqs(sg)
  n_t <- clef_spectrogram_n_frames(sg, n_s)
  freqs <- clef_spectrogram_freqs(sg, n_f)$out
  times <- if (n_t > 0) clef_spectrogram_times(sg, n_s, n_t)$out + (attr(x, "start") %||% 0) else 0
  ch <- colnames(x)
  if (is.null(ch)) ch <- paste0("ch", seq_len(ncol(x)))
  dn <- list(time = as.character(times[seq_len(n_t)]), freq = as.character(freqs), channel = ch)
  out <- .clef_ok(.Call(C_idiom_spectrogram, sg, session, x, dn), "clef_spectrogram_compute")
  attr(out, "times") <- times
  attr(out, "freqs") <- freqs
  attr(out, "fs") <- clef_spectrogram_param_f64(sg, clef_const("CLEF_P_SPEC_FS"))
  attr(out, "scale") <- clef_spectrogram_param_str(sg, clef_const("CLEF_P_SPEC_SCALE"))
  attr(out, "db_min") <- clef_spectrogram_param_f64(sg, clef_const("CLEF_P_SPEC_DB_MIN"))
  class(out) <- "clef_specgram"
  out
}

`%||%` <- function(a, b) if (is.null(a)) b else a

.clef_absent <- function(x) {
  d <- dim(x)
  vapply(seq_len(d[[3L]]), function(c) is.na(unclass(x)[1L, 1L, c]), TRUE)
}

print.clef_specgram <- function(x, ...) {
  d <- dim(x)
  f <- attr(x, "freqs")
  t <- attr(x, "times")
  absent <- .clef_absent(x)
  cat(sprintf(paste0("<clef_specgram: %d frames (%g-%g s) x %d freqs (%g-%g Hz) x %d channels",
                     "%s, scale %s>\n"), d[[1L]], min(t), max(t), d[[2L]], min(f), max(f),
              d[[3L]], if (any(absent)) sprintf(" (%d absent)", sum(absent)) else "",
              attr(x, "scale")))
  invisible(x)
}

summary.clef_specgram <- function(object, ...) {
  x <- unclass(object)
  d <- dim(x)
  s <- vapply(seq_len(d[[3L]]), function(c) {
    v <- x[, , c]
    c(mean(v), min(v), max(v))
  }, c(0, 0, 0))
  data.frame(channel = dimnames(x)[[3L]], present = !.clef_absent(object), mean = s[1L, ],
             min = s[2L, ], max = s[3L, ], stringsAsFactors = FALSE)
}

plot.clef_specgram <- function(x, channel = 1L, col = grDevices::hcl.colors(64, "viridis"),
                               xlab = "Time (s)", ylab = "Frequency (Hz)", main = NULL, ...) {
  labels <- dimnames(x)[[3L]]
  c <- .clef_index(channel, length(labels), "plot.clef_specgram", labels = labels)
  if (length(c) != 1L) stop("plot.clef_specgram: give one channel", call. = FALSE)
  z <- unclass(x)[, , c]
  if (all(is.na(z))) stop(sprintf("plot.clef_specgram: channel %s is absent", labels[[c]]),
                          call. = FALSE)
  graphics::image(attr(x, "times"), attr(x, "freqs"), z, col = col, xlab = xlab, ylab = ylab,
                  main = if (is.null(main)) labels[[c]] else main, ...)
  invisible(x)
}

# ---- sessions, tokenizer ----------------------------------------------------------------------

new_session <- function(n_threads = 1L) {
  if (!is.numeric(n_threads) || length(n_threads) != 1L || is.na(n_threads) || n_threads < 1) {
    stop("new_session: n_threads must be one number >= 1", call. = FALSE)
  }
  clef_session_create(.clef_ctx(), as.integer(n_threads))
}

load_tokenizer <- function(path = NULL) {
  ctx <- .clef_ctx()
  if (is.null(path)) {
    path <- clef_default_model_path(ctx, clef_const("CLEF_MODEL_TOKENIZER"), 4096)$buf
  }
  on.exit(.clef_log_flush())
  tok <- clef_tokenizer_load(ctx, path.expand(path))
  attr(tok, "path") <- path
  tok
}

tokenize <- function(tok, x, session = NULL) {
  fn <- "tokenize"
  if (!inherits(tok, "clef_tokenizer")) .clef_stopf(fn, "tok must come from load_tokenizer()")
  s <- .clef_sess(session, fn)
  n <- clef_tokenizer_n_tokens(tok)
  on.exit(.clef_log_flush())
  if (inherits(x, "clef_recording")) {
    sg <- clef_tokenizer_spectrogram_create(.clef_ctx(), tok)
    on.exit(clef_spectrogram_free(sg), add = TRUE)
    r <- clef_tokenizer_encode_recording(tok, s, sg, x, n)
    present <- bitwAnd(r$present_mask, bitwShiftL(1L, seq_along(clef_canonical_channels()) - 1L))
    present <- stats::setNames(present != 0L, clef_canonical_channels())
  } else if (inherits(x, "clef_specgram")) {
    d <- dim(x)
    present <- stats::setNames(!.clef_absent(x), dimnames(x)[[3L]])
    v <- unclass(x)
    if (any(!present)) v[, , !present] <- attr(x, "db_min")
    r <- clef_tokenizer_encode(tok, s, v, d[[3L]], d[[2L]], d[[1L]], n, 0)
  } else {
    .clef_stopf(fn, "x must be a clef_recording (read_edf()) or a clef_specgram (spectrogram())")
  }
  shape <- clef_tokenizer_shape(tok)
  structure(list(ids = r$ids[seq_len(r$needed)], present = present, grid_f = shape$grid_f,
                 grid_t = shape$grid_t), class = "clef_tokens")
}

print.clef_tokens <- function(x, ...) {
  cat(sprintf("<clef_tokens: %d ids (grid %d x %d + %d session-mean), %d of %d channels present>\n",
              length(x$ids), x$grid_f, x$grid_t, length(x$ids) - x$grid_f * x$grid_t,
              sum(x$present), length(x$present)))
  invisible(x)
}

# ---- cohorts and stores -----------------------------------------------------------------------

generate_cohort <- function(dir, seed = 1, n_patients = 20, ..., session = NULL, progress = NULL) {
  fn <- "generate_cohort"
  p <- .clef_params_from("CLEF_PARAMS_COHORT", "cohort.",
                         c(list(seed = seed, n_patients = n_patients), list(...)))
  on.exit(clef_params_free(p))
  s <- .clef_sess(session, fn)
  .clef_with_progress("clef_cohort_generate", progress, function(...) {
    .Call(C_idiom_cohort_generate, ...)
  }, s, p, path.expand(dir))
  invisible(normalizePath(dir))
}

read_cohort <- function(dir) {
  f <- file.path(dir, "manifest.csv")
  if (!file.exists(f)) stop(sprintf("read_cohort: %s has no manifest.csv", dir), call. = FALSE)
  m <- utils::read.csv(f, stringsAsFactors = FALSE)
  attr(m, "dir") <- normalizePath(dir)
  m
}

open_store <- function(path) {
  on.exit(.clef_log_flush())
  s <- clef_store_open(.clef_ctx(), path.expand(path))
  attr(s, "path") <- path
  s
}

ingest <- function(store, cohort_dir, progress = NULL) {
  invisible(.clef_with_progress("clef_store_import_cohort", progress, function(...) {
    .Call(C_idiom_store_import, ...)
  }, store, path.expand(cohort_dir)))
}

embed_bandpower <- function(store, progress = NULL) {
  invisible(.clef_with_progress("clef_bandpower_job_run", progress, function(...) {
    .Call(C_idiom_bandpower_job_run, ...)
  }, .clef_ctx(), store))
}

tasks <- function(store) {
  n <- clef_store_count(store, clef_const("CLEF_STORE_TASKS"))
  vapply(seq_len(n) - 1L, function(i) clef_store_task_name(store, i, 256)$buf, "")
}

# ---- evaluation -------------------------------------------------------------------------------

.clef_labels01 <- function(labels, fn) {
  if (is.factor(labels)) {
    if (nlevels(labels) != 2L) .clef_stopf(fn, "a factor of labels needs 2 levels")
    return(as.integer(labels) - 1L)
  }
  if (is.logical(labels)) return(as.integer(labels))
  if (!is.numeric(labels) || any(!labels %in% c(0, 1, NA))) {
    .clef_stopf(fn, "labels must be 0/1, logical or a 2-level factor")
  }
  as.integer(labels)
}

.clef_pairs <- function(scores, labels, na.rm, fn) {
  if (!is.numeric(scores)) .clef_stopf(fn, "scores must be numeric")
  y <- .clef_labels01(labels, fn)
  if (length(scores) != length(y)) {
    .clef_stopf(fn, "scores (%d) and labels (%d) differ in length", length(scores), length(y))
  }
  keep <- !is.na(scores) & !is.na(y)
  if (!all(keep) && !na.rm) .clef_stopf(fn, "NA in scores or labels (na.rm = FALSE)")
  list(s = as.double(scores[keep]), y = y[keep])
}

auroc <- function(scores, labels, na.rm = TRUE, ci = FALSE, level = 0.95, n_boot = 1000,
                  seed = 0) {
  p <- .clef_pairs(scores, labels, na.rm, "auroc")
  ctx <- .clef_ctx()
  a <- clef_auroc(ctx, p$s, p$y, length(p$s))
  if (isTRUE(ci)) {
    b <- clef_auroc_ci(ctx, p$s, p$y, length(p$s), n_boot, seed, level)
    attr(a, "conf.int") <- c(b$lo, b$hi)
    attr(a, "conf.level") <- level
  }
  a
}

roc_curve <- function(scores, ...) UseMethod("roc_curve")

roc_curve.default <- function(scores, labels, na.rm = TRUE, ...) {
  p <- .clef_pairs(scores, labels, na.rm, "roc_curve")
  o <- order(p$s, decreasing = TRUE)
  s <- p$s[o]
  y <- p$y[o]
  last <- c(s[-1L] != s[-length(s)], TRUE) # the last of each run of tied scores
  tp <- cumsum(y)[last]
  fp <- cumsum(1L - y)[last]
  n_pos <- sum(y)
  n_neg <- length(y) - n_pos
  structure(data.frame(threshold = c(Inf, s[last]), fpr = c(0, fp / n_neg),
                       tpr = c(0, tp / n_pos)),
            auc = auroc(p$s, p$y), n_pos = n_pos, n_neg = n_neg,
            class = c("clef_roc", "data.frame"))
}

print.clef_roc <- function(x, ...) {
  cat(sprintf("<clef_roc: %d points, AUROC %.4f (%d positives, %d negatives)>\n", nrow(x),
              attr(x, "auc"), attr(x, "n_pos"), attr(x, "n_neg")))
  d <- as.data.frame(x)
  print(utils::head(d, 10L), ...)
  if (nrow(d) > 10L) cat(sprintf("... %d more rows\n", nrow(d) - 10L))
  invisible(x)
}

plot.clef_roc <- function(x, add = FALSE, col = 1, main = "ROC curve", ...) {
  if (add) {
    graphics::lines(x$fpr, x$tpr, type = "s", col = col, ...)
  } else {
    graphics::plot(x$fpr, x$tpr, type = "s", xlim = c(0, 1), ylim = c(0, 1), col = col,
                   xlab = "False positive rate", ylab = "True positive rate", main = main, ...)
    graphics::abline(0, 1, lty = 2, col = "grey")
  }
  invisible(x)
}

.clef_evaluator <- function(n_boot, seed, level, c_grid) {
  ev <- clef_eval_create(.clef_ctx())
  clef_eval_set_bootstrap(ev, n_boot, seed, level)
  if (!is.null(c_grid)) clef_eval_set_c_grid(ev, as.double(c_grid), length(c_grid))
  ev
}

# The evaluator's tasks as a data frame (one row per task) with each task's test scores.
.clef_eval_frame <- function(ev, level) {
  n <- clef_eval_n_tasks(ev)
  i0 <- seq_len(n) - 1L
  res <- lapply(i0, function(i) clef_eval_task_result(ev, i))
  bal <- lapply(i0, function(i) clef_eval_task_balance(ev, i))
  names <- vapply(i0, function(i) clef_eval_task_name(ev, i, 4096)$buf, "")
  get <- function(l, k) vapply(l, function(e) as.double(e[[k]]), 0)
  status <- vapply(res, function(e) as.integer(e$status), 0L)
  scores <- lapply(seq_len(n), function(i) {
    if (status[[i]] != 0L) return(NULL)
    r <- clef_eval_task_scores(ev, i - 1L, res[[i]]$n_test)
    data.frame(prob = r$prob, label = r$labels)
  })
  names(scores) <- names
  df <- data.frame(task = names, n_train = get(res, "n_train"), n_val = get(res, "n_val"),
                   n_test = get(res, "n_test"), auroc = get(res, "auroc"),
                   ci_lo = get(res, "ci_lo"), ci_hi = get(res, "ci_hi"), C = get(res, "c"),
                   smd_age = get(bal, "smd_age"), smd_sex = get(bal, "smd_sex"),
                   status = ifelse(status == 0L, "ok",
                                   tolower(sub("^CLEF_ERR_", "", vapply(status, .clef_status_name, "")))),
                   stringsAsFactors = FALSE)
  structure(df, scores = scores, conf.level = level, means = .clef_eval_means(ev, names, status),
            class = c("clef_evaluation", "data.frame"))
}

# Task categories: each distinct name prefix up to its first "_" (dis_, med_, feat_).
.clef_categories <- function(names) {
  p <- regmatches(names, regexpr("^[^_]*_", names))
  unique(p)
}

# The mean AUROC over all evaluated tasks and over each category, with bootstrap CIs
# (clef_eval_mean_ci: every task's test sessions resampled). NULL when none was evaluated.
.clef_eval_means <- function(ev, names, status) {
  if (!any(status == 0L)) return(NULL)
  cats <- c("all", .clef_categories(names[status == 0L]))
  rows <- lapply(cats, function(cat) {
    m <- clef_eval_mean_ci(ev, if (cat == "all") NULL else cat)
    data.frame(category = cat, n_tasks = as.double(m$n_tasks), mean = m$mean, ci_lo = m$lo,
               ci_hi = m$hi, stringsAsFactors = FALSE)
  })
  do.call(rbind, rows)
}

evaluate <- function(x, labels, split, n_boot = 1000, seed = 0, level = 0.95, c_grid = NULL) {
  fn <- "evaluate"
  if (!is.matrix(x) || !is.numeric(x)) .clef_stopf(fn, "x must be a numeric matrix (sessions x dim)")
  labels <- as.data.frame(labels)
  if (nrow(labels) != nrow(x) || length(split) != nrow(x)) {
    .clef_stopf(fn, "x, labels and split must have one row (entry) per session")
  }
  split <- as.character(split)
  if (any(!split %in% c("train", "val", "test", NA))) {
    .clef_stopf(fn, "split must be 'train', 'val', 'test' or NA")
  }
  ev <- .clef_evaluator(n_boot, seed, level, c_grid)
  on.exit(clef_eval_free(ev))
  ok_x <- stats::complete.cases(x)
  for (task in names(labels)) {
    y <- .clef_labels01(labels[[task]], fn)
    part <- function(name) {
      rows <- which(split == name & !is.na(y) & ok_x)
      list(x = as.vector(t(x[rows, , drop = FALSE])), y = y[rows], n = length(rows))
    }
    tr <- part("train")
    va <- part("val")
    te <- part("test")
    clef_eval_add_task(ev, task, tr$x, tr$y, tr$n, va$x, va$y, va$n, te$x, te$y, te$n, ncol(x))
  }
  .clef_eval_frame(ev, level)
}

evaluate_store <- function(store, kind = c("bandpower", "embedding", "tokens", "spectrogram"),
                           model_hash = NULL, n_boot = 1000, seed = 0, level = 0.95,
                           c_grid = NULL, progress = NULL) {
  kind <- match.arg(kind)
  if (kind == "bandpower") {
    if (is.null(model_hash)) model_hash <- clef_bandpower_model_hash()
    kind <- "embedding"
  }
  if (is.null(model_hash)) stop("evaluate_store: give model_hash", call. = FALSE)
  k <- clef_const(paste0("CLEF_ARTIFACT_", toupper(kind)))
  ev <- .clef_evaluator(n_boot, seed, level, c_grid)
  on.exit(clef_eval_free(ev))
  .clef_with_progress("clef_eval_run_store", progress, function(...) {
    .Call(C_idiom_eval_run_store, ...)
  }, ev, store, k, model_hash)
  .clef_eval_frame(ev, level)
}

compare_store <- function(store, model_hash, versus = "bandpower", kind = "embedding",
                          n_boot = 1000, seed = 0, level = 0.95, c_grid = NULL) {
  fn <- "compare_store"
  if (!is.character(model_hash) || length(model_hash) != 1L || !is.character(versus) ||
      length(versus) != 1L) {
    .clef_stopf(fn, "model_hash and versus must be single strings")
  }
  k <- clef_const(paste0("CLEF_ARTIFACT_", toupper(kind)))
  hash <- function(h) if (h == "bandpower") clef_bandpower_model_hash() else h
  evs <- lapply(c(model_hash, versus), function(h) {
    ev <- .clef_evaluator(n_boot, seed, level, c_grid)
    tryCatch(clef_eval_run_store(ev, store, k, hash(h)), error = function(e) {
      clef_eval_free(ev)
      stop(e)
    })
    ev
  })
  on.exit(lapply(evs, clef_eval_free))
  n <- clef_eval_n_tasks(evs[[1L]])
  names <- vapply(seq_len(n) - 1L, function(i) clef_eval_task_name(evs[[1L]], i, 4096)$buf, "")
  rows <- lapply(c("all", .clef_categories(names)), function(cat) {
    d <- clef_eval_compare(evs[[1L]], evs[[2L]], if (cat == "all") NULL else cat)
    data.frame(category = cat, n_tasks = as.double(d$n_tasks), diff = d$diff, ci_lo = d$lo,
               ci_hi = d$hi, stringsAsFactors = FALSE)
  })
  structure(do.call(rbind, rows), conf.level = level, model_hash = model_hash, versus = versus)
}

print.clef_evaluation <- function(x, digits = 3, ...) {
  cols <- c("task", "n_test", "auroc", "ci_lo", "ci_hi", "C", "status")
  if (!all(cols %in% names(x))) { # a subset of the columns: a plain data frame
    print(as.data.frame(x), digits = digits, ...)
    return(invisible(x))
  }
  ok <- x$status == "ok"
  cat(sprintf("<clef_evaluation: %d tasks, %d evaluated, mean AUROC %s (%g%% CIs)>\n", nrow(x),
              sum(ok), if (any(ok)) format(mean(x$auroc[ok]), digits = digits) else "NA",
              100 * attr(x, "conf.level")))
  print(as.data.frame(x)[, cols], digits = digits, row.names = FALSE)
  m <- attr(x, "means")
  if (!is.null(m)) {
    cat("means over tasks (bootstrap CIs resampling every task's test sessions):\n")
    print(m, digits = digits, row.names = FALSE)
  }
  invisible(x)
}

summary.clef_evaluation <- function(object, ...) {
  ok <- object$status == "ok"
  c(n_tasks = nrow(object), n_evaluated = sum(ok),
    mean_auroc = if (any(ok)) mean(object$auroc[ok]) else NA_real_,
    min_auroc = if (any(ok)) min(object$auroc[ok]) else NA_real_,
    max_auroc = if (any(ok)) max(object$auroc[ok]) else NA_real_)
}

roc_curve.clef_evaluation <- function(scores, task = 1L, ...) {
  sc <- attr(scores, "scores")
  i <- .clef_index(task, length(sc), "roc_curve", "task", names(sc))
  if (length(i) != 1L) stop("roc_curve: give one task", call. = FALSE)
  if (is.null(sc[[i]])) {
    stop(sprintf("roc_curve: task %s was not evaluated (%s)", names(sc)[[i]],
                 scores$status[[i]]), call. = FALSE)
  }
  roc_curve.default(sc[[i]]$prob, sc[[i]]$label)
}

plot.clef_evaluation <- function(x, tasks = NULL, ...) {
  ok <- which(x$status == "ok")
  if (!is.null(tasks)) ok <- intersect(ok, .clef_index(tasks, nrow(x), "plot", "task", x$task))
  if (!length(ok)) stop("plot.clef_evaluation: no evaluated task", call. = FALSE)
  cols <- grDevices::hcl.colors(length(ok), "Dark 3")
  for (k in seq_along(ok)) {
    plot(roc_curve(x, ok[[k]]), add = k > 1L, col = cols[[k]], ...)
  }
  graphics::legend("bottomright", legend = sprintf("%s (%.2f)", x$task[ok], x$auroc[ok]),
                   col = cols, lty = 1, cex = 0.7, bty = "n")
  invisible(x)
}
