"""The clinical aligner (clef_aligner_*, clef_aligner_trainer_*; docs/aligner.md) and the frozen
text encoder under it (clef_text_encoder_*; docs/text-tower.md): session embeddings (float32
numpy rows, e.g. clef.Encoder.embed's) into the shared space, texts and EHR records beside them,
zero-shot scores of a prompt, and the training pipeline that `clef align` runs."""

import ctypes as C
import operator
import os
from collections import namedtuple

from typing import TYPE_CHECKING, Any, Callable, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _ffi
from ._core import (Handle, NotFoundError, StateError, _fns, as_handle, lowlevel, raise_status,
                    register)
from ._core import CStr
from ._signal import _check, _session, has

_ll = lowlevel
_F32P = C.POINTER(C.c_float)
_STATUS = _ffi.ENUMS["clef_status_code"]

Aligned = namedtuple("Aligned", "steps n_train n_val val_loss r_at_1 r_at_10")
Aligned.__doc__ = ("What clef.align() trained: steps taken, training and held-out sessions and, "
                   "with at least 2 held-out sessions with reports, their report InfoNCE loss "
                   "and EEG-to-report retrieval R@1 and R@10 (chance 1/n_val and 10/n_val); "
                   "None without.")


def _text(text: Union[str, bytes], fn: str, arg: str = "text") -> bytes:
    """text as UTF-8 bytes for a NUL-terminated C string (a NUL inside would cut it short)."""
    if not isinstance(text, str):
        raise TypeError(f"{fn}: '{arg}' must be a str, not {type(text).__name__}")
    if "\0" in text:
        raise ValueError(f"{fn}: '{arg}' contains a NUL character")
    return text.encode("utf-8")


def _on_session(session, ctx, fn, call):
    """call(session pointer, session) on the caller's Session or a temporary 1-thread one."""
    s, owned = _session(session, ctx, fn)
    try:
        return call(as_handle(s, "clef_session", fn, "session"), s)
    finally:
        if owned:
            s.close()


def _emb(emb, eeg_dim, fn, arg="emb"):
    """Session embeddings as a C-contiguous float32 (n, eeg_dim) array: a float32 numpy array of
    shape (eeg_dim,) (one session) or (n, eeg_dim). Another dtype raises TypeError (no silent
    conversion), another width clef.ShapeError naming the shape."""
    if not isinstance(emb, np.ndarray):
        raise TypeError(f"{fn}: '{arg}' must be a float32 numpy array (n, {eeg_dim}), "
                        f"not {type(emb).__name__}")
    if emb.dtype != np.float32:
        raise TypeError(f"{fn}: '{arg}' must have dtype float32, not {emb.dtype} "
                        "(convert with emb.astype(np.float32))")
    if emb.ndim not in (1, 2) or emb.shape[-1] != eeg_dim:
        raise_status(_STATUS["CLEF_ERR_SHAPE"], f"'{arg}' has shape {emb.shape}; the aligner "
                     f"takes ({eeg_dim},) or (n, {eeg_dim}) session embeddings", fn)
    return np.ascontiguousarray(emb.reshape(-1, eeg_dim))


def model_hash(path: CStr, ctx: Any = None) -> str:
    """SHA-256 (hex) of a weights file: the key under which a store holds the embeddings of an
    encoder or aligner (clef_encoder_model_hash; `clef embed --store` writes them)."""
    from ._api import Context

    own = ctx is None
    ctx = Context() if own else ctx
    try:
        return _ll.clef_encoder_model_hash(ctx, path, 65)[0]
    finally:
        if own:
            ctx.close()


if has("clef_text_encoder_load", "clef_text_encoder_embed", "clef_text_encoder_tokenize"):
    _PRECISIONS = {"f32": 0, "bf16": 1}  # enum clef_precision

    @register("clef_text_encoder")
    class TextEncoder(Handle):
        """A frozen BERT-family sentence encoder (default all-MiniLM-L6-v2; docs/text-tower.md):
        path is a directory holding model.safetensors and vocab.txt (None: $CLEF_TEXT_MODEL;
        tools/install_deps.sh fetches one into build/minilm), or a safetensors file with vocab
        its vocab.txt. n_heads: attention heads (0: 12). precision: "f32" (default; parity with
        sentence-transformers) or "bf16" (linear layers in bfloat16 with float32 sums, on CPUs
        with AVX-512 BF16: about 2x faster, cosine >= 0.9999 to float32; clef.UnsupportedError
        elsewhere). Immutable once made: one TextEncoder may serve several threads, each on its
        own clef.Session.

        >>> with clef.TextEncoder(ctx, "build/minilm") as te:
        ...     v = te.embed("diffuse beta activity")  # float32 (384,), unit norm
        """

        def __init__(self, ctx: Any, path: Optional[CStr] = None, vocab: Optional[CStr] = None,
                     n_heads: int = 0, precision: str = "f32") -> None:
            if precision not in _PRECISIONS:
                raise ValueError(f"TextEncoder: precision {precision!r}; one of "
                                 f"{sorted(_PRECISIONS)}")
            if path is None:
                path = os.environ.get("CLEF_TEXT_MODEL")
                if not path:
                    raise ValueError("TextEncoder: no path and no $CLEF_TEXT_MODEL (a directory "
                                     "with model.safetensors and vocab.txt)")
            path = os.fsdecode(path)
            if os.path.isdir(path):
                weights = os.path.join(path, "model.safetensors")
                vocab = os.path.join(path, "vocab.txt") if vocab is None else vocab
            elif vocab is None:
                raise ValueError(f"TextEncoder: {path} is not a directory; give vocab= "
                                 "(the vocab.txt of the weights file)")
            else:
                weights = path
            h = _ll.clef_text_encoder_load(ctx, weights, vocab,
                                           operator.index(n_heads))
            Handle.__init__(self, h._ptr)
            h._ptr = None
            self._ctx = ctx  # for the temporary session of a call without one
            if precision != "f32":
                try:
                    _ll.clef_text_encoder_set_precision(self, _PRECISIONS[precision])
                except BaseException:
                    self.close()
                    raise

        @property
        def precision(self) -> str:
            """"f32" or "bf16" (docs/text-tower.md "BF16 mode")."""
            code = _ll.clef_text_encoder_precision(self)
            return next(k for k, v in _PRECISIONS.items() if v == code)

        @property
        def errmsg(self) -> str:
            """Message of the last failure on the handle ("" if none)."""
            return _ll.clef_text_encoder_errmsg(self) or ""

        @property
        def dim(self) -> int:
            """Embedding width (384 for all-MiniLM-L6-v2)."""
            return _ll.clef_text_encoder_dim(self)

        @property
        def max_tokens(self) -> int:
            """Most tokens of one text, [CLS] and [SEP] included (256)."""
            return _ll.clef_text_encoder_max_tokens(self)

        def tokenize(self, text: Union[str, bytes]) -> np.ndarray:
            """Token ids int32 of text: [CLS] wordpieces [SEP], cut to max_tokens."""
            fn = "TextEncoder.tokenize"
            ids = np.empty(self.max_tokens, dtype=np.int32)
            n = C.c_size_t()
            rc = _fns["clef_text_encoder_tokenize"](
                as_handle(self, "clef_text_encoder", fn, "self"), _text(text, fn),
                ids.ctypes.data_as(C.POINTER(C.c_int32)), ids.size, C.byref(n))
            _check(rc, "clef_text_encoder_tokenize", self)
            return ids[:n.value].copy()

        def embed(self, text: Union[str, Sequence[str]], session: Any = None) -> np.ndarray:
            """Unit-norm embedding float32 (dim,) of a text; a list of texts gives (n, dim).
            Runs on session (None: a temporary 1-thread one)."""
            fn = "TextEncoder.embed"
            texts = [text] if isinstance(text, str) else list(text)
            raw = [_text(t, fn) for t in texts]
            out = np.empty((len(raw), self.dim), dtype=np.float32)

            def call(sp, s):
                te = as_handle(self, "clef_text_encoder", fn, "self")
                for i, b in enumerate(raw):
                    rc = _fns["clef_text_encoder_embed"](te, sp, b, out[i].ctypes.data_as(_F32P),
                                                         out.shape[1], None)
                    _check(rc, "clef_text_encoder_embed", s)

            _on_session(session, self._ctx, fn, call)
            return out[0] if isinstance(text, str) else out


if has("clef_aligner_load", "clef_aligner_embed_eeg", "clef_aligner_score_text",
       "clef_aligner_trainer_create", "clef_aligner_trainer_run"):
    from ._api import Context, Params
    from ._store import Store, _enum
    from ._train import _setting, run_with_progress

    @register("clef_aligner")
    class Aligner(Handle):
        """A clinical aligner loaded from its weights file (clef_aligner_save or a trainer
        checkpoint; None: the default model; docs/aligner.md). Immutable: one Aligner may serve several threads, each
        computing on its own clef.Session (session=None: a temporary 1-thread one).

        >>> with clef.Aligner(ctx, "al.safetensors") as al, clef.TextEncoder(ctx, d) as te:
        ...     z = al.embed_eeg(emb)                      # (n, eeg_dim) -> (n, dim), unit rows
        ...     s = al.score_text(te, emb, "diffuse beta activity")  # (n,) cosines
        """

        def __init__(self, ctx: Any, path: Optional[CStr] = None) -> None:
            h = _ll.clef_aligner_load(ctx, path)
            Handle.__init__(self, h._ptr)
            h._ptr = None
            self._ctx = ctx

        @classmethod
        def load(cls, ctx: Any, path: Optional[CStr] = None) -> "Aligner":
            """The same as Aligner(ctx, path); path None: the default model that ships with
            libclef (clef_default_model_path)."""
            return cls(ctx, path)

        @property
        def encoder_sha256(self) -> str:
            """SHA-256 of the encoder weights file whose embeddings it was trained on (equal to
            model_hash(encoder) for the matching encoder), "" when unknown."""
            return _ll.clef_aligner_encoder_sha256(self, 65)[0]

        @property
        def dims(self) -> Tuple[int, int]:
            """(eeg_dim, dim): width of the session embeddings it takes, of the shared space."""
            return _ll.clef_aligner_dims(self)

        eeg_dim = property(lambda self: self.dims[0], doc="Width of the session embeddings.")
        dim = property(lambda self: self.dims[1], doc="Width of the shared space.")

        def save(self, path: CStr, ctx: Any = None) -> None:
            """Write the weights (float32), architecture and EHR vocabulary atomically."""
            ctx = self._ctx if ctx is None else ctx
            if ctx is None or ctx.closed:
                with Context() as tmp:
                    _ll.clef_aligner_save(self, tmp, path)
            else:
                _ll.clef_aligner_save(self, ctx, path)

        def _vector(self, fn, cname, session, *args):
            """cname(al, s, *args, out, dim): one float32 (dim,) vector."""
            out = np.empty(self.dim, dtype=np.float32)

            def call(sp, s):
                al = as_handle(self, "clef_aligner", fn, "self")
                rc = _fns[cname](al, sp, *args, out.ctypes.data_as(_F32P), out.size)
                _check(rc, cname, s)

            _on_session(session, self._ctx, fn, call)
            return out

        def embed_eeg(self, emb: np.ndarray, session: Any = None) -> np.ndarray:
            """Session embeddings float32 (n, eeg_dim) into the shared space: float32 (n, dim),
            unit rows ((eeg_dim,) gives (dim,)). Another width raises clef.ShapeError."""
            fn = "Aligner.embed_eeg"
            eeg_dim, dim = self.dims
            x = _emb(emb, eeg_dim, fn)
            out = np.empty((x.shape[0], dim), dtype=np.float32)
            if x.shape[0]:
                def call(sp, s):
                    rc = _fns["clef_aligner_embed_eeg"](
                        as_handle(self, "clef_aligner", fn, "self"), sp, x.ctypes.data_as(_F32P),
                        x.shape[0], eeg_dim, out.ctypes.data_as(_F32P), out.size)
                    _check(rc, "clef_aligner_embed_eeg", s)

                _on_session(session, self._ctx, fn, call)
            return out[0] if emb.ndim == 1 else out

        def embed_text(self, text_encoder: "TextEncoder", text: Union[str, bytes],
                       summarize: bool = False, session: Any = None) -> np.ndarray:
            """A text into the shared space, float32 (dim,), unit norm, through text_encoder
            (the TextEncoder the aligner was trained with) and the report tower. summarize=True:
            text is a whole report, de-identified and summarized first as in training; False:
            a prompt or summary used as it is."""
            fn = "Aligner.embed_text"
            te = as_handle(text_encoder, "clef_text_encoder", fn, "text_encoder")
            return self._vector(fn, "clef_aligner_embed_text", session, te, _text(text, fn),
                                1 if summarize else 0)

        def embed_ehr(self, ehr: Union[str, bytes], session: Any = None) -> np.ndarray:
            """An EHR record in Store.session_ehr's format (one fact per line: "age 42",
            "sex F", "ICD10CM/G40.309", ...) into the shared space, float32 (dim,). Codes the
            training data never held map to the unknown token; clef.NotFoundError when no line
            is a fact."""
            fn = "Aligner.embed_ehr"
            return self._vector(fn, "clef_aligner_embed_ehr", session, _text(ehr, fn, "ehr"))

        def score_text(self, text_encoder: "TextEncoder", emb: np.ndarray,
                       prompt: Union[str, bytes], session: Any = None) -> Any:
            """Zero-shot: the cosine between each session's aligned embedding (emb float32
            (n, eeg_dim)) and the prompt's (e.g. "diffuse beta activity"), float32 (n,)
            ((eeg_dim,) gives one float). Equals embed_eeg(emb) @ embed_text(te, prompt)."""
            fn = "Aligner.score_text"
            eeg_dim = self.eeg_dim
            x = _emb(emb, eeg_dim, fn)
            te = as_handle(text_encoder, "clef_text_encoder", fn, "text_encoder")
            p = _text(prompt, fn, "prompt")
            out = np.empty(x.shape[0], dtype=np.float32)
            if x.shape[0]:
                def call(sp, s):
                    rc = _fns["clef_aligner_score_text"](
                        as_handle(self, "clef_aligner", fn, "self"), sp, te,
                        x.ctypes.data_as(_F32P), x.shape[0], eeg_dim, p,
                        out.ctypes.data_as(_F32P), out.size)
                    _check(rc, "clef_aligner_score_text", s)

                _on_session(session, self._ctx, fn, call)
            return out[0] if emb.ndim == 1 else out

        def embed_store(self, store: Any, encoder_hash: str, aligner_hash: str,
                        session: Any = None) -> Any:
            """Aligned embeddings of every session of a clef.Store (its embedding artifacts
            under encoder_hash through the EEG tower), stored under aligner_hash (model_hash()
            of the aligner's file) for Store.task_data and evaluation. Returns the sessions
            written."""
            fn = "Aligner.embed_store"
            return _on_session(session, self._ctx, fn, lambda sp, s: _ll.clef_aligner_embed_store(
                self, s, store, encoder_hash, aligner_hash))

    def _align_params(ctx, settings):
        """A Params "align" set holding settings by name, with or without the align. prefix."""
        p = Params(ctx, "align")
        for name, value in settings.items():
            info = _setting(name, ("align.",), "aligner")
            if info.kind != p.kind:
                raise ValueError(f"{name!r} ({info.name}) is not among the aligner settings")
            p[info.key] = value
        return p

    @register("clef_aligner_trainer")
    class AlignerTrainer(Handle):
        """Contrastive training of an aligner (one thread at a time; docs/aligner.md
        "Training"): a new one with settings params (Params "align", a dict of settings by
        name, or None: defaults) or one resumed from a checkpoint (resume=path; its
        architecture, vocabulary, weights and step, the other settings from params), on
        n_threads threads."""

        def __init__(self, ctx: Any, params: Any = None, n_threads: int = 1,
                     resume: Optional[CStr] = None) -> None:
            own = isinstance(params, dict)
            p = _align_params(ctx, params) if own else params
            try:
                if resume is not None:
                    h = _ll.clef_aligner_trainer_resume(ctx, resume, p, n_threads)
                else:
                    h = _ll.clef_aligner_trainer_create(ctx, p, n_threads)
            finally:
                if own:
                    p.close()
            Handle.__init__(self, h._ptr)
            h._ptr = None
            self._ctx = ctx

        @property
        def errmsg(self) -> str:
            """Message of the last failure on the handle ("" if none)."""
            return _ll.clef_aligner_trainer_errmsg(self) or ""

        @property
        def steps(self) -> int:
            """Optimizer steps taken so far."""
            return _ll.clef_aligner_trainer_steps(self)

        def sessions(self, split: Union[int, str] = "train") -> int:
            """Sessions added to split ("train" or "val")."""
            return _ll.clef_aligner_trainer_sessions(self, _enum("clef_split", "CLEF_SPLIT_",
                                                                 split))

        def add_session(self, text_encoder: "TextEncoder", emb: np.ndarray,
                        report: Optional[str] = None, ehr: Optional[str] = None,
                        split: Union[int, str] = "train") -> None:
            """Add one session: its embedding float32 (eeg_dim,), its report text (None: left
            out of the report term; summarized and encoded by text_encoder now) and its EHR
            record (Store.session_ehr's format; None: left out of the EHR term)."""
            fn = "AlignerTrainer.add_session"
            if not isinstance(emb, np.ndarray) or emb.dtype != np.float32 or emb.ndim != 1:
                raise TypeError(f"{fn}: 'emb' must be a 1-D float32 numpy array (eeg_dim,), "
                                f"not {getattr(emb, 'dtype', type(emb).__name__)} of shape "
                                f"{getattr(emb, 'shape', None)}")
            x = np.ascontiguousarray(emb)
            rc = _fns["clef_aligner_trainer_add_session"](
                as_handle(self, "clef_aligner_trainer", fn, "self"),
                as_handle(text_encoder, "clef_text_encoder", fn, "text_encoder"),
                x.ctypes.data_as(_F32P), x.size,
                None if report is None else _text(report, fn, "report"),
                None if ehr is None else _text(ehr, fn, "ehr"),
                _enum("clef_split", "CLEF_SPLIT_", split))
            _check(rc, "clef_aligner_trainer_add_session", self)

        def add_store(self, text_encoder: "TextEncoder", store: Any, encoder_hash: str,
                      split: str = "train") -> Any:
            """Add a clef.Store split's sessions ("train" or "val"): their embedding artifacts
            under encoder_hash (model_hash() of the encoder file; `clef embed --store` makes
            them), reports and EHR records. clef.NotFoundError names a session without one."""
            _ll.clef_aligner_trainer_add_store(self, text_encoder, store, encoder_hash, split)

        def run(self, checkpoint: Optional[CStr] = None,
                progress: Optional[Callable[..., Any]] = None) -> None:
            """Train to the step count of the settings, writing checkpoints to checkpoint (None:
            none). progress(step, total, loss_report, loss_ehr, acc_report, acc_ehr) (NaN for a
            term a batch could not form) may return True to stop (clef.CancelledError); an
            exception inside it stops the run and is re-raised."""
            run_with_progress(self, "clef_aligner_trainer_run", _ffi.clef_aligner_progress_fn,
                              checkpoint, progress)

        def validate(self) -> Any:
            """(loss, r_at_1, r_at_10) on the held-out sessions: the report InfoNCE loss and
            EEG-to-report retrieval among all held-out reports. clef.StateError with fewer than
            2 held-out sessions with reports."""
            return _ll.clef_aligner_trainer_validate(self)

        def aligner(self) -> Optional["Aligner"]:
            """The aligner being trained, borrowed: valid until the next step or the trainer's
            close(). None before the first step."""
            ptr = _fns["clef_aligner_trainer_aligner"](
                as_handle(self, "clef_aligner_trainer", "aligner", "self"))
            if not ptr:
                return None
            al = Aligner._wrap(ptr, owner=self)
            al._ctx = self._ctx
            return al

        def save(self, path: CStr) -> None:
            """Write the trained aligner (what `clef align -o` writes)."""
            al = self.aligner()
            if al is None:
                raise_status(_STATUS["CLEF_ERR_STATE"], "no aligner before the first step",
                             "AlignerTrainer.save")
            al.save(path, self._ctx)

        def save_checkpoint(self, path: CStr) -> None:
            """Write a checkpoint that resume= continues from."""
            _ll.clef_aligner_trainer_save(self, path)

        def finetune(self, encoder: Any) -> None:
            """Fine-tune a copy of encoder (a clef.Encoder) during alignment, its masked-token
            loss kept (settings recon_weight, encoder_lr; docs/aligner.md "Joint
            fine-tuning"). Call before adding sessions; they must then come from add_store,
            which reads their tokens too."""
            _ll.clef_aligner_trainer_finetune(self, encoder)

        def save_encoder(self, path: CStr) -> None:
            """Write the fine-tuned encoder and make the aligner name it (embed the store with
            it before using the aligner). clef.StateError when not fine-tuning."""
            _ll.clef_aligner_trainer_save_encoder(self, path)

    def align(store, encoder, out, text=None, *, n_threads=1, checkpoint=None, resume=None,
              progress=None, ctx=None, **settings):
        """Train an aligner as `clef align --store DB -w ENCODER -o OUT` does and write it to out.

        store: a clef.Store or a store path whose train (and, if any, val) sessions have
        embeddings under the encoder weights file `encoder` (`clef embed --store`), reports and
        EHR records. text: a clef.TextEncoder, or its directory (None: $CLEF_TEXT_MODEL).
        Settings by name, with or without the align. prefix, e.g. dim=512, width=128,
        n_layers=1, n_heads=4, eeg_hidden=512, batch=64, steps=600, lr=5e-4, seed=1 (the
        command's defaults). checkpoint defaults to out + ".ckpt"; resume continues a
        checkpoint. progress as in AlignerTrainer.run. Returns a clef.Aligned."""
        own = ctx is None
        ctx = Context() if own else ctx
        closers = []
        try:
            te = text if isinstance(text, Handle) else TextEncoder(ctx, text)
            if te is not text:
                closers.append(te)
            st = store if isinstance(store, Handle) else Store(ctx, store)
            if st is not store:
                closers.append(st)
            enc_hash = model_hash(encoder, ctx)
            with AlignerTrainer(ctx, dict(settings), n_threads, resume) as tr:
                tr.add_store(te, st, enc_hash, "train")
                try:
                    tr.add_store(te, st, enc_hash, "val")
                except NotFoundError:
                    if tr.sessions("val"):
                        raise  # a val session without an embedding, not an empty split
                tr.run(os.fspath(out) + ".ckpt" if checkpoint is None else checkpoint, progress)
                tr.save(out)
                n_train, n_val = tr.sessions("train"), tr.sessions("val")
                val = (None, None, None)
                if n_val >= 2:
                    try:
                        val = tr.validate()
                    except StateError:
                        pass  # fewer than 2 held-out sessions with reports
                return Aligned(tr.steps, n_train, n_val, *val)
        finally:
            for h in reversed(closers):
                h.close()
            if own:
                ctx.close()

