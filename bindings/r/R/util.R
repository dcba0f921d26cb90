# Hand-written support for the generated wrappers in R/ffi.R, and a thin R layer.

# The glue library is loaded here rather than by useDynLib in NAMESPACE: OpenBLAS reads
# OPENBLAS_CORETYPE once, when it loads with libclef, so the kernel family for this CPU is set
# first (docs/NN.md). The registered routines become the namespace's C_* objects, as
# useDynLib(.registration = TRUE) would make them.
.onLoad <- function(libname, pkgname) {
  .clef_blas_select()
  dll <- library.dynam("clef", pkgname, libname)
  ns <- parent.env(environment())
  routines <- getDLLRegisteredRoutines(dll)$.Call
  for (nm in names(routines)) assign(nm, routines[[nm]], envir = ns)
  .clef_check_abi(.Call(C_clef_abi_version)[[1L]], .clef_abi_generated)
}

.onUnload <- function(libpath) {
  .clef_free_state() # the package ctx's log callback lives in the library being unloaded
  library.dynam.unload("clef", libpath)
}

# When R's own BLAS is the same OpenBLAS (Debian's default), R loaded it at start with the kernel
# it chose then, and setting OPENBLAS_CORETYPE here is too late: say once how to fix it.
.onAttach <- function(libname, pkgname) {
  msg <- .clef_blas_late(clef_blas_kernel(), clef_blas_coretype())
  if (!is.null(msg)) packageStartupMessage(msg)
}

# OpenBLAS kernel families by vector width, as kernel_level() in lib/core/cpu.c: 0 SSE, 1 AVX,
# 2 AVX2+FMA; any other name (SkylakeX, Cooperlake, SapphireRapids, ...) is 3.
.clef_kernel_level <- function(kernel) {
  levels <- list(c("prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "barcelona",
                   "opteron", "katmai", "northwood", "banias"),
                 c("sandybridge", "bulldozer", "piledriver", "steamroller", "excavator"),
                 c("haswell", "zen"))
  k <- tolower(kernel)
  for (i in seq_along(levels)) if (any(startsWith(k, levels[[i]]))) return(i - 1L)
  3L
}

# The advice when R's OpenBLAS runs narrower kernels than the CPU's (a family as wide, e.g.
# Cooperlake on an AVX-512 CPU, runs SkylakeX's SGEMM: nothing to say).
.clef_blas_late <- function(kernel, fit) {
  if (is.null(fit) || is.na(fit) || .clef_kernel_level(kernel) >= .clef_kernel_level(fit) ||
      identical(Sys.getenv("CLEF_BLAS_SELECT"), "0") ||
      tolower(Sys.getenv("OPENBLAS_CORETYPE")) != tolower(fit)) {
    return(NULL)
  }
  sprintf(paste0("clef: R loaded OpenBLAS at start with its %s kernels, on a CPU that runs %s's: ",
                 "GEMM runs several times slower. Set OPENBLAS_CORETYPE=%s in the environment ",
                 "that starts R (shell profile, service unit; ~/.Renviron is read too late). ",
                 "See docs/NN.md."), kernel, fit, fit)
}

# OpenBLAS's kernel family for a set of Linux CPU flags (/proc/cpuinfo lists what both the CPU
# and the OS support): the choice of clef_blas_coretype(), which reads cpuid but needs libclef,
# and so OpenBLAS, loaded.
.clef_coretype_from_flags <- function(flags) {
  has <- function(...) all(c(...) %in% flags)
  if (has("avx512f", "avx512dq", "avx512bw", "avx512vl")) return("SkylakeX")
  if (has("avx2", "fma")) return("Haswell")
  if (has("avx")) return("Sandybridge")
  NA_character_
}

.clef_cpu_flags <- function(path = "/proc/cpuinfo") {
  lines <- if (file.exists(path)) readLines(path, warn = FALSE) else character()
  line <- grep("^flags", lines, value = TRUE)
  if (!length(line)) return(character())
  strsplit(trimws(sub("^[^:]*:", "", line[[1L]])), "[[:space:]]+")[[1L]]
}

# Set OPENBLAS_CORETYPE for this CPU unless it is set or CLEF_BLAS_SELECT=0 (as the clef program
# and the Python package do); returns the value set or NA, invisibly.
.clef_blas_select <- function() {
  if (Sys.info()[["sysname"]] != "Linux" ||
      !is.na(Sys.getenv("OPENBLAS_CORETYPE", unset = NA)) ||
      identical(Sys.getenv("CLEF_BLAS_SELECT"), "0")) {
    return(invisible(NA_character_))
  }
  core <- .clef_coretype_from_flags(.clef_cpu_flags())
  if (!is.na(core)) Sys.setenv(OPENBLAS_CORETYPE = core)
  invisible(core)
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
