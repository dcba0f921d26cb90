"""clef.from_mne: an MNE Raw object to a libclef recording (when MNE and the reader API exist)."""

import numpy as np

from . import _ffi


def from_mne(raw, ctx=None, picks="eeg"):
    """Convert an ``mne.io.Raw`` into a libclef recording, without copying beyond MNE's own
    float64 -> float32 conversion. Data leave MNE in volts, so the units are passed as V.

    Needs MNE (``pip install clef[mne]``) and a libclef with the recording API."""
    try:
        import mne  # noqa: F401
    except ImportError as e:
        raise ImportError("clef.from_mne needs MNE: pip install mne") from e
    missing = [f for f in _NEEDED if f not in _ffi.FUNCTIONS]
    if missing:
        raise NotImplementedError(f"this libclef lacks {', '.join(missing)}")
    raise NotImplementedError("no recording API bound")


_NEEDED = ("clef_recording_from_samples",)
