"""Find and load libclef, refusing one built for another ABI."""

import ctypes
import ctypes.util
import os
import sys

from . import _ffi


def _lib_names():
    abi = _ffi.ABI_VERSION
    if sys.platform == "darwin":
        return [f"libclef.{abi}.dylib", "libclef.dylib"]
    if sys.platform == "win32":
        return ["clef.dll", "libclef.dll"]
    return [f"libclef.so.{abi}", "libclef.so"]


def candidates():
    """(how, path or name) in search order: CLEF_LIBRARY, installed, bundled."""
    env = os.environ.get("CLEF_LIBRARY")
    if env:
        return [("CLEF_LIBRARY", env)]  # an explicit choice: no silent fallback
    res = [("installed", n) for n in _lib_names()[:1]]
    found = ctypes.util.find_library("clef")
    if found:
        res.append(("installed", found))
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_lib")
    res += [("bundled", os.path.join(here, n)) for n in _lib_names()]
    return res


def load():
    """Return (CDLL, path, {name: function}); ImportError naming every place tried."""
    tried = []
    for how, name in candidates():
        try:
            lib = ctypes.CDLL(name)
        except OSError as e:
            tried.append(f"{how} {name}: {e}")
            continue
        try:
            abi_fn = lib.clef_abi_version
        except AttributeError:
            raise ImportError(f"{name} ({how}) is not libclef: no clef_abi_version") from None
        abi_fn.restype = ctypes.c_int32
        abi_fn.argtypes = []
        abi = abi_fn()
        if abi != _ffi.ABI_VERSION:
            raise ImportError(
                f"{name} ({how}) has ABI version {abi}, but these bindings were generated for "
                f"ABI {_ffi.ABI_VERSION}; install matching versions of libclef and clef")
        return lib, name, _ffi.bind(lib)
    raise ImportError("libclef not found; set CLEF_LIBRARY to its path. Tried:\n  "
                      + "\n  ".join(tried))
