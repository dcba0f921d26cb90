"""NumPy layer over the cohort store API (when the library has it)."""

import ctypes as C

from typing import TYPE_CHECKING, Any, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _ffi
from ._core import CStr, Handle, _fns, as_handle, lowlevel, register

if TYPE_CHECKING:
    from ._api import Context
from ._signal import _check, has

_ll = lowlevel


def _enum(enum: str, prefix: str, name: Union[int, str]) -> int:
    """Value of a named enumerator: _enum("clef_split", "CLEF_SPLIT_", "train")."""
    members = _ffi.ENUMS[enum]
    key = prefix + str(name).upper()
    if key not in members:
        opts = sorted(k[len(prefix):].lower() for k in members)
        raise ValueError(f"unknown {enum} {name!r}; one of {opts}")
    return members[key]


if has("clef_store_open", "clef_store_count", "clef_store_task_data", "clef_store_artifact_get"):

    @register("clef_store")
    class Store(Handle):
        """A cohort store (one SQLite connection; one thread at a time).

        >>> with clef.Store(ctx, "cohort.db") as st: st.count("sessions")
        """

        def __init__(self, ctx: "Context", path: CStr) -> None:
            h = _ll.clef_store_open(ctx, path)
            Handle.__init__(self, h._ptr)
            h._ptr = None

        @property
        def errmsg(self) -> str:
            """Message of the last failure on the store ("" if none)."""
            return _ll.clef_store_errmsg(self) or ""

        def count(self, table: Union[int, str]) -> int:
            """Rows of a table, by name ("sessions", "patients", ...) or clef_store_table."""
            if isinstance(table, str):
                table = _enum("clef_store_table", "CLEF_STORE_", table)
            return _ll.clef_store_count(self, table)

        def import_cohort(self, directory: CStr) -> int:
            """Import a cohort directory (docs/COHORT-FORMAT.md); returns rows changed."""
            return _ll.clef_store_import_cohort(self, directory)

        def task_names(self) -> List[str]:
            """Names of the store's tasks, sorted."""
            names: List[str] = []
            while True:
                buf = C.create_string_buffer(256)
                needed = C.c_size_t()
                rc = _fns["clef_store_task_name"](as_handle(self, "clef_store", "task_names", "self"),
                                                  len(names), buf, 256, C.byref(needed))
                if rc == _ffi.CLEF_ERR_RANGE:
                    return names
                _check(rc, "clef_store_task_name", self)
                names.append(buf.value.decode("utf-8"))

        def _text(self, cname: str, *args: Any) -> str:
            """A NUL-terminated string out of cname(store, *args, buf, cap, needed), sized by
            a first call."""
            ptr = as_handle(self, "clef_store", cname, "self")
            needed = C.c_size_t()
            cap = 256
            while True:
                buf = C.create_string_buffer(cap)
                rc = _fns[cname](ptr, *args, buf, cap, C.byref(needed))
                if rc != _ffi.CLEF_ERR_BUFFER_TOO_SMALL or needed.value <= cap:
                    _check(rc, cname, self)
                    return buf.value.decode("utf-8")
                cap = needed.value

        def recording_path(self, session_id: str) -> str:
            """Absolute path of a session's recording file."""
            return self._text("clef_store_recording_path", session_id.encode())

        def task_balance(self, task: str) -> Tuple[float, float, int, int]:
            """(smd_age, smd_sex, n_pos, n_neg): standardized mean differences of age and sex
            between a task's positives and negatives (NaN with fewer than 2 on a side)."""
            return _ll.clef_store_task_balance(self, task)

        def sessions(self, split: Union[int, str]) -> List[str]:
            """Ids of the sessions whose patient is in split ("train", "val" or "test"), in
            session-id order."""
            sp = _enum("clef_split", "CLEF_SPLIT_", split)
            n = _ll.clef_store_split_count(self, sp)
            return [self._text("clef_store_split_session", sp, i) for i in range(n)]

        def report_text(self, session_id: str) -> str:
            """A session's report as imported (not de-identified); clef.NotFoundError without
            one."""
            return self._text("clef_store_report_text", session_id.encode())

        def session_ehr(self, session_id: str) -> str:
            """What the EHR held of a session's patient when it was recorded, one fact per line
            ("age 42", "sex F", "race ...", then ICD10*/ and ATC/ codes dated at or before the
            session)."""
            return self._text("clef_store_session_ehr", session_id.encode())

        def task_data(self, task: str, split: Union[int, str], kind: Union[int, str],
                      model_hash: str) -> Tuple[np.ndarray, np.ndarray]:
            """(x float32 (n, dim), y int32 (n,)) of a task's labelled sessions in a split
            ("train", "val", "test") for artifacts of a kind ("embedding", ...)."""
            split = _enum("clef_split", "CLEF_SPLIT_", split) if isinstance(split, str) else split
            kind = (_enum("clef_artifact_kind", "CLEF_ARTIFACT_", kind)
                    if isinstance(kind, str) else kind)
            ptr = as_handle(self, "clef_store", "task_data", "self")
            fn = _fns["clef_store_task_data"]
            n, dim = C.c_int64(), C.c_int64()
            rc = fn(ptr, task.encode(), split, kind, model_hash.encode(), None, 0, None, 0,
                    C.byref(n), C.byref(dim))
            if rc != _ffi.CLEF_ERR_BUFFER_TOO_SMALL:
                _check(rc, "clef_store_task_data", self)
            x = np.zeros((n.value, dim.value), dtype=np.float32)
            y = np.zeros(n.value, dtype=np.int32)
            rc = fn(ptr, task.encode(), split, kind, model_hash.encode(),
                    x.ctypes.data_as(C.POINTER(C.c_float)), x.size,
                    y.ctypes.data_as(C.POINTER(C.c_int32)), y.size, C.byref(n), C.byref(dim))
            _check(rc, "clef_store_task_data", self)
            return x, y

        def artifact_put(self, session_id: str, kind: Union[int, str], model_hash: str,
                         data: np.ndarray) -> None:
            """Store a numpy array's bytes (C order) as a session's artifact."""
            kind = (_enum("clef_artifact_kind", "CLEF_ARTIFACT_", kind)
                    if isinstance(kind, str) else kind)
            _ll.clef_store_artifact_put(self, session_id, kind, model_hash,
                                        np.ascontiguousarray(data).view(np.uint8).ravel(),
                                        np.asarray(data).nbytes)

        def artifact_get(self, session_id: str, kind: Union[int, str], model_hash: str,
                         dtype: Any = np.uint8,
                         shape: Optional[Sequence[int]] = None) -> np.ndarray:
            """A session's artifact as a numpy array of dtype: 1-D, or of shape (a tuple, one
            entry may be -1) when given. The store keeps bytes only: pass the shape that
            artifact_put was given (e.g. (19, n_freqs, -1) for a spectrogram)."""
            kind = (_enum("clef_artifact_kind", "CLEF_ARTIFACT_", kind)
                    if isinstance(kind, str) else kind)
            ptr = as_handle(self, "clef_store", "artifact_get", "self")
            fn = _fns["clef_store_artifact_get"]
            needed = C.c_size_t()
            rc = fn(ptr, session_id.encode(), kind, model_hash.encode(), None, 0, C.byref(needed))
            if rc != _ffi.CLEF_ERR_BUFFER_TOO_SMALL:
                _check(rc, "clef_store_artifact_get", self)
            buf = np.zeros(needed.value, dtype=np.uint8)
            rc = fn(ptr, session_id.encode(), kind, model_hash.encode(),
                    buf.ctypes.data_as(C.POINTER(C.c_uint8)), buf.size, C.byref(needed))
            _check(rc, "clef_store_artifact_get", self)
            out = buf.view(dtype)
            return out if shape is None else out.reshape(shape)

        # ---- jobs: a queue of work items per job name, claimed by one worker at a time

        def job_add_item(self, job: str, item: str) -> None:
            """Queue an item (e.g. a session id) for a job (pending)."""
            _ll.clef_store_job_add_item(self, job, item)

        def job_add_sessions(self, job: str) -> int:
            """Queue every session of the store for a job; returns how many were added."""
            return _ll.clef_store_job_add_sessions(self, job)

        def job_claim(self, job: str) -> Optional[str]:
            """Claim the next pending item of a job: its name, or None when none is left."""
            item, _needed, claimed = _ll.clef_store_job_claim(self, job, 4096)
            return item if claimed else None

        def job_complete(self, job: str, item: str, kind: Union[int, str], model_hash: str,
                         data: np.ndarray) -> None:
            """Mark a claimed item done, storing data (a numpy array, C order) as its artifact
            of kind ("spectrogram", "tokens", "embedding") under model_hash."""
            kind = (_enum("clef_artifact_kind", "CLEF_ARTIFACT_", kind)
                    if isinstance(kind, str) else kind)
            raw = np.ascontiguousarray(data).view(np.uint8).ravel()
            _ll.clef_store_job_complete(self, job, item, kind, model_hash, raw, raw.size)

        def job_fail(self, job: str, item: str, message: str) -> None:
            """Mark a claimed item failed, with the reason."""
            _ll.clef_store_job_fail(self, job, item, message)

        def job_requeue(self, job: str, older_than_s: float = 0.0,
                        include_failed: bool = False) -> int:
            """Put items claimed longer than older_than_s seconds ago (and with include_failed
            the failed ones) back to pending; returns how many."""
            return _ll.clef_store_job_requeue(self, job, older_than_s, int(include_failed))

        def job_count(self, job: str, state: Union[int, str]) -> int:
            """Items of a job in a state ("pending", "claimed", "done", "failed")."""
            state = (_enum("clef_job_state", "CLEF_JOB_", state)
                     if isinstance(state, str) else state)
            return _ll.clef_store_job_count(self, job, state)
