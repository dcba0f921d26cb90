"""Versions, errors, contexts and parameter sets: parity with the C library, Pythonic layer."""

import ctypes
import os
import subprocess
import sys

import numpy as np
import pytest

import clef
from clef import _blas, _ffi


def test_versions_identical_to_c(c_reference):
    assert clef.version() == c_reference["version"]
    assert clef.version_number() == int(c_reference["version_number"])
    assert clef.abi_version() == int(c_reference["abi_version"]) == clef.ABI_VERSION
    assert clef.build_info() == c_reference["build_info"]
    assert clef.source_id() == c_reference["source_id"]
    for s in range(-15, 2):
        assert clef.strerror(s) == c_reference[f"strerror.{s}"]


def _fresh_import(code, **env):
    """Run code after `import clef` in a new Python with neither OPENBLAS_CORETYPE nor
    CLEF_BLAS_SELECT set unless given here (the kernel is fixed when OpenBLAS loads)."""
    e = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "CLEF_BLAS_SELECT")}
    e.update(env)
    r = subprocess.run([sys.executable, "-c", "import clef; " + code], env=e, capture_output=True,
                       text=True, check=True)
    return r.stdout.split()


def test_blas_kernel_fits_the_cpu_with_nothing_set():
    fit = clef.blas_coretype()
    if fit is None:
        pytest.skip(f"no OpenBLAS kernel family fits this CPU ({clef.cpu_isa()})")
    kernel, = _fresh_import("print(clef.blas_kernel())")
    assert kernel.lower() == fit.lower(), f"import clef ran {kernel}, the CPU calls for {fit}"
    # a user's choice wins (Prescott runs on every x86-64); the opt-out keeps OpenBLAS's own
    assert _fresh_import("print(clef.blas_kernel())", OPENBLAS_CORETYPE="Prescott") == ["Prescott"]
    assert _fresh_import("import os; print('OPENBLAS_CORETYPE' in os.environ)",
                         CLEF_BLAS_SELECT="0") == ["False"]


def test_blas_loaded_too_early_warns():
    """A process that loaded libclef's OpenBLAS before clef keeps its kernels: a warning names
    the fix (the library's own log warning needs a log callback)."""
    fit = clef.blas_coretype()
    if fit is None:
        pytest.skip("no OpenBLAS kernel family fits this CPU")
    code = ("import ctypes, sys; ctypes.CDLL('libopenblas.so.0'); import clef; "
            "print(clef.blas_kernel(), file=sys.stderr)")
    e = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "CLEF_BLAS_SELECT")}
    r = subprocess.run([sys.executable, "-W", "always", "-c", code], env=e, capture_output=True,
                       text=True)
    if r.returncode != 0 and "libopenblas.so.0" in r.stderr:
        pytest.skip("no libopenblas.so.0 to load first")
    assert r.returncode == 0, r.stderr
    kernel = r.stderr.split()[-1]
    if _blas.kernel_level(kernel) >= _blas.kernel_level(fit):
        pytest.skip(f"OpenBLAS picks {kernel} by itself on this CPU, as wide as {fit}")
    assert f"OPENBLAS_CORETYPE={fit}" in r.stderr and "RuntimeWarning" in r.stderr
    assert _blas.warn_if_late(fit, fit, {"OPENBLAS_CORETYPE": fit}) is None
    assert _blas.warn_if_late("Prescott", fit, {"OPENBLAS_CORETYPE": "Prescott"}) is None


def test_blas_late_warning_only_for_narrower_kernels():
    """A kernel family as wide as the CPU's (Cooperlake on an AVX-512 CPU: SkylakeX's SGEMM)
    needs no advice; an older one does."""
    env = {"OPENBLAS_CORETYPE": "SkylakeX"}
    assert _blas.warn_if_late("Cooperlake", "SkylakeX", env) is None
    assert _blas.warn_if_late("SapphireRapids", "SkylakeX", env) is None
    with pytest.warns(RuntimeWarning, match="Haswell kernels"):
        assert _blas.warn_if_late("Haswell", "SkylakeX", env) is not None
    with pytest.warns(RuntimeWarning, match="Prescott kernels"):
        assert _blas.warn_if_late("Prescott", "Haswell", {"OPENBLAS_CORETYPE": "Haswell"})
    assert [_blas.kernel_level(k) for k in ("Prescott", "Sandybridge", "Zen", "SkylakeX")] \
        == [0, 1, 2, 3]


def test_blas_choice_from_cpu_flags_equals_cpuid():
    """clef._blas reads /proc/cpuinfo before libclef loads; clef_blas_coretype() reads cpuid."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the choice before loading reads /proc/cpuinfo (Linux)")
    assert _blas.coretype_from_flags(_blas.cpu_flags()) == clef.blas_coretype()
    skx = {"avx", "avx2", "fma", "avx512f", "avx512dq", "avx512bw", "avx512vl"}
    assert _blas.coretype_from_flags(skx) == "SkylakeX"
    assert _blas.coretype_from_flags(skx - {"avx512vl"}) == "Haswell"
    assert _blas.coretype_from_flags({"avx", "avx2"}) == "Sandybridge"
    assert _blas.coretype_from_flags({"sse4_2"}) is None
    env = {"OPENBLAS_CORETYPE": "Haswell"}
    assert _blas.select(env) is None and env == {"OPENBLAS_CORETYPE": "Haswell"}
    assert _blas.select({"CLEF_BLAS_SELECT": "0"}) is None
    env = {}
    assert _blas.select(env) == clef.blas_coretype()
    assert env == ({"OPENBLAS_CORETYPE": clef.blas_coretype()} if clef.blas_coretype() else {})


def test_param_metadata_identical_to_c(c_reference):
    keys = [int(k) for k in c_reference["param_keys"].split(",")]
    assert keys
    with clef.Context() as ctx:
        for k in keys:
            info = clef.param_info(k)
            assert info.name == c_reference[f"param.{k}.name"]
            assert info.kind == int(c_reference[f"param.{k}.kind"])
            assert info.doc == c_reference[f"param.{k}.doc"]
            assert clef.param_info(info.name).key == k
            if info.type != "str":
                assert info.min == float(c_reference[f"param.{k}.min"])
                assert info.max == float(c_reference[f"param.{k}.max"])
            with clef.Params(ctx, info.kind) as p:
                want = c_reference[f"param.{k}.default"]
                got = p[k]
                assert (str(got) if info.type == "i64" else
                        repr(got) if info.type == "f64" else got) == want or \
                    (info.type == "f64" and got == float(want))


def test_constants_match_header_enums():
    assert clef._ffi.CLEF_ERR_INVALID_ARG == -1
    kinds = clef._ffi.ENUMS["clef_params_kind"]
    assert "CLEF_PARAMS_CORE" not in kinds and kinds["CLEF_PARAMS_IO"] == 2  # ABI 1
    assert kinds["CLEF_PARAMS_COHORT"] == clef._ffi.CLEF_PARAMS_COHORT
    assert set(clef.ERROR_CLASSES) == {v for k, v in _ffi.ENUMS["clef_status_code"].items()
                                       if k.startswith("CLEF_ERR_")}


def test_params_roundtrip():
    with clef.Context() as ctx:
        with clef.Params(ctx, "cohort") as p:
            assert p.kind == _ffi.CLEF_PARAMS_COHORT
            assert p["cohort.n_patients"] == 100
            p["cohort.n_patients"] = 8
            p[_ffi.CLEF_P_COHORT_SEED] = 2**40
            p["cohort.frac_mv"] = 0.5
            q = p.clone()
            assert (q["cohort.n_patients"], q["cohort.seed"], q["cohort.frac_mv"]) == \
                (8, 2**40, 0.5)
            q.close()


def test_context_has_no_threads_since_abi_1():
    with pytest.raises(TypeError, match=r"clef\.Session\(ctx, n_threads"):
        clef.Context(n_threads=2)
    with clef.Context() as ctx:
        assert not hasattr(ctx, "n_threads")
        assert not hasattr(clef.lowlevel, "clef_ctx_set_n_threads")
        with pytest.raises(clef.NotFoundError):
            clef.param_info("n_threads")


def test_session_threads_and_errors():
    with clef.Context() as ctx:
        with clef.Session(ctx) as s:
            assert s.n_threads == 1
            assert s.errmsg == "" and s.errcode == _ffi.CLEF_OK
        with clef.Session(ctx, n_threads=3) as s:
            assert s.n_threads == 3
            assert isinstance(s.scratch_bytes, int)
            s.release_scratch()
            assert s.scratch_bytes == 0
        with pytest.raises(clef.RangeError, match="n_threads 0 is not in"):
            clef.Session(ctx, 0)
        assert "n_threads 0" in ctx.errmsg  # creation errors are on the ctx
        with pytest.raises(TypeError, match="must be a clef_ctx handle"):
            clef.Session(s, 1)
        s = clef.Session(ctx, 2)
    # the session keeps its context alive inside libclef; close() and GC free it
    assert s.n_threads == 2
    s.close()
    with pytest.raises(ValueError, match="freed clef_session handle"):
        s.errmsg
    s.close()  # idempotent


def test_errors_carry_status_and_message():
    with clef.Context() as ctx, clef.Params(ctx, "cohort") as p:
        with pytest.raises(clef.RangeError) as ei:
            p["cohort.n_patients"] = 0
        assert ei.value.status == _ffi.CLEF_ERR_RANGE
        assert "cohort.n_patients = 0 outside [1, 1e+07]" in ei.value.message
        assert ei.value.function == "clef_params_set_i64"
        assert isinstance(ei.value, ValueError) and isinstance(ei.value, clef.ClefError)
        assert "cohort.n_patients = 0" in p.errmsg
        with pytest.raises(clef.RangeError, match="cohort.frac_mv = 2 outside"):
            p["cohort.frac_mv"] = 2.0
        with pytest.raises(clef.InvalidArgError, match="unknown parameter-set kind 99"):
            clef.Params(ctx, 99)
        with pytest.raises(clef.NotFoundError):
            clef.param_info("no_such_key")
        with pytest.raises(clef.NotFoundError, match="unknown parameter key 999"):
            clef.lowlevel.clef_params_get_i64(p, 999)
        with pytest.raises(ValueError, match="unknown parameter-set kind"):
            clef.Params(ctx, "nope")


def test_log_callback_receives_messages():
    lines = []
    with clef.Context() as ctx:
        ctx.set_log(lambda level, msg: lines.append((level, msg)), _ffi.CLEF_LOG_DEBUG)
        with clef.Params(ctx, "cohort") as p, pytest.raises(clef.RangeError):
            p["cohort.n_patients"] = 0
        ctx.set_log(None)
    assert any("cohort.n_patients = 0 outside" in m for _, m in lines)


def test_bad_input_raises_never_crashes():
    ll = clef.lowlevel
    ctx = clef.Context()
    p = clef.Params(ctx, "cohort")
    with pytest.raises(TypeError, match="must be a clef_params handle"):
        ll.clef_params_kind(ctx)
    with pytest.raises(TypeError, match="must be a clef_ctx handle"):
        ll.clef_params_create(42, 1)
    with pytest.raises(TypeError, match="must be an int"):
        ll.clef_params_set_i64(p, 1, 1.5)
    with pytest.raises(TypeError, match="must be an int"):
        ll.clef_params_set_i64(p, "cohort.seed", 1)
    with pytest.raises(TypeError, match="must be a str, bytes or os.PathLike, not int"):
        ll.clef_params_set_str(p, 1, 12)
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'value'"):
        ll.clef_params_set_i64(p, 1)
    with pytest.raises(OverflowError, match="does not fit int64_t"):
        ll.clef_params_set_i64(p, 1, 2**70)  # ctypes alone would wrap it to 0
    with pytest.raises(OverflowError, match="does not fit int32_t"):
        ll.clef_session_create(ctx, 2**31)
    # None is NULL: the library reports it as a status, no crash
    with pytest.raises(clef.InvalidArgError):
        ll.clef_params_create(None, 1)
    p.close()
    with pytest.raises(ValueError, match="freed clef_params handle"):
        ll.clef_params_kind(p)
    with pytest.raises(ValueError, match="freed"):
        p["cohort.seed"]
    p.close()  # idempotent
    ctx.close()
    with pytest.raises(ValueError, match="freed clef_ctx handle"):
        ctx.errmsg
    with pytest.raises(ValueError, match="freed clef_ctx handle"):
        clef.Session(ctx)


def test_array_checks_of_the_generic_layer():
    from clef._core import as_array

    a = np.zeros((2, 3), dtype=np.float32)
    ptr, n = as_array(a, "float", "f", "x")
    assert n == 6 and ctypes.addressof(ptr.contents) == a.ctypes.data  # no copy
    with pytest.raises(TypeError, match="dtype float32, not float64"):
        as_array(a.astype(np.float64), "float", "f", "x")
    with pytest.raises(ValueError, match="C-contiguous"):
        as_array(np.zeros((3, 2), dtype=np.float32).T, "float", "f", "x")
    with pytest.raises(TypeError, match="numpy array"):
        as_array([1.0, 2.0], "float", "f", "x")


def test_every_header_function_is_bound():
    for name in _ffi.FUNCTIONS:
        assert callable(getattr(clef.lowlevel, name))
        assert getattr(clef.raw[name], "argtypes", None) is not None, name


def test_loader_refuses_another_abi(monkeypatch):
    from clef import _loader

    monkeypatch.setenv("CLEF_LIBRARY", clef.LIBRARY_PATH)
    monkeypatch.setattr(_ffi, "ABI_VERSION", _ffi.ABI_VERSION + 1)
    with pytest.raises(ImportError, match="has ABI version .* generated for ABI"):
        _loader.load()


def test_loader_search_order(monkeypatch):
    from clef import _loader

    monkeypatch.setenv("CLEF_LIBRARY", "/nonexistent/libclef.so.0")
    assert _loader.candidates() == [("CLEF_LIBRARY", "/nonexistent/libclef.so.0")]
    with pytest.raises(ImportError, match="set CLEF_LIBRARY"):
        _loader.load()
    monkeypatch.delenv("CLEF_LIBRARY")
    kinds = [how for how, _ in _loader.candidates()]
    assert kinds[0] == "installed" and kinds[-1] == "bundled"
