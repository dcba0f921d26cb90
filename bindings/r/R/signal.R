# Matrix layer over the recording, stream and spectrogram APIs. Signals are numeric matrices
# of channels x samples; the wrappers give libclef its channel-major float layout.

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

clef_spectrogram_matrix <- function(sg, x) {
  .clef_check_matrix(x, "clef_spectrogram_matrix")
  n_ch <- nrow(x)
  n_s <- ncol(x)
  n_f <- .clef_fn("clef_spectrogram_n_freqs")(sg)
  n_t <- .clef_fn("clef_spectrogram_n_frames")(sg, n_s)
  r <- .clef_fn("clef_spectrogram_compute")(sg, as.vector(t(x)), n_s, n_ch, n_s,
                                            n_ch * n_f * n_t)
  # C order [n_ch][n_freqs][n_frames] is R's [n_frames, n_freqs, n_ch]
  aperm(array(r$out, dim = c(n_t, n_f, n_ch)), c(3L, 2L, 1L))
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
