# The clef command beside the library under test (CLEF_LIBRARY), or the one on PATH.
clef_cli <- function() {
  lib <- Sys.getenv("CLEF_LIBRARY")
  exe <- if (nzchar(lib)) file.path(dirname(dirname(normalizePath(lib))), "bin", "clef") else ""
  if (nzchar(exe) && file.exists(exe)) exe else Sys.which("clef")
}
