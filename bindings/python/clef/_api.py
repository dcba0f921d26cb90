"""Pythonic classes over the generic layer: versions, Context, Session, Params."""


from collections import namedtuple

from . import _ffi
from ._core import Handle, lowlevel, register

_ll = lowlevel


def version():
    """Package version of the loaded library, e.g. "0.1.0"."""
    return _ll.clef_version()


def version_number():
    return _ll.clef_version_number()


def abi_version():
    return _ll.clef_abi_version()


def source_id():
    return _ll.clef_source_id()


def build_info():
    return _ll.clef_build_info()


def cpu_isa():
    """The CPU's instruction sets from cpuid, e.g. "x86-64 SSE4.2 AVX AVX2 FMA AVX-512F ..."."""
    return _ll.clef_cpu_isa()


def blas_kernel():
    """The kernel family OpenBLAS runs, e.g. "SkylakeX" (chosen when libclef loaded)."""
    return _ll.clef_blas_kernel()


def blas_coretype():
    """The kernel family that fits this CPU (None if none does); importing clef selects it
    unless OPENBLAS_CORETYPE is set or CLEF_BLAS_SELECT=0 (docs/NN.md)."""
    return _ll.clef_blas_coretype()


@register("clef_ctx")
class Context(Handle):
    """Library context (allocator, log callback, errors of handle creation).

    Threads are not the context's since ABI 1: they belong to a :class:`Session`.

    >>> with clef.Context() as ctx, clef.Session(ctx, n_threads=2) as s: ...
    """

    def __init__(self, **removed):
        if removed:
            names = ", ".join(sorted(removed))
            raise TypeError(f"Context() takes no arguments (got {names}); since libclef ABI 1 "
                            "threads belong to a session: clef.Session(ctx, n_threads=...)")
        h = _ll.clef_ctx_create()
        Handle.__init__(self, h._ptr)
        h._ptr = None  # ownership moves to self
        self._log_cb = None

    @property
    def errmsg(self):
        """Last error recorded on the context ("" if none)."""
        return _ll.clef_ctx_errmsg(self)

    @property
    def errcode(self):
        return _ll.clef_ctx_errcode(self)

    def set_log(self, fn, max_level=_ffi.CLEF_LOG_INFO):
        """Route library log lines to fn(level, message); None turns logging off."""
        if fn is None:
            _ll.clef_ctx_set_log(self, 0)
            self._log_cb = None
            return
        cb = _ffi.clef_log_fn(lambda level, msg, user: fn(level, msg.decode("utf-8", "replace")))
        from ._core import _fns, raise_status

        rc = _fns["clef_ctx_set_log"](self, max_level, cb, None)
        if rc < 0:
            raise_status(rc, self.errmsg, "clef_ctx_set_log")
        self._log_cb = cb  # the C side holds a pointer to it: keep it alive


@register("clef_session")
class Session(Handle):
    """One thread's call state: its worker threads (started once, kept until close()),
    scratch memory reused from call to call, and the last error of a call made on it.

    Every compute call (spectrogram, tokenizer, pipelines) takes a session beside the shared,
    immutable handles it uses: share a Spectrogram or Tokenizer between threads, give each
    thread its own Session. Outputs never depend on n_threads. Keeps its context alive.

    >>> with clef.Session(ctx, n_threads=4) as s: spec = sg.compute(x, s)
    """

    def __init__(self, ctx, n_threads=1):
        h = _ll.clef_session_create(ctx, n_threads)
        Handle.__init__(self, h._ptr)
        h._ptr = None

    @property
    def n_threads(self):
        """Threads of the session (the calling thread plus n_threads - 1 workers)."""
        return _ll.clef_session_n_threads(self)

    @property
    def errmsg(self):
        """Last error of a call on the session, "" after a call that succeeded."""
        return _ll.clef_session_errmsg(self)

    @property
    def errcode(self):
        """Status of the last call on the session (0, CLEF_OK, after a success)."""
        return _ll.clef_session_errcode(self)

    @property
    def scratch_bytes(self):
        """Bytes of scratch memory held now (grows to the largest call, then reused)."""
        return _ll.clef_session_scratch_bytes(self)

    def release_scratch(self):
        """Give the scratch memory back (e.g. before idling)."""
        _ll.clef_session_release_scratch(self)


ParamInfo = namedtuple("ParamInfo", "key name type kind doc min max")
_KIND_NAMES = {k[len("CLEF_PARAMS_"):].lower(): v
               for k, v in _ffi.ENUMS["clef_params_kind"].items()}
_TYPE_NAMES = {_ffi.CLEF_PARAM_I64: "i64", _ffi.CLEF_PARAM_F64: "f64", _ffi.CLEF_PARAM_STR: "str"}


def _key(key):
    if isinstance(key, str):
        return _ll.clef_param_lookup(key)
    return key


def param_info(key):
    """ParamInfo of a key given by number or stable name (e.g. "cohort.seed")."""
    k = _key(key)
    name, typ, kind, doc = _ll.clef_param_info(k)
    lo = hi = None
    if typ != _ffi.CLEF_PARAM_STR:
        lo, hi = _ll.clef_param_bounds(k)
    return ParamInfo(k, name, _TYPE_NAMES.get(typ, typ), kind, doc, lo, hi)


@register("clef_params")
class Params(Handle):
    """A kind-tagged parameter set created with defaults; index by key name or number.

    >>> p = clef.Params(ctx, "cohort"); p["cohort.n_patients"] = 40
    """

    def __init__(self, ctx, kind):
        if isinstance(kind, str):
            if kind.lower() not in _KIND_NAMES:
                raise ValueError(f"unknown parameter-set kind {kind!r}; one of "
                                 f"{sorted(_KIND_NAMES)}")
            kind = _KIND_NAMES[kind.lower()]
        h = _ll.clef_params_create(ctx, kind)
        Handle.__init__(self, h._ptr)
        h._ptr = None

    @property
    def kind(self):
        return _ll.clef_params_kind(self)

    @property
    def errmsg(self):
        return _ll.clef_params_errmsg(self)

    def clone(self):
        h = _ll.clef_params_clone(self)
        p = Params.__new__(Params)
        Handle.__init__(p, h._ptr)
        h._ptr = None
        return p

    def __getitem__(self, key):
        info = param_info(key)
        getter = {"i64": _ll.clef_params_get_i64, "f64": _ll.clef_params_get_f64,
                  "str": _ll.clef_params_get_str}[info.type]
        return getter(self, info.key)

    def __setitem__(self, key, value):
        info = param_info(key)
        if info.type == "i64":
            _ll.clef_params_set_i64(self, info.key, value)
        elif info.type == "f64":
            _ll.clef_params_set_f64(self, info.key, value)
        else:
            _ll.clef_params_set_str(self, info.key, value)
