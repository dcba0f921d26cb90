#!/usr/bin/env bash
# EDF+/BDF+ writer checked by an independent reader at test time: the Release test program writes
# its known files, pyedflib (EDFlib) reads them back (tools/ref/check_edf_with_pyedflib.py).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
build/release/tests/io/test_edf_writer --write "$out"
build/venv/bin/python tools/ref/check_edf_with_pyedflib.py "$out"
