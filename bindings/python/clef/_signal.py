"""NumPy layer over the recording, stream and spectrogram APIs (when the library has them).

Signals are float32 arrays of shape (n_channels, n_samples) in C order, passed to libclef
without a copy; a row-strided view (``big[:, a:b]``) is passed through its stride, also without
a copy. Outputs are numpy arrays that libclef writes into directly.
"""

import ctypes as C
from collections import namedtuple

from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _ffi
from ._core import CStr, Handle, _fns, as_handle, lowlevel, raise_status, register
from .enums import ChannelClass, ChannelMap, FileType, HeaderField

if TYPE_CHECKING:
    from ._api import Context, Params, Session

_ll = lowlevel
_F32P = C.POINTER(C.c_float)

Canonical = namedtuple("Canonical", "data present_mask rate channels")
Canonical.__doc__ = ("19 canonical channels: data float32 (19, n) in microvolts at `rate` Hz, "
                     "present_mask bit c = channel c present, channels their names.")


def has(*names: str) -> bool:
    return all(n in _ffi.FUNCTIONS for n in names)


def _check(rc: int, fn: str, source: Optional[Handle] = None) -> int:
    """Raise for a negative status, with source's (a Handle) last error message."""
    if rc < 0:
        msg = ""
        if source is not None and not source.closed:
            em = _ffi.ERRMSG_FUNCTIONS.get(source._ctype or "")
            if em:
                msg = _fns[em](source._ptr).decode("utf-8", "replace")
        raise_status(rc, msg, fn)
    return rc


def _rows(x: Any, fn: str, arg: str = "x") -> Tuple[Any, int, int, int]:
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


def _at_rate(x: Any, fs: Optional[float], sg: Handle, fn: str) -> np.ndarray:
    """x's array, after checking its sample rate against sg's (a Spectrogram): x may be a
    clef.Canonical (its rate is used when fs is None) or an array with fs its rate in Hz (None:
    unchecked, taken as sg's). ValueError when the rates differ."""
    if isinstance(x, Canonical):
        x, fs = x.data, (x.rate if fs is None else fs)
    if fs is not None:
        want = _ll.clef_spectrogram_param_f64(sg, _ffi.CLEF_P_SPEC_FS)
        if float(fs) != want:
            raise ValueError(f"{fn}: x is sampled at {float(fs):g} Hz, but the spectrogram is "
                             f"built for {want:g} Hz; resample x (clef.resample) or build the "
                             "spectrogram with spec.fs")
    return x


def canonical_channels() -> List[str]:
    """Names of the 19 canonical channels (10-20 system), in model order."""
    n = _ll.clef_canonical_n_channels()
    return [_ll.clef_canonical_channel_name(i) or "" for i in range(n)]


if has("clef_recording_open", "clef_recording_read_canonical"):

    @register("clef_recording")
    class Recording(Handle):
        """An opened EDF/EDF+/BDF/BDF+ file (samples are read on demand).

        >>> with clef.Recording(ctx, "night.edf") as rec: sig = rec.read_canonical()
        """

        def __init__(self, ctx: "Context", path: CStr, params: Optional["Params"] = None) -> None:
            h = _ll.clef_recording_open(ctx, path, params)
            Handle.__init__(self, h._ptr)
            h._ptr = None
            self._params = params

        @property
        def n_signals(self) -> int:
            """Signals in the file (annotation signals excluded)."""
            return _ll.clef_recording_n_signals(self)

        @property
        def labels(self) -> List[str]:
            """Signal labels as written in the header."""
            return [_ll.clef_recording_signal_label(self, i) or "" for i in range(self.n_signals)]

        @property
        def units(self) -> List[str]:
            """Physical units of the signals, e.g. "uV"."""
            return [_ll.clef_recording_signal_unit(self, i) or "" for i in range(self.n_signals)]

        @property
        def rates(self) -> np.ndarray:
            """Sample rates of the signals in Hz, float64 (n_signals,)."""
            return np.array([_ll.clef_recording_signal_rate(self, i)
                             for i in range(self.n_signals)])

        @property
        def duration(self) -> float:
            """Duration of the recording in seconds."""
            return _ll.clef_recording_duration(self)

        @property
        def start(self) -> str:
            """Start date and time, ISO 8601 ("2000-01-01T00:00:00")."""
            return _ll.clef_recording_start_iso(self) or ""

        @property
        def annotations(self) -> List[Tuple[float, float, str]]:
            """[(onset_s, duration_s, text)]"""
            n = _ll.clef_recording_n_annotations(self)
            return [(onset, dur, text or "") for onset, dur, text in
                    (_ll.clef_recording_annotation(self, k) for k in range(n))]

        @property
        def warnings(self) -> List[str]:
            """Tolerated quirks of the file, one message each."""
            return [_ll.clef_recording_warning(self, i) or ""
                    for i in range(_ll.clef_recording_n_warnings(self))]

        @property
        def present_mask(self) -> int:
            """Bit c set: canonical channel c is present (clef.canonical_channels()[c])."""
            return _ll.clef_recording_present_mask(self)

        @property
        def file_type(self) -> FileType:
            """EDF, EDF+C, EDF+D, BDF, ... (clef.FileType)."""
            return FileType(_ll.clef_recording_file_type(self))

        @property
        def n_records(self) -> int:
            """Data records in the file."""
            return _ll.clef_recording_n_records(self)

        @property
        def record_duration(self) -> float:
            """Duration of one data record in seconds."""
            return _ll.clef_recording_record_duration(self)

        @property
        def header(self) -> Dict[str, str]:
            """The header's text fields by name ("version", "patient", "recording",
            "startdate", "starttime", "reserved")."""
            return {f.name.lower(): _ll.clef_recording_header_field(self, int(f)) or ""
                    for f in HeaderField}

        @property
        def channel_map(self) -> List[Tuple[str, ChannelClass, Optional[int], ChannelMap]]:
            """Per signal: (label, channel class, canonical index or None, how it maps)."""
            res = []
            for i, label in enumerate(self.labels):
                c = _ll.clef_recording_signal_canonical(self, i)
                res.append((label, ChannelClass(_ll.clef_recording_signal_class(self, i)),
                            None if c < 0 else c,
                            ChannelMap(_ll.clef_recording_signal_map(self, i))))
            return res

        def read_digital(self, i: int, first: int = 0, n: Optional[int] = None) -> np.ndarray:
            """Samples of signal i as stored (digital values, int32), no scaling."""
            if n is None:
                n = _ll.clef_recording_signal_n_samples(self, i) - first
            return _ll.clef_recording_read_digital(self, i, first, n)

        def read_physical(self, i: int, first: int = 0, n: Optional[int] = None) -> np.ndarray:
            """Samples of signal i in its own unit, float64."""
            if n is None:
                n = _ll.clef_recording_signal_n_samples(self, i) - first
            return _ll.clef_recording_read_physical(self, i, first, n)

        def read_canonical(self, t_start: float = 0.0, duration: float = -1.0) -> "Canonical":
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

        def _target_rate(self) -> Optional[float]:
            return _io_rate(self._params)


def _io_rate(params: Optional["Params"]) -> Optional[float]:
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

        def __init__(self, ctx: "Context", labels: Sequence[str],
                     rates: Union[float, Sequence[float]], units: Union[str, Sequence[str]],
                     params: Optional["Params"] = None) -> None:
            labels = list(labels)
            n = len(labels)
            if isinstance(units, str):
                units = [units] * n
            if units is None or len(units) != n:
                raise ValueError("Stream: units are required, one per channel (or one for all)")
            hz = np.ascontiguousarray(np.broadcast_to(np.asarray(rates, np.float64), (n,)))
            h = _ll.clef_stream_create(ctx, n, labels, hz, list(units), params)
            Handle.__init__(self, h._ptr)
            h._ptr = None
            self.n_channels = n
            self._rate = _io_rate(params)

        @property
        def present_mask(self) -> int:
            """Bit c set: canonical channel c is among the stream's channels."""
            return _ll.clef_stream_present_mask(self)

        def push(self, x: np.ndarray) -> None:
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

        def finish(self) -> None:
            """End of input: the remaining samples become available to pull()."""
            _ll.clef_stream_finish(self)

        def pull(self, max_n: Optional[int] = None) -> np.ndarray:
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


def _session(session: Any, ctx: Any, fn: str) -> Tuple[Any, bool]:
    """(session, owned): the caller's Session, or a new 1-thread one on ctx (a Context, or
    None / a closed one: a fresh context) that the caller must close."""
    from ._api import Context, Session

    if session is not None:
        as_handle(session, "clef_session", fn, "session")  # type check before any work
        return session, False
    if ctx is None or ctx.closed:
        with Context() as tmp:
            return Session(tmp, 1), True  # the session keeps its context alive
    return Session(ctx, 1), True


if has("clef_spectrogram_create", "clef_spectrogram_compute", "clef_session_create"):

    @register("clef_spectrogram")
    class Spectrogram(Handle):
        """Multitaper spectrogram (CLEF defaults: 200 Hz, 4 s window, 1 s step, 128 bins, dB).
        Immutable once created: one Spectrogram may serve several threads, each computing on
        its own clef.Session.

        >>> with clef.Spectrogram(ctx) as sg, clef.Session(ctx, 4) as s:
        ...     spec = sg.compute(x, s)  # (n_ch, n_freqs, n_frames)
        """

        def __init__(self, ctx: "Context", params: Optional["Params"] = None) -> None:
            h = _ll.clef_spectrogram_create(ctx, params)
            Handle.__init__(self, h._ptr)
            h._ptr = None
            self._ctx = ctx  # for the temporary session of compute(x) without one

        n_freqs = property(lambda self: _ll.clef_spectrogram_n_freqs(self),
                           doc="Frequency bins per frame.")
        n_tapers = property(lambda self: _ll.clef_spectrogram_n_tapers(self),
                            doc="DPSS tapers averaged.")
        window = property(lambda self: _ll.clef_spectrogram_window(self),
                          doc="Window length in samples.")
        step = property(lambda self: _ll.clef_spectrogram_step(self),
                        doc="Step between frames in samples.")

        @property
        def fs(self) -> float:
            """The sample rate in Hz the spectrogram is built for (its samples, Hz and s)."""
            return _ll.clef_spectrogram_param_f64(self, _ffi.CLEF_P_SPEC_FS)

        def n_frames(self, n_samples: int) -> int:
            """Frames of a signal of n_samples samples."""
            return _ll.clef_spectrogram_n_frames(self, n_samples)

        @property
        def freqs(self) -> np.ndarray:
            """Frequency axis in Hz, float64 (n_freqs,)."""
            out, _needed = _ll.clef_spectrogram_freqs(self, self.n_freqs)
            return out

        def times(self, n_samples: int) -> np.ndarray:
            """Frame centre times in seconds for n_samples samples, float64 (n_frames,)."""
            out, _needed = _ll.clef_spectrogram_times(self, n_samples, self.n_frames(n_samples))
            return out

        def compute(self, x: Any, session: Optional["Session"] = None,
                    out: Optional[np.ndarray] = None, fs: Optional[float] = None) -> np.ndarray:
            """x: float32 (n_channels, n_samples) microvolts, rows contiguous (a row-strided
            view is used without a copy). Returns float32 (n_channels, n_freqs, n_frames); out
            (optional) is a C-contiguous float32 array of that shape to write into.

            fs: x's sample rate in Hz. Give it, or pass a clef.Canonical (read_canonical(),
            from_mne()) whose rate is checked: the spectrogram takes x as sampled at
            Spectrogram.fs, so data at another rate (a recording read with another
            io.target_rate, say) raises ValueError instead of giving wrong Hz and times.

            session: the clef.Session to run on (its threads and reused scratch; errors are
            recorded on it). Without one, a 1-thread session is created for this call and
            freed after it: pass a Session for threads, or to reuse memory across calls."""
            sg = as_handle(self, "clef_spectrogram", "compute", "self")
            x = _at_rate(x, fs, self, "Spectrogram.compute")
            ptr, stride, rows, cols = _rows(x, "Spectrogram.compute")
            shape = (rows, self.n_freqs, self.n_frames(cols))
            if out is None:
                out = np.empty(shape, dtype=np.float32)
            elif (not isinstance(out, np.ndarray) or out.dtype != np.float32
                  or out.shape != shape or not out.flags.c_contiguous or not out.flags.writeable):
                raise ValueError(f"Spectrogram.compute: out must be a writable C-contiguous "
                                 f"float32 array of shape {shape}")
            s, owned = _session(session, self._ctx, "Spectrogram.compute")
            try:
                needed = C.c_size_t()
                rc = _fns["clef_spectrogram_compute"](
                    sg, as_handle(s, "clef_session", "Spectrogram.compute", "session"), ptr,
                    stride, rows, cols, out.ctypes.data_as(_F32P), out.size, C.byref(needed))
                _check(rc, "clef_spectrogram_compute", s)
            finally:
                if owned:
                    s.close()
            return out


if has("clef_tokenizer_load", "clef_tokenizer_spectrogram_create",
       "clef_tokenizer_encode_recording", "clef_tokenizer_encode_signal", "clef_session_create"):

    @register("clef_tokenizer")
    class Tokenizer(Handle):
        """VQGAN spectrogram tokenizer loaded from a safetensors weights file, ready for whole
        sessions (docs/tokenizer.md). Immutable: one Tokenizer may serve several threads, each
        encoding on its own clef.Session.

        >>> with clef.Tokenizer(ctx, "tok.safetensors") as tok, tok.spectrogram(ctx) as sg, \\
        ...         clef.Session(ctx, 4) as s, clef.Recording(ctx, "night.edf") as rec:
        ...     ids, present_mask = tok.tokenize_recording(s, sg, rec)
        """

        def __init__(self, ctx: "Context", path: Optional[CStr]) -> None:
            h = _ll.clef_tokenizer_load(ctx, path)
            Handle.__init__(self, h._ptr)
            h._ptr = None

        @property
        def n_tokens(self) -> int:
            """Token ids per session (2,048 for the default weights)."""
            return _ll.clef_tokenizer_n_tokens(self)

        @property
        def sha256(self) -> str:
            """SHA-256 of the weights file, lowercase hex (an encoder trained on this tokenizer
            names it: Encoder.tokenizer_sha256)."""
            return _ll.clef_tokenizer_sha256(self, 65)[0]

        @property
        def session_frames(self) -> int:
            """Spectrogram frames of the whole-session image (1,200 for the default weights)."""
            return _ll.clef_tokenizer_session_frames(self)

        def valid_columns(self, n_frames: int) -> int:
            """Token columns holding real data for a session of n_frames frames (the rest cover
            padding)."""
            return _ll.clef_tokenizer_valid_columns(self, n_frames)

        @property
        def shape(self) -> Tuple[int, int, int, int, int]:
            """(n_channels, n_freq, crop_t, grid_f, grid_t): input and token-grid shape."""
            return _ll.clef_tokenizer_shape(self)

        def decode(self, session: "Session", ids: Any) -> np.ndarray:
            """Spectrogram (dB) float32 (n_channels, n_freq, crop_t) decoded from n_tokens ids
            (e.g. tokenize_signal's), on session."""
            a = np.ascontiguousarray(ids, dtype=np.int32).reshape(-1)
            if a.size != self.n_tokens:
                raise ValueError(f"Tokenizer.decode: {a.size} ids, the tokenizer has "
                                 f"{self.n_tokens}")
            c, f, t, _gf, _gt = self.shape
            out, _needed = _ll.clef_tokenizer_decode(self, session, a, a.size, c * f * t)
            return out.reshape(c, f, t)

        def read_seconds(self, sg: "Spectrogram") -> float:
            """Seconds of a recording that the session image (frames of sg) covers, read from
            its start (with a 2 s resampling margin)."""
            return _ll.clef_tokenizer_read_seconds(self, sg)

        def spectrogram(self, ctx: "Context") -> "Spectrogram":
            """The Spectrogram the weights were trained on (their clef.spec.* metadata)."""
            h = _ll.clef_tokenizer_spectrogram_create(ctx, self)
            sg = Spectrogram.__new__(Spectrogram)
            Handle.__init__(sg, h._ptr)
            h._ptr = None
            sg._ctx = ctx
            return sg

        def tokenize_recording(self, session: "Session", sg: "Spectrogram",
                               rec: "Recording") -> Tuple[np.ndarray, int]:
            """(ids int32 (n_tokens,), present_mask) of a clef.Recording: read as the 19
            canonical channels, transformed by sg (checked against the weights) and encoded,
            on session (a clef.Session; errors are recorded on it)."""
            ids = np.zeros(self.n_tokens, dtype=np.int32)
            needed, mask = C.c_size_t(), C.c_uint32()
            fn = "Tokenizer.tokenize_recording"
            rc = _fns["clef_tokenizer_encode_recording"](
                as_handle(self, "clef_tokenizer", fn, "self"),
                as_handle(session, "clef_session", fn, "session"),
                as_handle(sg, "clef_spectrogram", fn, "sg"),
                as_handle(rec, "clef_recording", fn, "rec"),
                ids.ctypes.data_as(C.POINTER(C.c_int32)), ids.size, C.byref(needed),
                C.byref(mask))
            _check(rc, "clef_tokenizer_encode_recording", session)
            return ids[: needed.value], mask.value

        def tokenize_signal(self, session: "Session", sg: "Spectrogram", x: Any,
                            fs: Optional[float] = None) -> np.ndarray:
            """ids int32 (n_tokens,) of the 19 canonical channels x float32 (19, n_samples) in
            microvolts at sg's rate: a clef.Canonical (read_canonical(), from_mne(); its rate
            is checked) or an array whose rate fs (Hz) is checked when given."""
            fn = "Tokenizer.tokenize_signal"
            x = _at_rate(x, fs, sg, fn)
            ptr, stride, rows, cols = _rows(x, fn)
            if rows != len(canonical_channels()):
                raise ValueError(f"{fn}: x has {rows} rows, not the 19 canonical channels")
            ids = np.zeros(self.n_tokens, dtype=np.int32)
            needed = C.c_size_t()
            rc = _fns["clef_tokenizer_encode_signal"](
                as_handle(self, "clef_tokenizer", fn, "self"),
                as_handle(session, "clef_session", fn, "session"),
                as_handle(sg, "clef_spectrogram", fn, "sg"), ptr, stride, cols,
                ids.ctypes.data_as(C.POINTER(C.c_int32)), ids.size, C.byref(needed))
            _check(rc, "clef_tokenizer_encode_signal", session)
            return ids[: needed.value]
