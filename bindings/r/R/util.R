# Hand-written support for the generated wrappers in R/ffi.R, and a thin R layer.

.onLoad <- function(libname, pkgname) {
  .clef_check_abi(.Call(C_clef_abi_version)[[1L]], .clef_abi_generated)
}

# Refuse a libclef whose ABI differs from the one the glue was generated for.
.clef_check_abi <- function(abi, generated) {
  if (!identical(as.integer(abi), as.integer(generated))) {
    stop(sprintf(paste0("libclef has ABI version %d but the clef package was generated for ",
                        "ABI %d; reinstall the package against this libclef"),
                 as.integer(abi), as.integer(generated)), call. = FALSE)
  }
  invisible(TRUE)
}

# Turn a glue result list(value, errmsg, outs...) into the R return value; a negative status
# signals a clef_error condition (after the C side has released everything it held).
.clef_result <- function(r, fn, status, outs) {
  value <- r[[1L]]
  if (status && value < 0L) {
    msg <- r[[2L]]
    if (is.null(msg) || is.na(msg) || !nzchar(msg)) msg <- .Call(C_clef_strerror, value)[[1L]]
    .clef_stop(fn, value, msg)
  }
  n <- length(outs)
  if (n == 0L) {
    if (status || is.null(value)) return(invisible(value))
    return(value)
  }
  o <- r[-(1:2)]
  names(o) <- outs
  if (n == 1L) o[[1L]] else o
}

.clef_status_name <- function(status) {
  k <- .clef_constants
  hit <- names(k)[startsWith(names(k), "CLEF_ERR_") & unlist(k) == status]
  if (length(hit)) hit[[1L]] else sprintf("status %d", status)
}

.clef_stop <- function(fn, status, msg) {
  name <- .clef_status_name(status)
  cls <- c(paste0("clef_error_", tolower(sub("^CLEF_ERR_", "", name))), "clef_error",
           "error", "condition")
  stop(structure(class = cls,
                 list(message = sprintf("%s: %s (%s)", fn, msg, name), call = NULL,
                      status = status, fn = fn)))
}

clef_error <- function(fn, status, msg) .clef_stop(fn, as.integer(status), msg)

clef_const <- function(name) {
  v <- .clef_constants[[name]]
  if (is.null(v)) stop(sprintf("unknown libclef constant '%s'", name), call. = FALSE)
  v
}

print.clef_handle <- function(x, ...) {
  cat(sprintf("<%s handle>\n", class(x)[[1L]]))
  invisible(x)
}

# Parameter sets by key name ------------------------------------------------------------------

.clef_param_key <- function(key) {
  if (is.character(key)) clef_param_lookup(key) else as.integer(key)
}

clef_param_get <- function(p, key) {
  k <- .clef_param_key(key)
  info <- clef_param_info(k)
  switch(as.character(info$type),
         "1" = clef_params_get_i64(p, k),
         "2" = clef_params_get_f64(p, k),
         "3" = clef_params_get_str(p, k))
}

clef_param_set <- function(p, key, value) {
  k <- .clef_param_key(key)
  info <- clef_param_info(k)
  switch(as.character(info$type),
         "1" = clef_params_set_i64(p, k, value),
         "2" = clef_params_set_f64(p, k, value),
         "3" = clef_params_set_str(p, k, value))
  invisible(p)
}
