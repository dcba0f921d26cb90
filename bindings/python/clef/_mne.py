"""clef.from_mne: an MNE Raw object to libclef's canonical model input."""

import warnings
from typing import Any, Optional, Sequence, Union

import numpy as np

from . import _ffi

_NEEDED = ("clef_stream_create", "clef_stream_push_planar", "clef_stream_finish",
           "clef_stream_pull")


def from_mne(raw: Any, ctx: Any = None, params: Any = None,
             picks: Union[str, Sequence[int]] = "eeg") -> Any:
    """The 19 canonical channels of an ``mne.io.Raw`` (clef.Canonical: float32 (19, n) in
    microvolts at the target rate, present mask), through a clef.Stream: labels are mapped and
    aliased as libclef does for files, and MNE's volts are passed with units "V".

    With picks="eeg" the EEG channels not marked bad are converted; the bad ones
    (``raw.info["bads"]``) are dropped with a UserWarning naming them (pass picks, channel
    indices, to keep them).

    Needs MNE (``pip install libclef[mne]``) and a libclef with the stream API."""
    missing = [f for f in _NEEDED if f not in _ffi.FUNCTIONS]
    if missing:
        raise NotImplementedError(f"this libclef lacks {', '.join(missing)}")
    try:
        import mne  # type: ignore  # (MNE ships no type information)
    except ImportError as e:
        raise ImportError("clef.from_mne needs MNE: pip install mne") from e
    from ._api import Context
    from ._signal import Canonical, Stream, _io_rate, canonical_channels

    if not isinstance(raw, mne.io.BaseRaw):
        raise TypeError(f"from_mne: expected an mne.io.Raw, not {type(raw).__name__}")
    if isinstance(picks, str) and picks == "eeg":
        idx = mne.pick_types(raw.info, eeg=True)
        every = mne.pick_types(raw.info, eeg=True, exclude=[])
        dropped = [raw.ch_names[i] for i in every if i not in set(idx.tolist())]
        if dropped:
            warnings.warn(f"from_mne: dropped {len(dropped)} bad channel(s) "
                          f"{', '.join(dropped)} (raw.info['bads']); pass picks=<indices> to "
                          "keep them", UserWarning, stacklevel=2)
    else:
        idx = np.asarray(picks)
    if len(idx) == 0:
        raise ValueError("from_mne: no EEG channel to convert")
    own = ctx is None
    ctx = Context() if own else ctx
    try:
        names = [raw.ch_names[i] for i in idx]
        with Stream(ctx, names, rates=raw.info["sfreq"], units="V", params=params) as st:
            st.push(np.ascontiguousarray(raw.get_data(picks=idx), dtype=np.float32))
            st.finish()
            data = st.pull()
            mask = st.present_mask
        return Canonical(data, mask, _io_rate(params), canonical_channels())
    finally:
        if own:
            ctx.close()
