"""Pythonic classes over the generic layer: versions, Context, Session, Params."""


from typing import Callable, Iterator, List, Mapping, NamedTuple, Optional, Tuple, Union

from . import _ffi
from ._core import ClefError, Handle, NotFoundError, lowlevel, register
from .enums import ParamsKind

_ll = lowlevel


def version() -> str:
    """Package version of the loaded library, e.g. "0.1.0"."""
    return _ll.clef_version() or ""


def version_number() -> int:
    """Version of the loaded library as one number, major * 10000 + minor * 100 + patch."""
    return _ll.clef_version_number()


def abi_version() -> int:
    """ABI version of the loaded library (CLEF_ABI_VERSION it was built with)."""
    return _ll.clef_abi_version()


def source_id() -> str:
    """Source revision the loaded library was built from."""
    return _ll.clef_source_id() or ""


def build_info() -> str:
    """Compiler, flags and options of the loaded library's build."""
    return _ll.clef_build_info() or ""


def cpu_isa() -> str:
    """The CPU's instruction sets from cpuid, e.g. "x86-64 SSE4.2 AVX AVX2 FMA AVX-512F ..."."""
    return _ll.clef_cpu_isa() or ""


def blas_kernel() -> str:
    """The kernel family OpenBLAS runs, e.g. "SkylakeX" (chosen when libclef loaded)."""
    return _ll.clef_blas_kernel() or ""


def blas_coretype() -> Optional[str]:
    """The kernel family that fits this CPU (None if none does); importing clef selects it
    unless OPENBLAS_CORETYPE is set or CLEF_BLAS_SELECT=0 (docs/NN.md)."""
    return _ll.clef_blas_coretype()


@register("clef_ctx")
class Context(Handle):
    """Library context (allocator, log callback, errors of handle creation).

    Threads are not the context's since ABI 1: they belong to a :class:`Session`.

    >>> with clef.Context() as ctx, clef.Session(ctx, n_threads=2) as s: ...
    """

    def __init__(self, **removed: object) -> None:
        if removed:
            names = ", ".join(sorted(removed))
            raise TypeError(f"Context() takes no arguments (got {names}); since libclef ABI 1 "
                            "threads belong to a session: clef.Session(ctx, n_threads=...)")
        self._take(_ll.clef_ctx_create())
        self._log_cb: object = None

    @property
    def errmsg(self) -> str:
        """Last error recorded on the context ("" if none)."""
        return _ll.clef_ctx_errmsg(self) or ""

    @property
    def errcode(self) -> int:
        """Status of the last error recorded on the context (0 if none)."""
        return _ll.clef_ctx_errcode(self)

    def set_log(self, fn: Optional[Callable[[int, str], None]],
                max_level: int = _ffi.CLEF_LOG_INFO) -> None:
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

    def __init__(self, ctx: Context, n_threads: int = 1) -> None:
        self._take(_ll.clef_session_create(ctx, n_threads))

    @property
    def n_threads(self) -> int:
        """Threads of the session (the calling thread plus n_threads - 1 workers)."""
        return _ll.clef_session_n_threads(self)

    @property
    def errmsg(self) -> str:
        """Last error of a call on the session, "" after a call that succeeded."""
        return _ll.clef_session_errmsg(self) or ""

    @property
    def errcode(self) -> int:
        """Status of the last call on the session (0, CLEF_OK, after a success)."""
        return _ll.clef_session_errcode(self)

    @property
    def scratch_bytes(self) -> int:
        """Bytes of scratch memory held now (grows to the largest call, then reused)."""
        return _ll.clef_session_scratch_bytes(self)

    def release_scratch(self) -> None:
        """Give the scratch memory back (e.g. before idling)."""
        _ll.clef_session_release_scratch(self)


class ParamInfo(NamedTuple):
    """A parameter key: number, stable name, value type ("i64", "f64" or "str"), the kind of
    set it belongs to, one-line doc, and bounds (None for strings)."""

    key: int
    name: str
    type: str
    kind: ParamsKind
    doc: str
    min: Optional[float]
    max: Optional[float]


_KIND_NAMES = {k.name.lower(): k for k in ParamsKind}
_TYPE_NAMES = {_ffi.CLEF_PARAM_I64: "i64", _ffi.CLEF_PARAM_F64: "f64", _ffi.CLEF_PARAM_STR: "str"}
# Every key number the header declares (the clef_param_key_* enums).
_ALL_KEYS = sorted(v for e, m in _ffi.ENUMS.items() if e.startswith("clef_param_key_")
                   for v in m.values())

ParamValue = Union[int, float, str]
"""A parameter value: int for i64 keys, float for f64, str for str."""


class ParamKeyError(NotFoundError, KeyError):
    """A parameter key that does not exist, or does not belong to the set's kind (a KeyError,
    so ``key in params`` and ``params.get(key)`` work; also a clef.NotFoundError)."""

    __str__ = Exception.__str__  # the message, not KeyError's repr of it


def _key(key: Union[int, str]) -> int:
    if isinstance(key, str):
        try:
            return _ll.clef_param_lookup(key)
        except NotFoundError:
            raise ParamKeyError(_ffi.CLEF_ERR_NOT_FOUND, f"unknown parameter {key!r}",
                                "clef_param_lookup") from None
    if isinstance(key, bool) or not isinstance(key, int):
        raise TypeError(f"a parameter key is a name (str) or number (int), not "
                        f"{type(key).__name__}")
    return key


def param_info(key: Union[int, str]) -> ParamInfo:
    """ParamInfo of a key given by number or stable name (e.g. "cohort.seed")."""
    k = _key(key)
    try:
        name, typ, kind, doc = _ll.clef_param_info(k)
    except NotFoundError:
        raise ParamKeyError(_ffi.CLEF_ERR_NOT_FOUND, f"unknown parameter key {key!r}",
                            "clef_param_info") from None
    lo = hi = None
    if typ != _ffi.CLEF_PARAM_STR:
        lo, hi = _ll.clef_param_bounds(k)
    return ParamInfo(k, name or "", _TYPE_NAMES.get(typ, str(typ)), ParamsKind(kind), doc or "",
                     lo, hi)


def param_keys(kind: Union[int, str]) -> List[str]:
    """Names of the keys of a kind of parameter set ("io", "spec", ..., or a ParamsKind)."""
    k = _kind(kind)
    return [i.name for i in map(param_info, _ALL_KEYS) if i.kind == k]


def _kind(kind: Union[int, str]) -> int:
    """A ParamsKind for a name or known number; another int as it is (libclef refuses it)."""
    if isinstance(kind, str):
        if kind.lower() not in _KIND_NAMES:
            raise ValueError(f"unknown parameter-set kind {kind!r}; one of "
                             f"{sorted(_KIND_NAMES)}")
        return _KIND_NAMES[kind.lower()]
    return ParamsKind(kind) if kind in ParamsKind._value2member_map_ else kind


@register("clef_params")
class Params(Handle, Mapping[str, ParamValue]):
    """A kind-tagged parameter set created with defaults: a mutable mapping from key names
    (e.g. "cohort.seed"; key numbers work too) to values. ``keys()``, ``items()``, ``len()``,
    ``in``, ``get()``, ``update()`` and ``dict(p)`` work; an unknown key, or one of another
    kind, raises clef.ParamKeyError (a KeyError) naming it and the set's keys.

    >>> p = clef.Params(ctx, "cohort"); p["cohort.n_patients"] = 40
    >>> p  # Params('cohort', {'cohort.seed': 1, 'cohort.n_patients': 40, ...})
    """

    def __init__(self, ctx: Context, kind: Union[int, str],
                 values: Optional[Mapping[str, ParamValue]] = None) -> None:
        self._take(_ll.clef_params_create(ctx, _kind(kind)))
        if values:
            self.update(values)

    @property
    def kind(self) -> ParamsKind:
        """The kind of set (clef.enums.ParamsKind)."""
        return ParamsKind(_ll.clef_params_kind(self))

    @property
    def errmsg(self) -> str:
        """Message of the last failure on the set ("" if none)."""
        return _ll.clef_params_errmsg(self) or ""

    def clone(self) -> "Params":
        """An independent copy of the set."""
        return Params._adopt(_ll.clef_params_clone(self))

    def _info(self, key: Union[int, str]) -> ParamInfo:
        info = param_info(key)
        kind = self.kind
        if info.kind != kind:
            raise ParamKeyError(_ffi.CLEF_ERR_NOT_FOUND,
                                f"parameter {info.name!r} belongs to a {info.kind.name.lower()} "
                                f"set, not this {kind.name.lower()} set (keys: "
                                f"{', '.join(self)})", "Params")
        return info

    def __getitem__(self, key: Union[int, str]) -> ParamValue:
        info = self._info(key)
        getter = {"i64": _ll.clef_params_get_i64, "f64": _ll.clef_params_get_f64,
                  "str": _ll.clef_params_get_str}[info.type]
        value = getter(self, info.key)
        return "" if value is None else value

    def __setitem__(self, key: Union[int, str], value: ParamValue) -> None:
        info = self._info(key)
        try:
            if info.type == "i64":
                _ll.clef_params_set_i64(self, info.key, value)  # type: ignore[arg-type]
            elif info.type == "f64":
                _ll.clef_params_set_f64(self, info.key, value)  # type: ignore[arg-type]
            else:
                _ll.clef_params_set_str(self, info.key, value)  # type: ignore[arg-type]
        except ClefError:
            raise  # the library's message names the key already
        except (TypeError, ValueError) as e:  # the value's conversion, before the C call
            raise type(e)(f"{info.name}: {e}") from None

    def __delitem__(self, key: Union[int, str]) -> None:
        raise TypeError("a parameter cannot be removed from a set; set it to another value")

    def update(self, values: Mapping[str, ParamValue]) -> None:
        """Set several keys from a mapping: ``p.update({"cohort.seed": 3})``."""
        for k, v in dict(values).items():
            self[k] = v

    def __iter__(self) -> Iterator[str]:
        return iter(param_keys(self.kind))

    def __len__(self) -> int:
        return len(param_keys(self.kind))

    def __contains__(self, key: object) -> bool:
        try:
            self._info(key)  # type: ignore[arg-type]
        except (KeyError, TypeError):
            return False
        return True

    def __repr__(self) -> str:
        if self.closed:
            return f"<Params {self._ctype} freed>"
        return f"Params({self.kind.name.lower()!r}, {dict(self.items())!r})"
