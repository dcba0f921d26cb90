"""Classes over the file writers and readers: safetensors weights (clef.Weights,
clef.WeightsWriter) and the EDF/BDF writer (clef.EdfWriter)."""

from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple, Union

import numpy as np

from ._core import CStr, Handle, lowlevel, register
from .enums import Dtype, EdfFormat, EhrAttr, EhrField, EhrFormat, EhrKind

_ll = lowlevel

@register("clef_weights")
class Weights(Handle, Mapping[str, np.ndarray]):
    """A safetensors file opened read-only: a mapping from tensor names to float32 arrays of
    their shape (F16/BF16/F64 widened or narrowed to float32), plus its metadata (``meta``).

    >>> with clef.Weights(ctx, "tok.safetensors") as w:
    ...     w["enc.conv_in.weight"].shape, w.dtype("enc.conv_in.weight"), w.meta["clef.kind"]
    """

    def __init__(self, ctx: Handle, path: Union[CStr, bytes, bytearray], *,
                 memory: bool = False) -> None:
        """path: the file; with memory=True, path is the file's bytes instead (copied)."""
        if memory:
            data = bytes(path)  # type: ignore[arg-type]
            self._take(_ll.clef_weights_open_memory(ctx, data, len(data)))
        else:
            self._take(_ll.clef_weights_open(ctx, path))  # type: ignore[arg-type]

    @property
    def errmsg(self) -> str:
        """Message of the last failure on the handle ("" if none)."""
        return _ll.clef_weights_errmsg(self) or ""

    def names(self) -> List[str]:
        """Tensor names in file order."""
        return [self._info(i)[0] for i in range(_ll.clef_weights_n_tensors(self))]

    def _info(self, index: int) -> Tuple[str, int, int, int]:
        name, dtype, rank, numel = _ll.clef_weights_tensor_info(self, index)
        return name or "", dtype, rank, numel

    def _index(self, name: str) -> int:
        if not isinstance(name, str):
            raise TypeError(f"Weights: a tensor name is a str, not {type(name).__name__}")
        try:
            return _ll.clef_weights_tensor_index(self, name)
        except LookupError:
            raise KeyError(f"no tensor {name!r} in the weights") from None

    def shape(self, name: str) -> Tuple[int, ...]:
        """The tensor's shape."""
        i = self._index(name)
        rank = self._info(i)[2]
        shape, _needed = _ll.clef_weights_tensor_shape(self, i, rank)
        return tuple(int(d) for d in shape)

    def dtype(self, name: str) -> Dtype:
        """The tensor's stored dtype (clef.enums.Dtype)."""
        return Dtype(self._info(self._index(name))[1])

    def raw(self, name: str) -> bytes:
        """The tensor's stored bytes (little-endian)."""
        i = self._index(name)
        _name, dtype, _rank, numel = self._info(i)
        out, _needed = _ll.clef_weights_read_raw(self, name, numel * _ll.clef_dtype_size(dtype))
        return out.tobytes()

    def __getitem__(self, name: str) -> np.ndarray:
        shape = self.shape(name)
        n = int(np.prod(shape)) if shape else 1
        out, _needed = _ll.clef_weights_read_f32(self, name, n)
        return out.reshape(shape)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return _ll.clef_weights_n_tensors(self)

    def __contains__(self, name: object) -> bool:
        try:
            self._index(name)  # type: ignore[arg-type]
        except (KeyError, TypeError):
            return False
        return True

    @property
    def meta(self) -> Dict[str, str]:
        """The file's __metadata__ (string keys and values)."""
        res = {}
        for i in range(_ll.clef_weights_meta_count(self)):
            k, v = _ll.clef_weights_meta_at(self, i)
            res[k or ""] = v or ""
        return res

    def __repr__(self) -> str:
        if self.closed:
            return "<Weights clef_weights freed>"
        return f"<Weights {len(self)} tensors, {len(self.meta)} metadata keys>"


@register("clef_weights_writer")
class WeightsWriter(Handle):
    """Builds a safetensors file: add float32 tensors (stored as F32, F16 or BF16) and string
    metadata, then write().

    >>> with clef.WeightsWriter(ctx) as wr:
    ...     wr.add("w", np.ones((2, 3), np.float32)); wr.meta["note"] = "x"; wr.write("w.st")
    """

    def __init__(self, ctx: Handle) -> None:
        self._take(_ll.clef_weights_writer_create(ctx))
        self.meta = _Meta(self)

    @property
    def errmsg(self) -> str:
        """Message of the last failure on the writer ("" if none)."""
        return _ll.clef_weights_writer_errmsg(self) or ""

    def add(self, name: str, data: np.ndarray, dtype: Union[int, str] = Dtype.F32) -> None:
        """Add a tensor from an array of any float dtype (converted to float32, its shape
        kept), stored as dtype ("F32", "F16", "BF16" or a clef.enums.Dtype)."""
        if isinstance(dtype, str):
            if dtype.upper() not in Dtype.__members__:
                raise ValueError(f"WeightsWriter.add: unknown dtype {dtype!r}")
            dtype = Dtype[dtype.upper()]
        a = np.ascontiguousarray(data, dtype=np.float32)
        shape = np.asarray(a.shape, dtype=np.int64)
        _ll.clef_weights_writer_add_f32(self, name, int(dtype), shape, a.ndim, a.reshape(-1),
                                        a.size)

    def write(self, path: CStr) -> None:
        """Write the file (str, bytes or os.PathLike path)."""
        _ll.clef_weights_writer_write(self, path)


class _Meta:
    """wr.meta[key] = value sets a metadata string of a WeightsWriter."""

    def __init__(self, wr: WeightsWriter) -> None:
        self._wr = wr

    def __setitem__(self, key: str, value: str) -> None:
        _ll.clef_weights_writer_set_meta(self._wr, key, value)


_FORMATS = {m.name.lower(): m for m in EdfFormat}


@register("clef_edf_writer")
class EdfWriter(Handle):
    """Writes an EDF, EDF+, BDF or BDF+ file: set the header, add signals, write samples (in
    each signal's physical unit), add annotations, then close() (a ``with`` block closes it).

    >>> with clef.EdfWriter(ctx, "out.edf", "edfplus") as w:
    ...     w.add_signal("Fp1", "uV", 256, -500, 500)
    ...     w.write(np.zeros((1, 2560), np.float32)); w.add_annotation(1.0, -1, "eyes closed")
    """

    def __init__(self, ctx: Handle, path: CStr,
                 format: Union[int, str] = EdfFormat.EDFPLUS) -> None:
        if isinstance(format, str):
            if format.lower() not in _FORMATS:
                raise ValueError(f"EdfWriter: unknown format {format!r}; one of "
                                 f"{sorted(_FORMATS)}")
            format = _FORMATS[format.lower()]
        self._take(_ll.clef_edf_writer_create(ctx, path, int(format)))
        self._format = EdfFormat(format)
        self._n_signals = 0
        self._finished = False

    @property
    def errmsg(self) -> str:
        """Message of the last failure on the writer ("" if none)."""
        return _ll.clef_edf_writer_errmsg(self) or ""

    @property
    def n_records(self) -> int:
        """Data records written so far."""
        return _ll.clef_edf_writer_n_records(self)

    def set_patient(self, code: Optional[str] = None, sex: Optional[str] = None,
                    birth: Optional[Tuple[int, int, int]] = None,
                    name: Optional[str] = None) -> None:
        """Patient identification: code (e.g. an MRN), sex ("M", "F" or None), birth date
        (year, month, day) or None, name. Before the first write."""
        y, m, d = birth if birth is not None else (0, 0, 0)
        _ll.clef_edf_writer_set_patient(self, code, sex, y, m, d, name)

    def set_recording(self, admin_code: Optional[str] = None, technician: Optional[str] = None,
                      equipment: Optional[str] = None) -> None:
        """Recording identification (None: "X"). Before the first write."""
        _ll.clef_edf_writer_set_recording(self, admin_code, technician, equipment)

    def set_start(self, start: Any) -> None:
        """Start of the recording: a datetime.datetime, or (year, month, day, hour, minute,
        second). Before the first write."""
        t: Any = start
        fields = ((t.year, t.month, t.day, t.hour, t.minute, t.second)
                  if hasattr(t, "year") else tuple(t))
        _ll.clef_edf_writer_set_start(self, *fields)

    def set_record_duration(self, seconds: float) -> None:
        """Duration of one data record (default 1 s). Before adding signals."""
        _ll.clef_edf_writer_set_record_duration(self, seconds)

    def set_annotation_bytes(self, n: int) -> None:
        """Bytes reserved per record for annotations (EDF+/BDF+). Before the first write."""
        _ll.clef_edf_writer_set_annotation_bytes(self, n)

    def add_signal(self, label: str, unit: str, rate: float, phys_min: float,
                   phys_max: float, dig_min: Optional[int] = None,
                   dig_max: Optional[int] = None, transducer: str = "",
                   prefilter: str = "") -> int:
        """Add a signal; returns its index. The digital range defaults to the format's
        (EDF -32768..32767, BDF -8388608..8388607)."""
        if dig_min is None or dig_max is None:
            lo, hi = (-8388608, 8388607) if self._is_bdf() else (-32768, 32767)
            dig_min = lo if dig_min is None else dig_min
            dig_max = hi if dig_max is None else dig_max
        i = _ll.clef_edf_writer_add_signal(self, label, unit, rate, phys_min, phys_max, dig_min,
                                           dig_max, transducer, prefilter)
        self._n_signals += 1
        return int(i)

    def _is_bdf(self) -> bool:
        return self._format >= EdfFormat.BDF

    def write(self, data: np.ndarray) -> None:
        """Append samples to every signal: data (n_signals, n) in each signal's unit (signals of
        one sample rate; any float dtype, converted to float32)."""
        a = np.ascontiguousarray(data, dtype=np.float32)
        if a.ndim != 2 or a.shape[0] != self._n_signals:
            raise ValueError(f"EdfWriter.write: data must be ({self._n_signals}, n), got shape "
                             f"{a.shape}")
        _ll.clef_edf_writer_write_f32(self, a.reshape(-1), a.shape[1], a.shape[1])

    def write_signal(self, signal: int, x: np.ndarray) -> None:
        """Append samples x (1-D, the signal's unit) to one signal."""
        a = np.ascontiguousarray(x, dtype=np.float32)
        if a.ndim != 1:
            raise ValueError(f"EdfWriter.write_signal: x must be 1-D, got shape {a.shape}")
        _ll.clef_edf_writer_write_signal_f32(self, signal, a, a.size)

    def add_annotation(self, onset: float, duration: float, text: str) -> None:
        """An annotation (EDF+/BDF+): onset and duration in seconds (duration < 0: none)."""
        _ll.clef_edf_writer_add_annotation(self, onset, duration, text)

    def finish(self) -> None:
        """Pad the last record, write the annotations and the record count, close the file.
        close() and a ``with`` block call it; the handle is freed after."""
        if not self._finished and not self.closed:
            self._finished = True
            _ll.clef_edf_writer_close(self)

    def close(self) -> None:
        """Finish the file (if not done) and free the writer; an exception propagates after
        the writer is freed."""
        try:
            if self._ptr is not None:
                self.finish()
        finally:
            Handle.close(self)

    def __exit__(self, *exc: object) -> None:
        if exc[0] is not None:  # an error inside the block: free without finishing
            Handle.close(self)
        else:
            self.close()


_EHR_KINDS = {m.name.lower(): m for m in EhrKind}


@register("clef_ehr")
class Ehr(Handle):
    """One patient's health record read from FHIR R4 / CDA R2 XML or an events CSV: patient
    fields and items (conditions, medications, encounters, reports) with their attributes.

    >>> with clef.Ehr.read_xml(ctx, "patient.xml") as e:
    ...     e.format, e.patient["sex"], [i["code"] for i in e.items("condition")]
    """

    def __init__(self, ctx: Handle, path: CStr) -> None:
        """Read an XML record (FHIR Bundle or CDA ClinicalDocument); Ehr.read_events for CSV."""
        self._take(_ll.clef_ehr_read_xml(ctx, path))

    @classmethod
    def read_xml(cls, ctx: Handle, path: CStr) -> "Ehr":
        """A record from an XML file (FHIR R4 Bundle or CDA R2 ClinicalDocument)."""
        return cls(ctx, path)

    @classmethod
    def parse_xml(cls, ctx: Handle, data: Union[str, bytes], name: Optional[str] = None) -> "Ehr":
        """A record from XML in memory (str is UTF-8 encoded); name labels messages."""
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        return cls._adopt(_ll.clef_ehr_parse_xml(ctx, raw, len(raw), name))

    @classmethod
    def read_events(cls, ctx: Handle, path: CStr, subject_id: Optional[str] = None) -> "Ehr":
        """The record of one subject of an events CSV (subject_id,time,code[,value]); without
        subject_id the file must hold one subject."""
        return cls._adopt(_ll.clef_ehr_read_events(ctx, path, subject_id))

    @property
    def format(self) -> EhrFormat:
        """Where the record came from (clef.EhrFormat: FHIR, CDA or MEDS)."""
        return EhrFormat(_ll.clef_ehr_format(self))

    @property
    def patient(self) -> Dict[str, str]:
        """Patient fields by name ("patient_id", "sex", "birth_date", "race", "age_years"; ""
        when absent)."""
        return {f.name.lower(): _ll.clef_ehr_patient(self, int(f)) or "" for f in EhrField}

    def count(self, kind: Union[int, str]) -> int:
        """Items of a kind ("condition", "medication", "encounter", "report")."""
        return _ll.clef_ehr_count(self, int(self._kind(kind)))

    def items(self, kind: Union[int, str]) -> List[Dict[str, str]]:
        """Items of a kind in document order, each {attribute: value} ("system", "code",
        "display", "time", "vocab", "text", "source"; "" when absent)."""
        k = int(self._kind(kind))
        return [{a.name.lower(): _ll.clef_ehr_item(self, k, i, int(a)) or "" for a in EhrAttr}
                for i in range(_ll.clef_ehr_count(self, k))]

    @staticmethod
    def _kind(kind: Union[int, str]) -> int:
        if isinstance(kind, str):
            if kind.lower() not in _EHR_KINDS:
                raise ValueError(f"Ehr: unknown item kind {kind!r}; one of {sorted(_EHR_KINDS)}")
            return _EHR_KINDS[kind.lower()]
        return kind
