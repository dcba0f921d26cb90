# Matrix layer over the recording, stream, spectrogram and tokenizer APIs. Signals are numeric
# matrices of channels x samples; the wrappers give libclef its channel-major float layout.
# Compute calls run on a clef_session (one thread's threads, scratch and last error).

.clef_fn <- function(name) {
  ns <- asNamespace("clef")
  if (!exists(name, envir = ns, inherits = FALSE)) {
    stop(sprintf("this libclef has no %s", name), call. = FALSE)
  }
  get(name, envir = ns, inherits = FALSE)
}

.clef_check_matrix <- function(x, fn) {
  if (!is.matrix(x) || !is.numeric(x)) {
    stop(sprintf("%s: x must be a numeric matrix (channels x samples)", fn), call. = FALSE)
  }
  if (anyNA(x)) stop(sprintf("%s: x contains NA", fn), call. = FALSE)
}

clef_canonical_channels <- function() {
  n <- .clef_fn("clef_canonical_n_channels")()
  vapply(seq_len(n) - 1L, .clef_fn("clef_canonical_channel_name"), "")
}

# The caller's session, or (session NULL) a new 1-thread one on a fresh ctx, freed by the
# caller through the returned cleanup function.
.clef_session_or_temp <- function(session) {
  if (!is.null(session)) return(list(s = session, free = function() invisible(NULL)))
  ctx <- clef_ctx_create()
  s <- tryCatch(clef_session_create(ctx, 1L), error = function(e) {
    clef_ctx_free(ctx)
    stop(e)
  })
  clef_ctx_free(ctx) # the session keeps its ctx alive inside libclef
  list(s = s, free = function() clef_session_free(s))
}

clef_spectrogram_matrix <- function(sg, x, session = NULL) {
  .clef_check_matrix(x, "clef_spectrogram_matrix")
  n_ch <- nrow(x)
  n_s <- ncol(x)
  n_f <- .clef_fn("clef_spectrogram_n_freqs")(sg)
  n_t <- .clef_fn("clef_spectrogram_n_frames")(sg, n_s)
  ss <- .clef_session_or_temp(session)
  on.exit(ss$free())
  r <- .clef_fn("clef_spectrogram_compute")(sg, ss$s, as.vector(t(x)), n_s, n_ch, n_s,
                                            n_ch * n_f * n_t)
  # C order [n_ch][n_freqs][n_frames] is R's [n_frames, n_freqs, n_ch]
  aperm(array(r$out, dim = c(n_t, n_f, n_ch)), c(3L, 2L, 1L))
}

clef_tokenize_recording <- function(tok, session, sg, rec) {
  n <- .clef_fn("clef_tokenizer_n_tokens")(tok)
  r <- .clef_fn("clef_tokenizer_encode_recording")(tok, session, sg, rec, n)
  list(ids = r$ids[seq_len(r$needed)], present_mask = r$present_mask)
}

clef_read_canonical <- function(rec, t_start = 0, duration = -1) {
  n <- .clef_fn("clef_recording_canonical_length")(rec, t_start, duration)
  n_ch <- length(clef_canonical_channels())
  r <- .clef_fn("clef_recording_read_canonical")(rec, t_start, duration, n, n_ch * n)
  m <- t(matrix(r$out, ncol = n_ch))
  rownames(m) <- clef_canonical_channels()
  attr(m, "present_mask") <- r$present_mask
  m
}

clef_stream_push_matrix <- function(st, x) {
  .clef_check_matrix(x, "clef_stream_push_matrix")
  counts <- rep(ncol(x), nrow(x))
  invisible(.clef_fn("clef_stream_push_planar")(st, as.vector(t(x)), ncol(x), counts))
}

clef_stream_pull_matrix <- function(st) {
  n <- .clef_fn("clef_stream_available")(st)
  n_ch <- length(clef_canonical_channels())
  r <- .clef_fn("clef_stream_pull")(st, n, n)
  m <- t(matrix(r$out, ncol = n_ch))[, seq_len(r$n_out), drop = FALSE]
  rownames(m) <- clef_canonical_channels()
  m
}
