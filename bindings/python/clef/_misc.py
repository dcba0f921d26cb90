"""Free-function groups of clef.h: channel labels, default models, the synthetic cohort,
clinical reports and the band-power baseline."""

from typing import Any, List, NamedTuple, Optional, Union

import numpy as np

from ._core import CStr, Handle, lowlevel
from .enums import ChannelClass, ChannelMap, DefaultModel

_ll = lowlevel


class ChannelLabel(NamedTuple):
    """A parsed signal label: normalised name, channel class, canonical index (None when not
    one of the 19) and how it maps to the model's input."""

    name: str
    klass: ChannelClass
    canonical: Optional[int]
    map: ChannelMap


def parse_channel(label: str) -> ChannelLabel:
    """Parse a signal label as libclef does for files and streams: "EEG T3-REF" ->
    ChannelLabel("T7", EEG, 12, ALIASED)."""
    name, klass, canonical, mapping = _ll.clef_channel_parse(label, 64)
    return ChannelLabel(name, ChannelClass(klass), None if canonical < 0 else canonical,
                        ChannelMap(mapping))


def default_model_path(which: Union[int, str], ctx: Optional[Handle] = None) -> str:
    """Path of a default model ("tokenizer", "encoder", "aligner", "encoder_pretrained" or a
    clef.DefaultModel): $CLEF_MODELS_DIR, the installed models, or the source tree's;
    clef.NotFoundError naming the places tried."""
    if isinstance(which, str):
        if which.upper() not in DefaultModel.__members__:
            raise ValueError(f"default_model_path: unknown model {which!r}; one of "
                             f"{[m.name.lower() for m in DefaultModel]}")
        which = DefaultModel[which.upper()]
    from ._api import Context

    own = ctx is None
    c = Context() if own else ctx
    try:
        path, needed = _ll.clef_default_model_path(c, int(which), 4096)
        return path
    finally:
        if own:
            c.close()  # type: ignore[union-attr]


def generate_cohort(session: Handle, out_dir: CStr, params: Optional[Handle] = None) -> None:
    """Write a synthetic clinical cohort with known ground truth into out_dir
    (docs/COHORT-FORMAT.md): params a clef.Params(ctx, "cohort") or None for the defaults.
    Deterministic whatever the session's thread count."""
    _ll.clef_cohort_generate(session, params, out_dir)


def cohort_tasks() -> List[str]:
    """Names of the synthetic cohort's tasks, e.g. "med_benzodiazepine"."""
    return [_ll.clef_cohort_task_name(i) or "" for i in range(_ll.clef_cohort_n_tasks())]


def report_findings() -> List[str]:
    """Names of the findings a report is scored for, e.g. "focal_slowing"."""
    return [_ll.clef_report_finding_name(i) or "" for i in range(_ll.clef_report_n_findings())]


def _utf8(text: Union[str, bytes], fn: str) -> bytes:
    if isinstance(text, str):
        return text.encode("utf-8")
    if isinstance(text, (bytes, bytearray)):
        return bytes(text)
    raise TypeError(f"{fn}: text must be a str or bytes, not {type(text).__name__}")


def deidentify(ctx: Handle, text: Union[str, bytes]) -> str:
    """A report with its protected health information replaced by tags ([NAME], [ID],
    [DATE], [PHONE], [ADDRESS], [EMAIL], [AGE 90+])."""
    raw = _utf8(text, "deidentify")
    cap = 5 * len(raw) + 64  # the longest tag over the shortest text it replaces
    out, needed = _ll.clef_report_deidentify(ctx, raw, len(raw), cap)
    return out


def report_section(ctx: Handle, text: Union[str, bytes], name: str) -> str:
    """The body of a report's section (case-insensitive; "FINDINGS" = "DESCRIPTION",
    "INTERPRETATION" = "IMPRESSION"); clef.NotFoundError (a LookupError) without it."""
    raw = _utf8(text, "report_section")
    begin, end = _ll.clef_report_section(ctx, raw, len(raw), name)
    return raw[begin:end].decode("utf-8", "replace")


def bandpower(ctx: Handle, x: Any, fs: float) -> np.ndarray:
    """Band-power baseline embedding of x float32 (n_channels, n_samples) microvolts at fs Hz:
    float32 (n_channels, 4), log10 power in delta, theta, alpha and beta (Welch, 2 s Hann
    segments). A clef.Canonical gives its data and rate."""
    from ._signal import Canonical, _rows

    if isinstance(x, Canonical):
        x, fs = x.data, x.rate
    a = np.ascontiguousarray(x)
    _rows(a, "bandpower")  # dtype and shape checks
    out, _needed = _ll.clef_bandpower_embed(ctx, a.reshape(-1), a.shape[0], a.shape[1],
                                            a.shape[1], fs, a.shape[0] * 4)
    return out.reshape(a.shape[0], 4)
