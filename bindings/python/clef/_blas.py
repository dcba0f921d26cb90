"""Select OpenBLAS's kernel family for this CPU before libclef (and its OpenBLAS) loads.

OpenBLAS reads OPENBLAS_CORETYPE once, when it loads; on a CPU newer than its table it runs
its SSE3 (Prescott) kernels, 3-5x slower GEMM. The clef program re-executes itself with the
variable set (tools/cli/cli_blas.c); here it is set before the first load instead, with the
same choice as clef_blas_coretype() (lib/core/cpu.c) read from the Linux kernel's CPU flags,
so that Python, R and the clef program compute the same bits (docs/NN.md)."""

import os
import sys
import warnings


def coretype_from_flags(flags):
    """The kernel family for a set of /proc/cpuinfo flags, or None (as clef_blas_coretype())."""
    if {"avx512f", "avx512dq", "avx512bw", "avx512vl"} <= flags:
        return "SkylakeX"
    if {"avx2", "fma"} <= flags:
        return "Haswell"
    if "avx" in flags:
        return "Sandybridge"
    return None


# OpenBLAS kernel families by the vector width they use, as kernel_level() in lib/core/cpu.c:
# 0 SSE, 1 AVX, 2 AVX2+FMA; any other name (SkylakeX, Cooperlake, SapphireRapids, ...) is 3.
_LEVELS = (("prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "barcelona",
            "opteron", "katmai", "northwood", "banias"),
           ("sandybridge", "bulldozer", "piledriver", "steamroller", "excavator"),
           ("haswell", "zen"))


def kernel_level(kernel):
    """The vector width of an OpenBLAS kernel family: 0 SSE, 1 AVX, 2 AVX2, 3 AVX-512 (or
    unknown: no advice rather than a wrong one)."""
    k = kernel.lower()
    for level, names in enumerate(_LEVELS):
        if any(k.startswith(n) for n in names):
            return level
    return 3


def cpu_flags(path="/proc/cpuinfo"):
    """The first processor's flags (the kernel lists only what both CPU and OS support)."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.partition(":")[2].split())
    except OSError:
        pass
    return set()


def select(environ=os.environ):
    """Set OPENBLAS_CORETYPE for this CPU unless it is set or CLEF_BLAS_SELECT=0; returns the
    value set, or None. Once OpenBLAS is loaded in a process its kernel is fixed: this helps
    only before libclef's first load (a numpy with its own bundled OpenBLAS is another
    library and unaffected)."""
    if not sys.platform.startswith("linux") or "OPENBLAS_CORETYPE" in environ \
            or environ.get("CLEF_BLAS_SELECT") == "0":
        return None
    core = coretype_from_flags(cpu_flags())
    if core is not None:
        environ["OPENBLAS_CORETYPE"] = core
    return core


def warn_if_late(kernel, fit, environ=os.environ):
    """Warn once when the selection came too late: OpenBLAS runs older (narrower) kernels than
    the OPENBLAS_CORETYPE for this CPU in the environment (it was loaded before clef, e.g. by a numpy
    linked to the same system OpenBLAS). Returns the message or None."""
    if fit is None or kernel_level(kernel) >= kernel_level(fit) \
            or environ.get("CLEF_BLAS_SELECT") == "0" \
            or environ.get("OPENBLAS_CORETYPE", "").lower() != fit.lower():
        return None
    msg = (f"OpenBLAS was loaded before clef and runs its {kernel} kernels on a CPU that runs "
           f"{fit}'s: GEMM runs several times slower. Import clef before numpy, or set "
           f"OPENBLAS_CORETYPE={fit} in the environment that starts Python (docs/NN.md)")
    warnings.warn(msg, RuntimeWarning, stacklevel=3)
    return msg
