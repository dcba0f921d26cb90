#!/usr/bin/env bash
# Stage: Python and R bindings (issue 9). Runs after the C suites (tools/run_tests.sh) on
# build/release's libclef:
#   1. generator unit tests and the drift check (committed bindings == regenerated, and every
#      exported function bound);
#   2. libclef installed into build/bindings/prefix (pkg-config for R), C reference values;
#   3. pip install bindings/python into build/venv, pytest, Python quick-start and examples;
#   4. R CMD build (with the knitr vignette) + R CMD check --no-manual (Status: OK: no error,
#      warning or note; runs testthat and the vignette), the R quick-start page's code
#      (tools/r/doc_blocks.awk, the same as bindings/r/inst/examples/quickstart.R) and examples.
#      The aligner's tests and zero-shot examples need the text encoder (build/minilm, or
#      $CLEF_MINILM_DIR) and skip without it.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
venv="$root/build/venv"
rel="${CLEF_BINDINGS_BUILD:-$root/build/release}"  # the libclef build to bind
out="$root/build/bindings"

if [ ! -e "$rel/lib/libclef.so" ]; then
  cmake -S . -B "$rel" -DCMAKE_BUILD_TYPE=Release > /dev/null
  cmake --build "$rel" -j "$(nproc)" > /dev/null
fi

echo "-- generator unit tests"
"$venv/bin/python" -m pytest -q -p no:cacheprovider tools/gen_bindings/test_gen_bindings.py

echo "-- drift check"
PYTHON="$venv/bin/python" bash tools/gen_bindings/check_drift.sh "$rel/lib/libclef.so"

echo "-- install libclef for the bindings"
rm -rf "$out"
mkdir -p "$out"
cmake --install "$rel" --prefix "$out/prefix" > /dev/null
libdir="$out/prefix/lib"
[ -e "$libdir/libclef.so" ] || libdir="$(dirname "$(find "$out/prefix" -name 'libclef.so' | head -1)")"
# C reference values: core always; io and dsp when the header declares those APIs.
ref="$out/reference"
mkdir -p "$ref"
# (tools/cli/cli_blas.c: OpenBLAS's kernel family for the CPU, as the clef program and bindings)
cref() {
  cc -std=c11 -Wall -Wextra -Werror -I"$out/prefix/include" -Itools/cli "bindings/c_reference/$1.c" \
     tools/cli/cli_blas.c -L"$libdir" -lclef -Wl,-rpath,"$libdir" -o "$out/$1"
}
cref c_reference && "$out/c_reference" > "$ref/core.txt"
if grep -q 'clef_stream_pull' include/clef.h; then
  cref c_reference_io && "$out/c_reference_io" "$root/tests/data/test_generator.bdf" "$ref"
fi
if grep -q 'clef_spectrogram_compute' include/clef.h; then
  cref c_reference_dsp && "$out/c_reference_dsp" "$ref"
fi
export CLEF_C_REFERENCE_DIR="$ref"
abi=$(sed -n 's/^#define CLEF_ABI_VERSION \([0-9]*\)$/\1/p' include/clef.h)
export CLEF_LIBRARY="$libdir/libclef.so.$abi"  # the SONAME follows the ABI (docs/ABI.md)
# The text encoder for the aligner tests (tools/install_deps.sh fetches it); they skip without.
if [ -z "${CLEF_MINILM_DIR:-}" ] && [ -f "$root/build/minilm/model.safetensors" ]; then
  export CLEF_MINILM_DIR="$root/build/minilm"
fi
# text_example DIR COMMAND...: run an example that needs the text encoder in a scratch DIR.
text_example() {
  local dir="$1"
  shift
  if [ -z "${CLEF_MINILM_DIR:-}" ]; then
    echo "${!#}: skipped (no text encoder in build/minilm or \$CLEF_MINILM_DIR)"
    return 0
  fi
  mkdir -p "$dir" && (cd "$dir" && CLEF_TEXT_MODEL="$CLEF_MINILM_DIR" "$@")
}

echo "-- Python: pip install, pytest, quick-start"
"$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation \
  --force-reinstall "$root/bindings/python" > "$out/pip.log" 2>&1 || { cat "$out/pip.log"; exit 1; }
(cd "$out" && "$venv/bin/python" -m pytest -q -p no:cacheprovider "$root/bindings/python/tests")
(cd "$out" && "$venv/bin/python" "$root/bindings/python/examples/quickstart.py")
(cd "$out" && "$venv/bin/python" "$root/bindings/python/examples/typed_usage.py")
mkdir -p "$out/embed" && (cd "$out/embed" && "$venv/bin/python" "$root/bindings/python/examples/embed_sessions.py")
text_example "$out/embed" "$venv/bin/python" "$root/bindings/python/examples/zeroshot.py"

echo "-- Python: the quick-start's install, literally, in a fresh venv with no environment variable"
rm -rf "$out/freshvenv"
python3 -m venv "$out/freshvenv"
"$out/freshvenv/bin/pip" install -q --disable-pip-version-check "$root/bindings/python" \
  > "$out/pip-fresh.log" 2>&1 || { cat "$out/pip-fresh.log"; exit 1; }
(cd "$out" && env -u CLEF_LIBRARY "$out/freshvenv/bin/python" -c '
import clef
assert "/clef/_lib/" in clef.LIBRARY_PATH, clef.LIBRARY_PATH
print("fresh venv: import clef", clef.version(), "from the bundled", clef.LIBRARY_PATH)')
# ... and the quick-start runs there with no environment variable of ours either
mkdir -p "$out/fresh-quickstart" && (cd "$out/fresh-quickstart" &&
  env -u CLEF_LIBRARY -u CLEF_C_REFERENCE_DIR -u CLEF_MINILM_DIR \
  "$out/freshvenv/bin/python" "$root/bindings/python/examples/quickstart.py" > quickstart.log) \
  || { cat "$out/fresh-quickstart/quickstart.log"; echo "Python quick-start failed in the fresh venv"; exit 1; }
echo "fresh venv: the quick-start ran"

echo "-- R: build (with the vignette), check, quick-start"
export PKG_CONFIG_PATH="$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export _R_CHECK_SYSTEM_CLOCK_=0 _R_CHECK_FORCE_SUGGESTS_=false
mkdir -p "$out/r" "$out/rlib"
(cd "$out/r" && R CMD build "$root/bindings/r" > build.log 2>&1) \
  || { cat "$out/r/build.log"; echo "R CMD build failed (the vignette needs r-cran-knitr and r-cran-markdown)"; exit 1; }
tarball="$(ls "$out"/r/clef_*.tar.gz)"
if ! grep -q '^clef/inst/doc/clef.html$' <(tar tzf "$tarball"); then # no pipe: grep -q exits early
  echo "R CMD build did not build the vignette (clef/inst/doc/clef.html missing from $tarball)"
  exit 1
fi
(cd "$out/r" && R CMD check --no-manual "$tarball" > check.log 2>&1) || true
if ! grep -qx 'Status: OK' "$out/r/check.log"; then # no error, warning or note
  cat "$out/r/check.log"
  cat "$out"/r/clef.Rcheck/tests/testthat.Rout.fail 2>/dev/null || true
  echo "R CMD check failed: Status OK required"
  exit 1
fi
grep -E '^Status: ' "$out/r/check.log"
grep -m1 -E '\[ FAIL' "$out"/r/clef.Rcheck/tests/testthat.Rout || true
R CMD INSTALL -l "$out/rlib" "$tarball" > "$out/r/install.log" 2>&1 \
  || { cat "$out/r/install.log"; exit 1; }
# The quick-start page's code, as bindings/r/inst/examples/quickstart.R (tools/r/doc_blocks.awk)
awk -f "$root/tools/r/doc_blocks.awk" "$root/docs/r-quickstart.md" > "$out/r/quickstart_doc.R"
if ! diff -u "$root/bindings/r/inst/examples/quickstart.R" "$out/r/quickstart_doc.R"; then
  echo "bindings/r/inst/examples/quickstart.R differs from the code of docs/r-quickstart.md;"
  echo "regenerate: awk -f tools/r/doc_blocks.awk docs/r-quickstart.md > bindings/r/inst/examples/quickstart.R"
  exit 1
fi
mkdir -p "$out/r/quickstart" && (cd "$out/r/quickstart" && R_LIBS="$out/rlib" Rscript "$out/r/quickstart_doc.R")
text_example "$out/r/zeroshot" env R_LIBS="$out/rlib" Rscript \
  "$root/bindings/r/inst/examples/zeroshot.R"
echo "-- R: the quick-start's install, literally (into /usr/local), loaded with no environment variable"
sudo_=""; [ "$(id -u)" -ne 0 ] && sudo_="sudo -n"
if [ -n "$sudo_" ] && ! sudo -n true 2> /dev/null; then
  echo "R literal install: skipped (not root and no password-less sudo to write /usr/local)"
else
  rm -rf "$out/r/literal" && mkdir -p "$out/r/literal"
  $sudo_ cmake --install "$rel" > "$out/r/literal/cmake-install.log"
  # leave the machine as it was: a libclef left in /usr/local would shadow the Python
  # package's bundled copy (docs/python-quickstart.md, loading order) in later runs
  cp "$rel/install_manifest.txt" "$out/r/literal/manifest.txt"
  trap '$sudo_ xargs -d "\n" rm -f < "$out/r/literal/manifest.txt"
        sed "s|/[^/]*$||" "$out/r/literal/manifest.txt" | sort -u |
          $sudo_ xargs -d "\n" rmdir -p --ignore-fail-on-non-empty 2> /dev/null
        $sudo_ R CMD REMOVE clef > /dev/null 2>&1 || true' EXIT
  (cd "$out/r/literal" && env -u PKG_CONFIG_PATH -u R_LIBS -u CLEF_LIBRARY sh -c \
    "R CMD build '$root/bindings/r' && $sudo_ R CMD INSTALL clef_*.tar.gz" > install.log 2>&1) \
    || { cat "$out/r/literal/install.log"; echo "R literal install failed"; exit 1; }
  (cd "$out/r/literal" && env -u PKG_CONFIG_PATH -u R_LIBS -u CLEF_LIBRARY -u LD_LIBRARY_PATH \
    Rscript -e 'library(clef); rec <- read_edf(commandArgs(TRUE)[1]); print(rec)' \
    "$root/tests/data/test_subsecond.edf")
fi
echo "bindings stage: OK"
