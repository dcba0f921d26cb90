"""Pythonic layer over the generated ctypes declarations: errors, handles, generic calls.

Every CLEF_API function is reachable as ``clef.lowlevel.<name>``: inputs are checked (handle
type, freed handle, array dtype and length) before the C call, out-parameters are returned,
and a negative status raises the ClefError subclass of that status with the handle's message.
"""

import builtins
import ctypes as C
import os
import re
from typing import (TYPE_CHECKING, Any, Callable, Dict, List, NoReturn, Optional, Type, TypeVar,
                    Union)

import numpy as np

from . import _ffi, _loader

_lib, LIBRARY_PATH, _fns = _loader.load()

# A C string argument: str (UTF-8), bytes (as is) or, for paths, an os.PathLike.
CStr = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]


def cstr(value: Optional[CStr], fn: str, arg: str) -> Optional[bytes]:
    """bytes for a C string argument: str is UTF-8 encoded, bytes pass as they are, an
    os.PathLike is its os.fspath(); None passes NULL."""
    if value is None:
        return None
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    raise TypeError(f"{fn}: '{arg}' must be a str, bytes or os.PathLike, not "
                    f"{type(value).__name__}")

# ---------------------------------------------------------------------------------------------
# Errors


class ClefError(Exception):
    """A libclef call failed. ``status`` is the CLEF_ERR_* value, ``message`` the one-line
    reason recorded by the library, ``function`` the C function."""

    status: Optional[int] = None

    def __init__(self, status: int, message: str, function: Optional[str] = None) -> None:
        self.status = status
        self.message = message
        self.function = function
        name = STATUS_NAMES.get(status, str(status))
        where = f"{function}: " if function else ""
        super().__init__(f"{where}{message} ({name})")


STATUS_NAMES = {v: k for k, v in _ffi.ENUMS["clef_status_code"].items()}
# Python base classes that match a status's meaning, so `except ValueError` also works.
_MIXINS: Dict[str, Type[Exception]] = {
    "INVALID_ARG": ValueError, "RANGE": ValueError, "SHAPE": ValueError,
    "NOT_FOUND": LookupError, "NOMEM": MemoryError, "OVERFLOW": OverflowError,
    "IO": OSError}
ERROR_CLASSES: Dict[int, Type[ClefError]] = {}


def _camel(s):
    return "".join(p.capitalize() for p in s.lower().split("_"))


for _name, _val in _ffi.ENUMS["clef_status_code"].items():
    if _val < 0 and _name.startswith("CLEF_ERR_"):
        _short = _name[len("CLEF_ERR_"):]
        _bases = (ClefError,) + ((_MIXINS[_short],) if _short in _MIXINS else ())
        _cname = _camel(_short) + "Error"
        if hasattr(builtins, _cname):  # never shadow a builtin (OverflowError)
            _cname = "Clef" + _cname
        ERROR_CLASSES[_val] = type(_cname, _bases,
                                   {"__doc__": f"Status {_name} ({_val}).", "status": _val})
        globals()[ERROR_CLASSES[_val].__name__] = ERROR_CLASSES[_val]


def strerror(status: int) -> str:
    """Static English description of a status code."""
    return _fns["clef_strerror"](status).decode("utf-8")


def raise_status(status: int, message: Optional[str], function: Optional[str] = None) -> NoReturn:
    """Raise the ClefError subclass of a status (its static description without message)."""
    cls = ERROR_CLASSES.get(status, ClefError)
    raise cls(status, message or strerror(status), function)


# ---------------------------------------------------------------------------------------------
# Handles

_HANDLE_CLASSES: Dict[str, type] = {}
_H = TypeVar("_H", bound="Handle")


class Handle:
    """Owner of one libclef handle: freed by close(), a ``with`` block or garbage collection.

    Handles created from a ctx keep it alive inside libclef (clef_ctx is reference counted),
    so they may be freed in any order."""

    _ctype: Optional[str] = None  # C type name, e.g. "clef_ctx"
    _ptr: Any

    def __init__(self, ptr: Any, owner: Any = None) -> None:
        self._ptr = ptr
        self._owner = owner  # keeps the owner of a borrowed handle alive

    @classmethod
    def _wrap(cls: Type[_H], ptr: Any, owner: Any = None) -> _H:
        obj = cls.__new__(cls)
        Handle.__init__(obj, ptr, owner)
        return obj

    def _take(self, h: "Handle") -> None:
        """Become the owner of h's pointer (h, from clef.lowlevel, no longer frees it)."""
        Handle.__init__(self, h._ptr)
        h._ptr = None

    @classmethod
    def _adopt(cls: Type[_H], h: "Handle") -> _H:
        """A new cls that owns h's pointer (h no longer frees it)."""
        obj = cls.__new__(cls)
        obj._take(h)
        return obj

    @property
    def closed(self) -> bool:
        """True once the handle has been freed (close(), a with block)."""
        return self._ptr is None

    @property
    def _as_parameter_(self):
        if self._ptr is None:
            raise ValueError(f"{self._ctype} handle has been freed")
        return self._ptr

    def close(self) -> None:
        """Free the handle now (idempotent)."""
        ptr, self._ptr = self._ptr, None
        free = _ffi.FREE_FUNCTIONS.get(self._ctype or "")
        if ptr and free and self._owner is None:
            _fns[free](ptr)

    def __enter__(self: _H) -> _H:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown: modules may be gone
            pass

    def __repr__(self) -> str:
        state = "freed" if self._ptr is None else hex(C.cast(self._ptr, C.c_void_p).value or 0)
        return f"<{type(self).__name__} {self._ctype} {state}>"


def handle_class(ctype: str) -> Any:
    """The Handle subclass for a C handle type (generic unless registered)."""
    cls = _HANDLE_CLASSES.get(ctype)
    if cls is None:
        cls = type(_camel(ctype[len("clef_"):]), (Handle,), {"_ctype": ctype})
        _HANDLE_CLASSES[ctype] = cls
    return cls


def register(ctype: str) -> Callable[[Any], Any]:
    """Class decorator: cls is the Handle subclass of the C handle type ctype."""

    def deco(cls: Any) -> Any:
        cls._ctype = ctype
        _HANDLE_CLASSES[ctype] = cls
        return cls

    return deco


# ---------------------------------------------------------------------------------------------
# Generic calls

NUMPY_DTYPES = {
    "int8_t": np.int8, "int16_t": np.int16, "int32_t": np.int32, "int64_t": np.int64,
    "uint8_t": np.uint8, "uint16_t": np.uint16, "uint32_t": np.uint32, "uint64_t": np.uint64,
    "size_t": np.uintp, "float": np.float32, "double": np.float64,
}
_CT: Dict[str, Any] = {
    "int8_t": C.c_int8, "int16_t": C.c_int16, "int32_t": C.c_int32, "int64_t": C.c_int64,
    "uint8_t": C.c_uint8, "uint16_t": C.c_uint16, "uint32_t": C.c_uint32,
    "uint64_t": C.c_uint64, "size_t": C.c_size_t, "float": C.c_float, "double": C.c_double}


def as_handle(x, ctype, fn, arg):
    """ctypes pointer for a handle argument; None passes NULL (the library reports it)."""
    if x is None:
        return None
    if not isinstance(x, Handle) or x._ctype != ctype:
        raise TypeError(f"{fn}: '{arg}' must be a {ctype} handle, not {type(x).__name__}")
    if x._ptr is None:
        raise ValueError(f"{fn}: '{arg}' is a freed {ctype} handle")
    return x._ptr


def as_array(x, base, fn, arg, writable=False):
    """Borrow a numpy array's memory (no copy); exact dtype and C order required."""
    if x is None:
        return None, 0
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{fn}: '{arg}' must be a numpy array of {np.dtype(NUMPY_DTYPES[base])}"
                        f", not {type(x).__name__}")
    want = np.dtype(NUMPY_DTYPES[base])
    if x.dtype != want:
        raise TypeError(f"{fn}: '{arg}' must have dtype {want}, not {x.dtype}")
    if not x.flags.c_contiguous:
        raise ValueError(f"{fn}: '{arg}' must be C-contiguous (np.ascontiguousarray)")
    if writable and not x.flags.writeable:
        raise ValueError(f"{fn}: '{arg}' must be writable")
    return x.ctypes.data_as(C.POINTER(_CT[base])), x.size


def _int_range(base):
    info = np.iinfo(NUMPY_DTYPES[base])
    return int(info.min), int(info.max)


def _user_params(meta):
    """Parameters the Python caller passes (outs, callbacks and user pointers excluded)."""
    return [m for m in meta if m[1] not in ("handle_out", "cstr_out", "charbuf", "callback",
                                            "voidp") and not (m[1] == "ptr_out" and m[4] != "inout")]


_SIZE_TOKEN = re.compile(r"[A-Za-z_]\w*|\d+|\S")


def _eval_size(expr, values):
    """Value of a generated size expression (integers, * + - / ( ), arguments, clef functions)."""
    out = []
    for tok in _SIZE_TOKEN.findall(expr):
        if tok in values:
            out.append(f"_v[{tok!r}]")
        elif tok.startswith("clef_"):
            out.append(f"_f[{tok!r}]")
        elif tok.isdigit() or tok in "+-*/(),":
            out.append("//" if tok == "/" else tok)
        else:
            raise AssertionError(f"bad size token {tok!r}")
    return int(eval("".join(out), {"__builtins__": {}, "_v": values, "_f": _fns}))


class _Generic:
    """A CLEF_API function with Python-level checks; see the module docstring."""

    def __init__(self, name):
        self.name = name
        self.meta = _ffi.SIGNATURES[name]
        self.params = _user_params(self.meta)
        self.__name__ = name
        self.optional = _ffi.OPTIONAL_OUTS.get(name, ())

    def __call__(self, *args: Any) -> Any:
        name, meta = self.name, self.meta
        if len(args) != len(self.params):
            raise TypeError(f"{name}() takes {len(self.params)} arguments "
                            f"({', '.join(m[0] for m in self.params)}), got {len(args)}")
        given = {m[0]: a for m, a in zip(self.params, args)}
        cargs: List[Any] = []
        outs: List[Any] = []
        keep: List[Any] = []
        arr: Any
        box: Any
        # integer and handle arguments, as C sees them, for the size expressions
        values = {}
        for pname, kind, base, size, role in meta:
            if kind == "handle":
                values[pname] = as_handle(given[pname], base, name, pname)
            elif kind == "scalar" and base not in ("float", "double"):
                v = given[pname]
                if isinstance(v, (bool, float)) or not isinstance(v, (int, np.integer)):
                    raise TypeError(f"{name}: '{pname}' must be an int, not {type(v).__name__}")
                lo, hi = _int_range(base)
                if not lo <= int(v) <= hi:  # ctypes would silently wrap it
                    raise builtins.OverflowError(f"{name}: '{pname}' = {v} does not fit {base}")
                values[pname] = int(v)
        for pname, kind, base, size, role in meta:
            if kind == "handle" or (kind == "scalar" and pname in values):
                cargs.append(values[pname])
            elif kind == "scalar":
                cargs.append(float(given[pname]))
            elif kind == "cstr":
                cargs.append(cstr(given[pname], name, pname))
            elif kind == "cstr_array":
                v = given[pname]
                if v is not None and (isinstance(v, str) or
                                      not all(isinstance(x, str) for x in v)):
                    raise TypeError(f"{name}: '{pname}' must be a sequence of str or None")
                arr = (C.c_char_p * len(v))(*[x.encode("utf-8") for x in v]) if v else None
                keep.append(arr)
                cargs.append(arr)
                if v is not None:
                    self._check_len(pname, len(v), size, values)
            elif kind in ("array_in", "bytes_in") or role == "inout":
                v = given[pname]
                if kind == "bytes_in" and isinstance(v, (bytes, bytearray)):
                    v = np.frombuffer(bytes(v), dtype=np.uint8)
                ptr, n = as_array(v, "uint8_t" if kind == "bytes_in" else base, name, pname,
                                  writable=role == "inout")
                keep.append(v)
                cargs.append(C.cast(ptr, C.c_void_p) if kind == "bytes_in" and ptr else ptr)
                if v is not None:
                    self._check_len(pname, n, size, values)
                if role == "inout":
                    outs.append(("array", base, v))
            elif kind == "callback":
                cargs.append(getattr(_ffi, base)())  # a NULL function pointer
            elif kind == "voidp":
                cargs.append(None)
            elif kind == "handle_out":
                box = C.POINTER(getattr(_ffi, base))()
                outs.append((kind, base, box))
                cargs.append(C.byref(box))
            elif kind == "cstr_out":
                box = C.c_char_p()
                outs.append((kind, base, box))
                cargs.append(C.byref(box))
            elif kind == "charbuf" or role == "out":
                cap = _eval_size(size, values)
                if cap < 0:
                    raise ValueError(f"{name}: size of '{pname}' ({size}) = {cap} < 0")
                if cap == 0 and pname in self.optional:  # "may be NULL": not wanted
                    outs.append(("none", base, None))
                    cargs.append(None)
                elif kind == "charbuf":
                    buf = C.create_string_buffer(max(cap, 1))
                    outs.append(("charbuf", base, buf))
                    cargs.append(C.cast(buf, C.POINTER(C.c_char)))
                else:
                    arr = np.zeros(cap, dtype=NUMPY_DTYPES[base])
                    outs.append(("array", base, arr))
                    ptr = arr.ctypes.data_as(C.POINTER(_CT[base]))
                    argtypes: Any = _ffi.FUNCTIONS[name][1]
                    cargs.append(C.cast(ptr, C.c_void_p) if argtypes[
                        len(cargs)] is C.c_void_p else ptr)
            elif kind == "ptr_out":
                box = _CT[base]()
                outs.append(("scalar", base, box))
                cargs.append(C.byref(box))
            else:
                raise AssertionError(kind)
        ret = _fns[name](*cargs)
        rkind, rbase, _ = _ffi.RETURNS[name]
        if name in _ffi.STATUS_FUNCTIONS and ret < 0:
            raise_status(ret, self._errmsg(args), name)
        if rkind == "cstr":
            ret = None if ret is None else ret.decode("utf-8")
        elif rkind == "handle":
            owner = next((a for a in args if isinstance(a, Handle)), True)
            ret = handle_class(rbase)._wrap(ret, owner) if ret else None
        if not outs:
            return ret
        vals = [self._out_value(o) for o in outs]
        return vals[0] if len(vals) == 1 else tuple(vals)

    def _check_len(self, pname, n, size, values):
        if size:
            want = _eval_size(size, values)
            if n < want:
                raise ValueError(f"{self.name}: '{pname}' has {n} elements but needs {size} = "
                                 f"{want}")

    @staticmethod
    def _out_value(o):
        kind, base, box = o
        if kind == "none":
            return None
        if kind == "handle_out":
            return handle_class(base)._wrap(box) if box else None
        if kind == "cstr_out":
            return None if box.value is None else box.value.decode("utf-8")
        if kind == "charbuf":
            return box.value.decode("utf-8")
        if kind == "array":
            return box
        return box.value

    def _errmsg(self, args):
        src = _ffi.ERROR_SOURCES.get(self.name)
        if not src:
            return ""
        idx, fn = src
        pname = self.meta[idx][0]
        h = dict(zip((m[0] for m in self.params), args)).get(pname)
        if isinstance(h, Handle) and h._ptr is not None:
            msg = _fns[fn](h._ptr)
            return msg.decode("utf-8") if msg else ""
        return ""


__all__ = ["InvalidArgError", "NomemError", "IoError", "FormatError", "UnsupportedError",
           "StateError", "ShapeError", "BusyError", "MisuseError", "InternalError",
           "BufferTooSmallError", "NotFoundError", "RangeError", "CancelledError",
           "ClefOverflowError"]
assert sorted(__all__) == sorted(c.__name__ for c in ERROR_CLASSES.values()), \
    "clef._core.__all__ and its TYPE_CHECKING classes must follow clef_status_code"

if TYPE_CHECKING:  # the classes made above, for type checkers
    class InvalidArgError(ClefError, ValueError): ...
    class NomemError(ClefError, MemoryError): ...
    class IoError(ClefError, OSError): ...
    class FormatError(ClefError): ...
    class UnsupportedError(ClefError): ...
    class StateError(ClefError): ...
    class ShapeError(ClefError, ValueError): ...
    class BusyError(ClefError): ...
    class MisuseError(ClefError): ...
    class InternalError(ClefError): ...
    class BufferTooSmallError(ClefError): ...
    class NotFoundError(ClefError, LookupError): ...
    class RangeError(ClefError, ValueError): ...
    class CancelledError(ClefError): ...
    class ClefOverflowError(ClefError, OverflowError): ...
raw = _fns  # the bare ctypes functions, no checks

# Every generated function, typed, with clef.h's comment as its docstring (last: it uses the
# definitions above).
from . import _lowlevel as lowlevel  # noqa: E402
