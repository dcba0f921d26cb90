"""The session encoder (clef_encoder_*, clef_encoder_trainer_*; docs/encoder.md): token ids in
(integer numpy arrays, one row per session), float32 embeddings out, and the pretraining
pipeline that `clef pretrain` runs, so Python trains the same weights from the same settings."""

import ctypes as C
import operator
from collections import namedtuple

from typing import TYPE_CHECKING, Any, Callable, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _ffi
from ._core import Handle, NotFoundError, _fns, as_handle, lowlevel, raise_status, register
from ._core import CStr
from ._signal import _at_rate, _check, _rows, _session, canonical_channels, has

_ll = lowlevel
_I32P = C.POINTER(C.c_int32)
_F32P = C.POINTER(C.c_float)
_STATUS = _ffi.ENUMS["clef_status_code"]

Pretrained = namedtuple("Pretrained", "steps val_loss val_accuracy baseline_accuracy")
Pretrained.__doc__ = ("What clef.pretrain() trained: steps taken and, when the cohort has held-out "
                      "sessions, their masked-token loss and accuracy under the EMA weights and "
                      "the baselines' accuracy (most frequent code, nearest unmasked token in "
                      "time); None without held-out sessions.")


def _ids(ids: Any, fn: str, n_tokens: Optional[int] = None) -> np.ndarray:
    """ids as a C-contiguous int32 array (1-D: one session, 2-D: sessions x tokens). Integer
    dtypes only (a float array is a mistake, not something to round); values past int32 raise
    clef.RangeError as the library does for any id out of range; with n_tokens, a row of
    another length raises clef.ShapeError."""
    a = np.asarray(ids)
    if a.dtype.kind not in "iu":
        raise TypeError(f"{fn}: ids must be an integer array, not {a.dtype}")
    if a.ndim not in (1, 2):
        raise ValueError(f"{fn}: ids must be 1-D (one session's tokens) or 2-D (sessions x "
                         f"tokens), got shape {a.shape}")
    info = np.iinfo(np.int32)
    if a.size and (a.min() < info.min or a.max() > info.max):
        bad = a.max() if a.max() > info.max else a.min()
        raise_status(_STATUS["CLEF_ERR_RANGE"], f"token id {bad} does not fit int32", fn)
    if n_tokens is not None and a.shape[-1] != n_tokens:
        raise_status(_STATUS["CLEF_ERR_SHAPE"], f"ids have {a.shape[-1]} tokens per session, "
                     f"the encoder takes {n_tokens}", fn)
    return np.ascontiguousarray(a, dtype=np.int32)


if has("clef_encoder_load", "clef_encoder_embed", "clef_encoder_embed_recording",
       "clef_encoder_trainer_create", "clef_encoder_trainer_run"):
    from ._api import Context
    from ._signal import Recording, Tokenizer
    from ._store import Store, _enum
    from ._train import _params, run_with_progress

    @register("clef_encoder")
    class Encoder(Handle):
        """A session encoder loaded from a safetensors weights file (docs/encoder.md). With
        tokenizer (a clef.Tokenizer), the weights must name its SHA-256 and token layout.
        Immutable: one Encoder may serve several threads, each embedding on its own
        clef.Session.

        >>> with clef.Tokenizer(ctx, "tok.safetensors") as tok, \\
        ...         clef.Encoder(ctx, "enc.safetensors", tok) as enc, clef.Session(ctx, 2) as s:
        ...     emb = enc.embed(s, ids)  # (n, n_tokens) int -> (n, embed_dim) float32
        """

        def __init__(self, ctx: Any, path: Optional[CStr], tokenizer: Any = None) -> None:
            h = _ll.clef_encoder_load(ctx, path, tokenizer)
            Handle.__init__(self, h._ptr)
            h._ptr = None
            self._ctx = ctx  # for the temporary session of a call without one

        @property
        def shape(self) -> Tuple[int, int, int]:
            """(n_tokens, d_model, embed_dim)."""
            return _ll.clef_encoder_shape(self)

        n_tokens = property(lambda self: self.shape[0], doc="Token ids per session.")
        d_model = property(lambda self: self.shape[1], doc="Width of the per-token states.")
        embed_dim = property(lambda self: self.shape[2], doc="Width of a session embedding.")

        @property
        def tokenizer_sha256(self) -> str:
            """SHA-256 of the tokenizer the encoder was trained with (Tokenizer.sha256)."""
            return _ll.clef_encoder_tokenizer_sha256(self, 65)[0]

        def save(self, path: CStr, ctx: Any = None) -> None:
            """Write the weights (float32) and metadata atomically (clef_encoder_save)."""
            _ll.clef_encoder_save(self, self._ctx if ctx is None else ctx, path)

        def embed(self, session: Any, ids: Any, valid_cols: Any = 0, states: bool = False) -> Any:
            """Embeddings of token ids: int (n_tokens,) gives float32 (embed_dim,), int
            (n_sessions, n_tokens) gives (n_sessions, embed_dim), each row embedded alone (a
            row equals the same session embedded by itself). valid_cols > 0 keeps the grid
            columns [0, valid_cols) (a stream's columns so far); 0 takes them from the ids.
            states=True also returns the final per-token states, float32 (n_tokens, d_model)
            or (n_sessions, n_tokens, d_model). Runs on session (a clef.Session, whose errors
            it records; None: a 1-thread session for this call). An id out of range raises
            clef.RangeError, a row of the wrong length clef.ShapeError (both ValueErrors)."""
            fn = "Encoder.embed"
            enc = as_handle(self, "clef_encoder", fn, "self")
            a = _ids(ids, fn)
            rows = a.reshape(1, -1) if a.ndim == 1 else a
            valid_cols = operator.index(valid_cols)
            n_tok, d, e = self.shape
            emb = np.empty((rows.shape[0], e), dtype=np.float32)
            st = np.empty((rows.shape[0], n_tok, d), dtype=np.float32) if states else None
            s, owned = _session(session, self._ctx, fn)
            try:
                sp = as_handle(s, "clef_session", fn, "session")
                for i in range(rows.shape[0]):
                    rc = _fns["clef_encoder_embed"](
                        enc, sp, rows[i].ctypes.data_as(_I32P), rows.shape[1], valid_cols,
                        emb[i].ctypes.data_as(_F32P), e,
                        None if st is None else st[i].ctypes.data_as(_F32P),
                        0 if st is None else st[i].size, None)
                    _check(rc, "clef_encoder_embed", s)
            finally:
                if owned:
                    s.close()
            if a.ndim == 1:
                emb, st = emb[0], None if st is None else st[0]
            return (emb, st) if states else emb

        def embed_recording(self, session: Any, tokenizer: Any, sg: Any,
                            rec: Any) -> Tuple[np.ndarray, int]:
            """(embedding float32 (embed_dim,), present_mask) of a clef.Recording: read as
            the 19 canonical channels, transformed by sg (the tokenizer's:
            tokenizer.spectrogram(ctx)), tokenized by tokenizer (the one the encoder was
            trained with) and embedded, in one call on session (None: a temporary one)."""
            fn = "Encoder.embed_recording"
            emb = np.empty(self.embed_dim, dtype=np.float32)
            needed, mask = C.c_size_t(), C.c_uint32()
            s, owned = _session(session, self._ctx, fn)
            try:
                rc = _fns["clef_encoder_embed_recording"](
                    as_handle(self, "clef_encoder", fn, "self"),
                    as_handle(tokenizer, "clef_tokenizer", fn, "tokenizer"),
                    as_handle(s, "clef_session", fn, "session"),
                    as_handle(sg, "clef_spectrogram", fn, "sg"),
                    as_handle(rec, "clef_recording", fn, "rec"), emb.ctypes.data_as(_F32P),
                    emb.size, C.byref(needed), C.byref(mask))
                _check(rc, "clef_encoder_embed_recording", s)
            finally:
                if owned:
                    s.close()
            return emb, mask.value

        def embed_signal(self, session: Any, tokenizer: Any, sg: Any, x: Any,
                         fs: Optional[float] = None) -> np.ndarray:
            """Embedding float32 (embed_dim,) of the 19 canonical channels x, float32
            (19, n_samples) microvolts at sg's rate (rows contiguous, used without a copy): a
            clef.Canonical (its rate is checked) or an array whose rate fs (Hz) is checked when
            given."""
            fn = "Encoder.embed_signal"
            x = _at_rate(x, fs, sg, fn)
            ptr, stride, rows, cols = _rows(x, fn)
            if rows != len(canonical_channels()):
                raise ValueError(f"{fn}: x has {rows} rows, not the 19 canonical channels")
            emb = np.empty(self.embed_dim, dtype=np.float32)
            s, owned = _session(session, self._ctx, fn)
            try:
                rc = _fns["clef_encoder_embed_signal"](
                    as_handle(self, "clef_encoder", fn, "self"),
                    as_handle(tokenizer, "clef_tokenizer", fn, "tokenizer"),
                    as_handle(s, "clef_session", fn, "session"),
                    as_handle(sg, "clef_spectrogram", fn, "sg"), ptr, stride, cols,
                    emb.ctypes.data_as(_F32P), emb.size, None)
                _check(rc, "clef_encoder_embed_signal", s)
            finally:
                if owned:
                    s.close()
            return emb

        def embed_files(self, session: Any, tokenizer: Any, paths: Sequence[CStr]) -> np.ndarray:
            """Embeddings float32 (len(paths), embed_dim) of EDF/BDF files, one row per file in
            order (what `clef embed FILE... -o EMB.npy` writes)."""
            out = np.empty((len(paths), self.embed_dim), dtype=np.float32)
            with tokenizer.spectrogram(self._ctx) as sg:
                for i, path in enumerate(paths):
                    with Recording(self._ctx, path) as rec:
                        out[i] = self.embed_recording(session, tokenizer, sg, rec)[0]
            return out

    @register("clef_encoder_trainer")
    class EncoderTrainer(Handle):
        """A session-encoder pretrainer (one thread at a time): a new encoder over tokenizer's
        token layout (a clef.Tokenizer loaded from a file) of architecture arch (Params
        "encoder", None: defaults), or one resumed from a checkpoint (resume=path), with
        settings train (Params "pretrain", None: defaults) on n_threads threads. tokenizer
        also tokenizes add_cohort()'s recordings (it may be None after resume= when only
        add_tokens()/add_store() are used)."""

        def __init__(self, ctx: Any, tokenizer: Any, arch: Any = None, train: Any = None,
                     n_threads: int = 1, resume: Optional[CStr] = None) -> None:
            if resume is not None:
                h = _ll.clef_encoder_trainer_resume(ctx, resume, train, n_threads)
            else:
                h = _ll.clef_encoder_trainer_create(ctx, tokenizer, arch, train, n_threads)
            Handle.__init__(self, h._ptr)
            h._ptr = None
            self._ctx, self._tok = ctx, tokenizer

        @property
        def errmsg(self) -> str:
            """Message of the last failure on the trainer ("" if none)."""
            return _ll.clef_encoder_trainer_errmsg(self) or ""

        @property
        def steps(self) -> int:
            """Optimizer steps taken so far."""
            return _ll.clef_encoder_trainer_steps(self)

        @property
        def n_tokens(self) -> int:
            """Token ids per session."""
            return _ll.clef_encoder_trainer_n_tokens(self)

        def sessions(self, split: Union[int, str] = "train") -> int:
            """Sessions added to split ("train" or "val")."""
            return _ll.clef_encoder_trainer_sessions(self, _enum("clef_split", "CLEF_SPLIT_",
                                                                 split))

        def _rows(self, ids, fn):
            a = _ids(ids, fn, self.n_tokens)
            return a.reshape(1, -1) if a.ndim == 1 else a

        def add_tokens(self, ids: Any, split: Union[int, str] = "train") -> None:
            """Add sessions' token ids, int (n_tokens,) or (n_sessions, n_tokens), to split
            "train" or "val" (held out: validation only)."""
            a = self._rows(ids, "EncoderTrainer.add_tokens")
            _ll.clef_encoder_trainer_add_tokens(self, a.reshape(-1), a.shape[0],
                                                _enum("clef_split", "CLEF_SPLIT_", split))

        def add_store(self, store: Any, split: str = "train") -> None:
            """Add a clef.Store split's sessions from their token artifacts under the
            tokenizer's SHA-256 (`clef tokenize --store`)."""
            _ll.clef_encoder_trainer_add_store(self, store, split)

        def add_cohort(self, directory: CStr, split: str = "train") -> None:
            """Add a cohort directory split's sessions, tokenized on the trainer's threads."""
            _ll.clef_encoder_trainer_add_cohort(self, self._tok, directory, split)

        def run(self, checkpoint: Optional[CStr] = None,
                progress: Optional[Callable[..., Any]] = None) -> None:
            """Pretrain to the step count of the settings (clef_encoder_trainer_run), writing
            checkpoints to checkpoint (None: none). progress(step, total, loss, accuracy,
            tokens_per_s, val_loss, val_accuracy) (val_* NaN on steps without validation) may
            return True to stop (clef.CancelledError); an exception inside it stops the run
            and is re-raised."""
            run_with_progress(self, "clef_encoder_trainer_run", _ffi.clef_encoder_progress_fn,
                              checkpoint, progress)

        def step(self, ids: Any) -> Any:
            """One optimiser step on sessions' ids (n_sessions, n_tokens): (loss, accuracy)
            of the masked tokens."""
            a = self._rows(ids, "EncoderTrainer.step")
            return _ll.clef_encoder_trainer_step(self, a.reshape(-1), a.shape[0])

        def validate(self, ema: bool = True) -> Tuple[float, float, Tuple[float, float]]:
            """(loss, accuracy, (unigram_accuracy, copy_nearest_accuracy)) of the held-out
            sessions' masked tokens under the EMA (ema=False: current) weights, with the two
            baselines on the same masks."""
            loss, acc, base = _ll.clef_encoder_trainer_validate(self, 1 if ema else 0)
            return loss, acc, (float(base[0]), float(base[1]))

        def encoder(self, ema: bool = True) -> "Encoder":
            """The encoder being trained (EMA or current weights), borrowed: valid until the
            next step or the trainer's close()."""
            ptr = _fns["clef_encoder_trainer_encoder"](
                as_handle(self, "clef_encoder_trainer", "encoder", "self"), 1 if ema else 0)
            enc = Encoder._wrap(ptr, owner=self)
            enc._ctx = self._ctx
            return enc

        def save(self, path: CStr) -> None:
            """Write the EMA encoder's weights (what `clef pretrain -o` writes)."""
            self.encoder(ema=True).save(path, self._ctx)

        def save_checkpoint(self, path: CStr) -> None:
            """Write a checkpoint that resume= continues from."""
            _ll.clef_encoder_trainer_save(self, path)

    def pretrain(cohort_dir, tokenizer_path, out, *, store=None, n_threads=1, checkpoint=None,
                 resume=None, progress=None, ctx=None, **settings):
        """Pretrain a session encoder as `clef pretrain` does and write its EMA weights to out.

        cohort_dir: a cohort directory (its train split trains, its val split is held out),
        or None with store= (a clef.Store or a store path; its token artifacts under the
        tokenizer). Settings by name, with or without their enc. / pretrain. prefix, e.g.
        d_model=256, n_layers=4, n_heads=4, d_ff=1024, embed_dim=512, steps=2000, batch=8,
        lr=5e-4, crop_cols=0, seed=1 (the command's defaults). checkpoint defaults to out +
        ".ckpt"; resume continues a checkpoint (its architecture wins). progress as in
        EncoderTrainer.run. Returns a clef.Pretrained."""
        if (cohort_dir is None) == (store is None):
            raise ValueError("pretrain: give cohort_dir or store= (one of them)")
        own = ctx is None
        ctx = Context() if own else ctx
        try:
            arch, train = _params(ctx, settings, ("encoder", "pretrain"), ("enc.", "pretrain."),
                                  "encoder or pretraining")
            with Tokenizer(ctx, tokenizer_path) as tok, \
                    EncoderTrainer(ctx, tok, arch, train, n_threads, resume) as tr:
                st = Store(ctx, store) if store is not None and not isinstance(store, Handle) \
                    else store
                try:
                    for split in ("train", "val"):
                        try:
                            if st is not None:
                                tr.add_store(st, split)
                            else:
                                tr.add_cohort(cohort_dir, split)
                        except NotFoundError:
                            if split == "train":  # no held-out sessions: no validation
                                raise
                finally:
                    if st is not store:
                        st.close()
                tr.run(str(out) + ".ckpt" if checkpoint is None else checkpoint, progress)
                tr.save(out)
                if tr.sessions("val") == 0:
                    return Pretrained(tr.steps, None, None, None)
                return Pretrained(tr.steps, *tr.validate())
        finally:
            if own:
                ctx.close()
