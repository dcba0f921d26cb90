# The clef command beside the library under test (CLEF_LIBRARY), or the one on PATH.
clef_cli <- function() {
  lib <- Sys.getenv("CLEF_LIBRARY")
  exe <- if (nzchar(lib)) file.path(dirname(dirname(normalizePath(lib))), "bin", "clef") else ""
  if (nzchar(exe) && file.exists(exe)) exe else Sys.which("clef")
}

# Environment for running the clef command from a test: the library under test on the loader
# path (an installed clef command has no rpath) and this process's BLAS kernel (the same GEMM
# rounding, whichever OpenBLAS chose when R started). Returns a function that restores it.
clef_cli_env <- function() {
  lib <- Sys.getenv("CLEF_LIBRARY")
  old_path <- Sys.getenv("LD_LIBRARY_PATH")
  if (nzchar(lib)) {
    Sys.setenv(LD_LIBRARY_PATH = paste(dirname(normalizePath(lib)), old_path, sep = ":"))
  }
  old_core <- Sys.getenv("OPENBLAS_CORETYPE", unset = NA)
  Sys.setenv(OPENBLAS_CORETYPE = clef_blas_kernel())
  function() {
    Sys.setenv(LD_LIBRARY_PATH = old_path)
    if (is.na(old_core)) Sys.unsetenv("OPENBLAS_CORETYPE") else
      Sys.setenv(OPENBLAS_CORETYPE = old_core)
  }
}
