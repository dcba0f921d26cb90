"""NumPy layer over the recording, stream and spectrogram APIs (when the library has them).

Signals are float32 arrays of shape (n_channels, n_samples) in C order, passed to libclef
without a copy; a row-strided view (``big[:, a:b]``) is passed through its stride, also without
a copy. Outputs are numpy arrays that libclef writes into directly.
"""

import ctypes as C
from collections import namedtuple

import numpy as np

from . import _ffi
from ._core import Handle, _fns, as_handle, lowlevel, raise_status, register

_ll = lowlevel
_F32P = C.POINTER(C.c_float)

Canonical = namedtuple("Canonical", "data present_mask rate channels")
Canonical.__doc__ = ("19 canonical channels: data float32 (19, n) in microvolts at `rate` Hz, "
                     "present_mask bit c = channel c present, channels their names.")


def has(*names):
    return all(n in _ffi.FUNCTIONS for n in names)


def _check(rc, fn, source=None):
    """Raise for a negative status, with source's (a Handle) last error message."""
    if rc < 0:
        msg = ""
        if source is not None and not source.closed:
            em = _ffi.ERRMSG_FUNCTIONS.get(source._ctype)
            if em:
                msg = _fns[em](source._ptr).decode("utf-8", "replace")
        raise_status(rc, msg, fn)
    return rc


def _rows(x, fn, arg="x"):
    """(pointer, row stride in floats, n_rows, n_cols) of a 2-D float32 array whose rows are
    contiguous; raises TypeError/ValueError otherwise (no silent conversion)."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{fn}: '{arg}' must be a numpy array (n_channels, n_samples), "
                        f"not {type(x).__name__}")
    if x.dtype != np.float32:
        raise TypeError(f"{fn}: '{arg}' must have dtype float32, not {x.dtype} "
                        "(convert with x.astype(np.float32))")
    if x.ndim != 2:
        raise ValueError(f"{fn}: '{arg}' must be 2-D (n_channels, n_samples), got shape "
                         f"{x.shape}")
    if x.shape[1] > 0 and (x.strides[1] != 4 or x.strides[0] % 4 or x.strides[0] < 4 * x.shape[1]):
        raise ValueError(f"{fn}: '{arg}' rows must be contiguous and non-overlapping (strides "
                         f"{x.strides}); use np.ascontiguousarray")
    stride = x.strides[0] // 4 if x.shape[0] > 1 else x.shape[1]
    return x.ctypes.data_as(_F32P), max(stride, x.shape[1]), x.shape[0], x.shape[1]


def canonical_channels():
    n = _ll.clef_canonical_n_channels()
    return [_ll.clef_canonical_channel_name(i) for i in range(n)]


if has("clef_recording_open", "clef_recording_read_canonical"):

    @register("clef_recording")
    class Recording(Handle):
        """An opened EDF/EDF+/BDF/BDF+ file (samples are read on demand).

        >>> with clef.Recording(ctx, "night.edf") as rec: sig = rec.read_canonical()
        """

        def __init__(self, ctx, path, params=None):
            h = _ll.clef_recording_open(ctx, str(path), params)
            Handle.__init__(self, h._ptr)
            h._ptr = None
            self._params = params

        @property
        def n_signals(self):
            return _ll.clef_recording_n_signals(self)

        @property
        def labels(self):
            return [_ll.clef_recording_signal_label(self, i) for i in range(self.n_signals)]

        @property
        def units(self):
            return [_ll.clef_recording_signal_unit(self, i) for i in range(self.n_signals)]

        @property
        def rates(self):
            return np.array([_ll.clef_recording_signal_rate(self, i)
                             for i in range(self.n_signals)])

        @property
        def duration(self):
            return _ll.clef_recording_duration(self)

        @property
        def start(self):
            return _ll.clef_recording_start_iso(self)

        @property
        def annotations(self):
            """[(onset_s, duration_s, text)]"""
            n = _ll.clef_recording_n_annotations(self)
            return [_ll.clef_recording_annotation(self, k) for k in range(n)]

        @property
        def warnings(self):
            return [_ll.clef_recording_warning(self, i)
                    for i in range(_ll.clef_recording_n_warnings(self))]

        def read_physical(self, i, first=0, n=None):
            """Samples of signal i in its own unit, float64."""
            if n is None:
                n = _ll.clef_recording_signal_n_samples(self, i) - first
            return _ll.clef_recording_read_physical(self, i, first, n)

        def read_canonical(self, t_start=0.0, duration=-1.0):
            """The 19 canonical channels in microvolts at the target rate (Canonical)."""
            ptr = as_handle(self, "clef_recording", "read_canonical", "self")
            n = _ll.clef_recording_canonical_length(self, t_start, duration)
            out = np.zeros((len(canonical_channels()), max(n, 1)), dtype=np.float32)
            n_out, mask = C.c_int64(), C.c_uint32()
            rc = _fns["clef_recording_read_canonical"](
                ptr, t_start, duration, out.ctypes.data_as(_F32P), out.shape[1], out.size,
                C.byref(n_out), C.byref(mask))
            _check(rc, "clef_recording_read_canonical", self)
            return Canonical(out[:, : n_out.value], mask.value, self._target_rate(),
                             canonical_channels())

        def _target_rate(self):
            return _io_rate(self._params)


def _io_rate(params):
    """CLEF_P_IO_TARGET_RATE of an IO parameter set (None: the library default)."""
    key = _ffi.ENUMS.get("clef_param_key_io", {}).get("CLEF_P_IO_TARGET_RATE")
    if key is None:
        return None
    if params is not None:
        return _ll.clef_params_get_f64(params, key)
    from ._api import Context, Params

    with Context() as ctx, Params(ctx, _ffi.CLEF_PARAMS_IO) as p:
        return _ll.clef_params_get_f64(p, key)


if has("clef_stream_create", "clef_stream_push_planar", "clef_stream_pull"):

    @register("clef_stream")
    class Stream(Handle):
        """Incremental input: push (n_channels, n) float32 chunks in the declared units, pull the
        19 canonical channels in microvolts at the target rate.

        >>> st = clef.Stream(ctx, ["Fp1", "Fp2"], rates=[256, 256], units="uV")
        """

        def __init__(self, ctx, labels, rates, units, params=None):
            labels = list(labels)
            n = len(labels)
            if isinstance(units, str):
                units = [units] * n
            if units is None or len(units) != n:
                raise ValueError("Stream: units are required, one per channel (or one for all)")
            rates = np.ascontiguousarray(np.broadcast_to(np.asarray(rates, np.float64), (n,)))
            h = _ll.clef_stream_create(ctx, n, labels, rates, list(units), params)
            Handle.__init__(self, h._ptr)
            h._ptr = None
            self.n_channels = n
            self._rate = _io_rate(params)

        @property
        def present_mask(self):
            return _ll.clef_stream_present_mask(self)

        def push(self, x):
            """Push x (n_channels, n) float32, without a copy."""
            ptr, stride, rows, cols = _rows(x, "Stream.push")
            if rows != self.n_channels:
                raise ValueError(f"Stream.push: x has {rows} rows, the stream {self.n_channels} "
                                 "channels")
            counts = np.full(rows, cols, dtype=np.int64)
            rc = _fns["clef_stream_push_planar"](
                as_handle(self, "clef_stream", "push", "self"), ptr, stride,
                counts.ctypes.data_as(C.POINTER(C.c_int64)))
            _check(rc, "clef_stream_push_planar", self)

        def finish(self):
            _ll.clef_stream_finish(self)

        def pull(self, max_n=None):
            """Ready output: float32 (19, k) microvolts at the target rate."""
            avail = _ll.clef_stream_available(self)
            n = avail if max_n is None else min(max_n, avail)
            out = np.zeros((len(canonical_channels()), max(n, 1)), dtype=np.float32)
            n_out = C.c_int64()
            rc = _fns["clef_stream_pull"](as_handle(self, "clef_stream", "pull", "self"),
                                          out.ctypes.data_as(_F32P), out.shape[1], n,
                                          C.byref(n_out))
            _check(rc, "clef_stream_pull", self)
            return out[:, : n_out.value]


if has("clef_spectrogram_create", "clef_spectrogram_compute"):

    @register("clef_spectrogram")
    class Spectrogram(Handle):
        """Multitaper spectrogram (CLEF defaults: 200 Hz, 4 s window, 1 s step, 128 bins, dB).

        >>> with clef.Spectrogram(ctx) as sg: s = sg.compute(x)  # (n_ch, n_freqs, n_frames)
        """

        def __init__(self, ctx, params=None):
            h = _ll.clef_spectrogram_create(ctx, params)
            Handle.__init__(self, h._ptr)
            h._ptr = None

        n_freqs = property(lambda self: _ll.clef_spectrogram_n_freqs(self))
        n_tapers = property(lambda self: _ll.clef_spectrogram_n_tapers(self))
        window = property(lambda self: _ll.clef_spectrogram_window(self))
        step = property(lambda self: _ll.clef_spectrogram_step(self))

        def n_frames(self, n_samples):
            return _ll.clef_spectrogram_n_frames(self, n_samples)

        @property
        def freqs(self):
            out, _needed = _ll.clef_spectrogram_freqs(self, self.n_freqs)
            return out

        def times(self, n_samples):
            out, _needed = _ll.clef_spectrogram_times(self, n_samples, self.n_frames(n_samples))
            return out

        def compute(self, x, out=None):
            """x: float32 (n_channels, n_samples) microvolts, rows contiguous (a row-strided
            view is used without a copy). Returns float32 (n_channels, n_freqs, n_frames); out
            (optional) is a C-contiguous float32 array of that shape to write into."""
            ptr, stride, rows, cols = _rows(x, "Spectrogram.compute")
            shape = (rows, self.n_freqs, self.n_frames(cols))
            if out is None:
                out = np.empty(shape, dtype=np.float32)
            elif (not isinstance(out, np.ndarray) or out.dtype != np.float32
                  or out.shape != shape or not out.flags.c_contiguous or not out.flags.writeable):
                raise ValueError(f"Spectrogram.compute: out must be a writable C-contiguous "
                                 f"float32 array of shape {shape}")
            needed = C.c_size_t()
            rc = _fns["clef_spectrogram_compute"](
                as_handle(self, "clef_spectrogram", "compute", "self"), ptr, stride, rows, cols,
                out.ctypes.data_as(_F32P), out.size, C.byref(needed))
            _check(rc, "clef_spectrogram_compute")
            return out
