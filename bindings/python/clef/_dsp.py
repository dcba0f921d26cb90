"""NumPy layer over the signal tools: resampling, DPSS tapers, montages and the incremental
spectrogram (clef.SpectrogramStream)."""

import ctypes as C
from typing import Any, Optional, Tuple

import numpy as np

from ._core import Handle, _fns, as_handle, lowlevel, register
from ._signal import Spectrogram, _at_rate, _check, _rows, canonical_channels

_ll = lowlevel
_F32P = C.POINTER(C.c_float)


def _vector(x: np.ndarray, fn: str, arg: str = "x") -> np.ndarray:
    """A 1-D float32 C-contiguous array (TypeError for another dtype: no silent conversion)."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{fn}: '{arg}' must be a 1-D float32 numpy array, not "
                        f"{type(x).__name__}")
    if x.dtype != np.float32:
        raise TypeError(f"{fn}: '{arg}' must have dtype float32, not {x.dtype}")
    if x.ndim != 1:
        raise ValueError(f"{fn}: '{arg}' must be 1-D, got shape {x.shape}")
    return np.ascontiguousarray(x)


def resample(ctx: Handle, x: np.ndarray, up: int, down: int) -> np.ndarray:
    """x (float32, 1-D, or 2-D rows resampled one by one) resampled by up/down, as
    scipy.signal.resample_poly(x, up, down, axis=-1): the output keeps x's leading shape.

    >>> y = clef.resample(ctx, x, 200, 256)  # 256 Hz -> 200 Hz
    """
    if isinstance(x, np.ndarray) and x.ndim == 2:
        rows = [resample(ctx, np.ascontiguousarray(r), up, down) for r in x]
        n = _ll.clef_resample_length(x.shape[1], up, down)
        return np.stack(rows) if rows else np.zeros((0, n), np.float32)
    v = _vector(x, "resample")
    n = _ll.clef_resample_length(v.size, up, down)
    return _ll.clef_resample(ctx, v, v.size, up, down, n)


def dpss(ctx: Handle, n: int, nw: float, k: int, sym: bool = True,
         ratios: bool = False) -> Any:
    """Discrete prolate spheroidal (Slepian) tapers as scipy.signal.windows.dpss(n, nw, k,
    sym): float64 (k, n); with ratios=True also the k concentration ratios."""
    tapers, _needed, r = _ll.clef_dpss_compute(ctx, n, nw, k, int(sym), n * k)
    tapers = tapers.reshape(k, n)
    return (tapers, r) if ratios else tapers


def _canonical_rows(x: np.ndarray, fn: str) -> Tuple[object, int, int]:
    ptr, stride, rows, cols = _rows(x, fn)
    if rows != len(canonical_channels()):
        raise ValueError(f"{fn}: x has {rows} rows, not the 19 canonical channels "
                         "(clef.canonical_channels())")
    return ptr, stride, cols


def common_average(x: np.ndarray, present_mask: int) -> np.ndarray:
    """Re-reference x (float32 (19, n), the canonical channels, C-contiguous) in place to the
    average of the channels present in present_mask; absent rows are left as they are.
    Returns x."""
    fn = "common_average"
    _canonical_rows(x, fn)
    if not x.flags.c_contiguous or not x.flags.writeable:
        raise ValueError(f"{fn}: x must be C-contiguous and writable (it is re-referenced in "
                         "place)")
    _ll.clef_montage_common_average(x.reshape(-1), x.shape[1], x.shape[1], present_mask)
    return x


def bipolar_channels() -> list:
    """Names of the 18 longitudinal bipolar pairs, e.g. "Fp1-F7"."""
    return [_ll.clef_bipolar_channel_name(i) for i in range(_ll.clef_bipolar_n_channels())]


def bipolar(x: np.ndarray, present_mask: int) -> Tuple[np.ndarray, int]:
    """Longitudinal bipolar montage of x (float32 (19, n), canonical channels): (float32
    (18, n), mask) where row j is the pair bipolar_channels()[j], and bit j of mask is set when
    both of its electrodes are present (other rows are zero)."""
    fn = "bipolar"
    ptr, stride, cols = _canonical_rows(x, fn)
    out = np.zeros((_ll.clef_bipolar_n_channels(), cols), dtype=np.float32)
    mask = C.c_uint32()
    rc = _fns["clef_montage_bipolar"](ptr, stride, cols, present_mask,
                                      out.ctypes.data_as(_F32P), max(cols, 1), C.byref(mask))
    _check(rc, "clef_montage_bipolar")
    return out, mask.value


@register("clef_spectrogram_stream")
class SpectrogramStream(Handle):
    """The spectrogram of a signal that arrives in chunks: push (n_channels, n) float32
    chunks, get the frames each push completes as float32 (n_channels, n_freqs, k); finish()
    returns the last ones. The frames equal Spectrogram.compute of the whole signal.

    >>> with clef.SpectrogramStream(s, sg, 19) as st:
    ...     for chunk in chunks: frames = st.push(chunk)
    ...     last = st.finish()
    """

    def __init__(self, session: Handle, sg: Spectrogram, n_channels: int) -> None:
        self._take(_ll.clef_spectrogram_stream_create(session, sg, n_channels))
        self._session = session
        self.n_channels = n_channels
        self.n_freqs = sg.n_freqs
        self._sg = sg

    @property
    def frames(self) -> int:
        """Frames emitted so far (the index of the next one)."""
        return _ll.clef_spectrogram_stream_frames(self)

    @property
    def errmsg(self) -> str:
        """Message of the last failure on the stream ("" if none)."""
        return _ll.clef_spectrogram_stream_errmsg(self) or ""

    def _out(self, k: int) -> np.ndarray:
        return np.zeros((self.n_channels, self.n_freqs, k), dtype=np.float32)

    def push(self, x: Any, fs: Optional[float] = None) -> np.ndarray:
        """Push x float32 (n_channels, n) (rows contiguous; a clef.Canonical or fs, its rate in
        Hz, has the rate checked against the spectrogram's); the frames it completes, float32
        (n_channels, n_freqs, k), k possibly 0."""
        fn = "SpectrogramStream.push"
        x = _at_rate(x, fs, self._sg, fn)
        ptr, stride, rows, cols = _rows(x, fn)
        if rows != self.n_channels:
            raise ValueError(f"{fn}: x has {rows} rows, the stream {self.n_channels} channels")
        out = self._out(_ll.clef_spectrogram_stream_pending(self, cols))
        needed, k = C.c_size_t(), C.c_int64()
        rc = _fns["clef_spectrogram_stream_push"](
            as_handle(self, self._ctype or "", fn, "self"), ptr, stride, cols,
            out.ctypes.data_as(_F32P), out.size, C.byref(needed), C.byref(k))
        _check(rc, "clef_spectrogram_stream_push", self)
        return out[:, :, : k.value]

    def finish(self) -> np.ndarray:
        """End of input: the last frames (zero padding completes them), float32
        (n_channels, n_freqs, k)."""
        fn = "SpectrogramStream.finish"
        ptr = as_handle(self, self._ctype or "", fn, "self")
        needed, k = C.c_size_t(), C.c_int64()
        rc = _fns["clef_spectrogram_stream_finish"](ptr, None, 0, C.byref(needed), C.byref(k))
        if rc >= 0:
            return self._out(0)
        if needed.value == 0:
            _check(rc, "clef_spectrogram_stream_finish", self)
        out = self._out(needed.value // max(self.n_channels * self.n_freqs, 1))
        rc = _fns["clef_spectrogram_stream_finish"](ptr, out.ctypes.data_as(_F32P), out.size,
                                                    C.byref(needed), C.byref(k))
        _check(rc, "clef_spectrogram_stream_finish", self)
        return out[:, :, : k.value]


@register("clef_encoder_stream")
class EncoderStream(Handle):
    """A session's embedding while its signal arrives: push (19, n) float32 chunks of the
    canonical channels (uV at the spectrogram's rate), then tokens() or embed() of the session
    so far, at any time. The same as Encoder.embed_signal of the whole signal.

    >>> with clef.EncoderStream(s, enc, tok, sg) as st:
    ...     for chunk in chunks: st.push(chunk)
    ...     st.finish(); emb = st.embed(s)
    """

    def __init__(self, session: Handle, encoder: Handle, tokenizer: Handle,
                 sg: Spectrogram) -> None:
        self._take(_ll.clef_encoder_stream_create(session, encoder, tokenizer, sg))
        self._sg = sg
        self._n_tokens = _ll.clef_tokenizer_n_tokens(tokenizer)
        self._embed_dim = _ll.clef_encoder_shape(encoder)[2]

    @property
    def errmsg(self) -> str:
        """Message of the last failure of push or finish ("" if none)."""
        return _ll.clef_encoder_stream_errmsg(self) or ""

    @property
    def frames(self) -> int:
        """Spectrogram frames kept so far (at most the session image's)."""
        return _ll.clef_encoder_stream_frames(self)

    def push(self, x: Any, fs: Optional[float] = None) -> None:
        """Push x float32 (19, n): a clef.Canonical, or an array whose rate fs (Hz) is checked
        when given."""
        fn = "EncoderStream.push"
        x = _at_rate(x, fs, self._sg, fn)
        ptr, stride, cols = _canonical_rows(x, fn)
        rc = _fns["clef_encoder_stream_push"](as_handle(self, self._ctype or "", fn, "self"),
                                              ptr, stride, cols)
        _check(rc, "clef_encoder_stream_push", self)

    def finish(self) -> None:
        """End of input (the spectrogram's trailing frames)."""
        _ll.clef_encoder_stream_finish(self)

    def tokens(self, session: Handle) -> np.ndarray:
        """Token ids of the session so far, int32 (n_tokens,)."""
        ids, _needed = _ll.clef_encoder_stream_tokens(self, session, self._n_tokens)
        return ids

    def embed(self, session: Handle) -> np.ndarray:
        """The session's embedding so far, float32 (embed_dim,)."""
        emb, _needed = _ll.clef_encoder_stream_embed(self, session, self._embed_dim)
        return emb
