#!/usr/bin/env bash
# The clef program runs OpenBLAS's kernel family for the CPU with nothing set (cli_blas.c): the
# kernel `clef build-info` names is the one the CPU's flags in /proc/cpuinfo call for (the
# mapping written out again here, independently of cpu.c); CLEF_BLAS_SELECT=0 keeps OpenBLAS's
# own choice; a user's OPENBLAS_CORETYPE wins. Usage: test_cli_blas.sh CLEF_BINARY
set -uo pipefail
clef="$1"
fails=0
fail() {
  echo "FAIL: $*"
  fails=$((fails + 1))
}
kernel() { sed -n 's/^blas kernel: \([^ ]*\).*/\1/p'; }

flags=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2) "
has() { for f in "$@"; do [[ "$flags" == *" $f "* ]] || return 1; done; }
if has avx512f avx512dq avx512bw avx512vl; then want=SkylakeX
elif has avx2 fma; then want=Haswell
elif has avx; then want=Sandybridge
else want=; fi

clean=(env -u OPENBLAS_CORETYPE -u CLEF_BLAS_SELECT)
got="$("${clean[@]}" "$clef" build-info | kernel)"
own="$("${clean[@]}" CLEF_BLAS_SELECT=0 "$clef" build-info 2>/dev/null | kernel)"
echo "cpu flags call for '${want:-none}'; clef runs '$got'; OpenBLAS alone picks '$own'"
if [[ -n "$want" ]]; then
  [[ "${got,,}" == "${want,,}" ]] || fail "clef build-info runs '$got', the CPU calls for '$want'"
else
  [[ "$got" == "$own" ]] || fail "no kernel fits, yet clef changed '$own' to '$got'"
fi
# the opt-out keeps OpenBLAS's choice, and then the log names the fix when that choice is older
if [[ -n "$want" && "${own,,}" != "${want,,}" ]]; then
  err="$("${clean[@]}" CLEF_BLAS_SELECT=0 "$clef" build-info 2>&1 >/dev/null)"
  case "$own" in
    Prescott | Core2 | Penryn | Nehalem | Sandybridge)
      [[ "$err" == *"OPENBLAS_CORETYPE=$want"* ]] || fail "no warning naming $want: '$err'" ;;
  esac
fi
# the user's choice wins (Prescott runs on every x86-64)
if [[ -n "$want" ]]; then
  user="$("${clean[@]}" OPENBLAS_CORETYPE=Prescott "$clef" build-info 2>/dev/null | kernel)"
  [[ "$user" == Prescott ]] || fail "OPENBLAS_CORETYPE=Prescott ran '$user'"
fi
# the re-exec keeps the arguments and the exit status
"${clean[@]}" "$clef" no-such-command 2>/dev/null
[[ $? -eq 2 ]] || fail "an unknown command after the re-exec did not exit 2"
"${clean[@]}" "$clef" version | grep -q '^clef ' || fail "clef version after the re-exec"
[[ $fails -eq 0 ]] || exit 1
echo "ok"
