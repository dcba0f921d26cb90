#!/bin/sh
# bench/encoder/run.sh BUILD_DIR [PYTHON] — bench_encoder under the OpenBLAS kernel Debian's
# OpenBLAS picks by default and under OPENBLAS_CORETYPE=SkylakeX (each run's first line names
# the kernel in use). PYTHON must have torch, safetensors and numpy.
set -e
build=${1:?usage: run.sh BUILD_DIR [PYTHON]}
py=${2:-python3}
shift $(($# < 2 ? $# : 2))
"$build/bench/encoder/bench_encoder" --python "$py" "$@"
OPENBLAS_CORETYPE=SkylakeX "$build/bench/encoder/bench_encoder" --python "$py" "$@"
