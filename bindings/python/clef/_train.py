"""The tokenizer training pipeline (clef_tokenizer_trainer_*; docs/tokenizer.md "Training"):
the calls `clef train-tokenizer` makes, so Python trains the same weights from the same
settings."""

import ctypes as C

from typing import Any, Callable, Dict, Optional, Sequence, Tuple, Union

import numpy as np

from . import _ffi
from ._api import Params, param_info
from ._core import CStr, Handle, _fns, as_handle, cstr, lowlevel, register
from ._signal import _check, has

_ll = lowlevel

# `clef train-tokenizer` trains on crops of 80 frames (the library's default crop is the
# 1,280-frame session image); train_tokenizer() keeps the command's defaults.
CLI_DEFAULTS = {"crop_t": 80}


def _setting(name, prefixes=("train.", "tok."), what="tokenizer or training"):
    """ParamInfo of a setting given by its name with or without one of prefixes ("steps",
    "train.steps", "ch", "tok.ch")."""
    for cand in (name,) + tuple(p + name for p in prefixes):
        try:
            return param_info(cand)
        except Exception:  # noqa: BLE001  (an unknown name: try the next spelling)
            continue
    raise ValueError(f"unknown {what} setting {name!r}")


def _params(ctx, settings, kinds=("tokenizer", "train"), prefixes=("tok.", "train."),
            what="tokenizer or training"):
    """(architecture, training) Params of kinds holding settings by name, each with or without
    its kind's prefix."""
    arch, train = Params(ctx, kinds[0]), Params(ctx, kinds[1])
    for name, value in settings.items():
        info = _setting(name, prefixes[::-1], what)
        if info.kind not in (arch.kind, train.kind):
            raise ValueError(f"{name!r} ({info.name}) is not among the {what} settings")
        (arch if info.kind == arch.kind else train)[info.key] = value
    return arch, train


def run_with_progress(tr, fn, cb_type, checkpoint, progress):
    """fn(tr, checkpoint, callback, NULL), a trainer's run: progress(*per-step values) is called
    after each step; a true result stops the run (clef.CancelledError), an exception inside it
    stops the run and is re-raised here (it cannot cross the C frames)."""
    raised = []

    def cb(*args):
        try:
            return 1 if progress is not None and progress(*args[:-1]) else 0
        except BaseException as e:  # noqa: BLE001  (re-raised after the C call)
            raised.append(e)
            return 1

    ptr = as_handle(tr, tr._ctype, fn, "self")
    rc = _fns[fn](ptr, cstr(checkpoint, fn, "checkpoint"), cb_type(cb),
                  None)
    if raised:
        raise raised[0]
    _check(rc, fn, tr)


if has("clef_tokenizer_trainer_create", "clef_tokenizer_trainer_add_cohort",
       "clef_tokenizer_trainer_run"):

    @register("clef_tokenizer_trainer")
    class TokenizerTrainer(Handle):
        """A tokenizer trainer (one thread at a time): a new tokenizer of architecture arch
        (Params "tokenizer", None: defaults) or one resumed from a checkpoint, with settings
        train (Params "train", None: defaults) on n_threads threads."""

        def __init__(self, ctx: Any, arch: Optional[Params] = None, train: Optional[Params] = None,
                     n_threads: int = 1, resume: Optional[CStr] = None) -> None:
            if resume is not None:
                h = _ll.clef_tokenizer_trainer_resume(ctx, resume, train, n_threads)
            else:
                h = _ll.clef_tokenizer_trainer_create(ctx, arch, train, n_threads)
            Handle.__init__(self, h._ptr)
            h._ptr = None
            self._ctx = ctx

        @property
        def errmsg(self) -> str:
            """Message of the last failure on the trainer ("" if none)."""
            return _ll.clef_tokenizer_trainer_errmsg(self) or ""

        @property
        def steps(self) -> int:
            """Optimizer steps taken so far."""
            return _ll.clef_tokenizer_trainer_steps(self)

        def add_cohort(self, directory: CStr, split: str = "train") -> None:
            """Add the sessions of a cohort directory's split."""
            _ll.clef_tokenizer_trainer_add_cohort(self, directory, split)

        def add_store(self, store: Any, split: str = "train") -> None:
            """Add the sessions of a clef.Store's split ("train", "val" or "test")."""
            _ll.clef_tokenizer_trainer_add_store(self, store, split)

        def add_means(self, means: np.ndarray) -> None:
            """More sessions' mean power spectra, float32 (sessions, 19 * 128), for the
            session-mean coder's fit."""
            m = np.ascontiguousarray(means, dtype=np.float32)
            if m.ndim != 2:
                raise ValueError("add_means: means must be 2-D (sessions, channels * bins)")
            ptr = as_handle(self, "clef_tokenizer_trainer", "add_means", "self")
            rc = _fns["clef_tokenizer_trainer_add_means"](
                ptr, m.ctypes.data_as(C.POINTER(C.c_float)), m.shape[0])
            _check(rc, "clef_tokenizer_trainer_add_means", self)

        def sessions(self) -> Tuple[int, int]:
            """(sessions, frames) added."""
            n, frames = C.c_int64(), C.c_int64()
            ptr = as_handle(self, "clef_tokenizer_trainer", "sessions", "self")
            rc = _fns["clef_tokenizer_trainer_sessions"](ptr, C.byref(n), C.byref(frames))
            _check(rc, "clef_tokenizer_trainer_sessions", self)
            return n.value, frames.value

        def run(self, checkpoint: Optional[CStr] = None,
                progress: Optional[Callable[..., Any]] = None) -> None:
            """Train to the step count of the settings (clef_tokenizer_trainer_run).
            progress(step, total, l1_db, perplexity, power_db) may return True to stop
            (clef.CancelledError); an exception inside it stops the run and is re-raised."""
            run_with_progress(self, "clef_tokenizer_trainer_run",
                              _ffi.clef_tokenizer_train_progress_fn, checkpoint, progress)

        def save(self, path: CStr) -> None:
            """Write the trained tokenizer's weights (clef_tokenizer_save)."""
            ptr = as_handle(self, "clef_tokenizer_trainer", "save", "self")
            tok = _fns["clef_tokenizer_trainer_tokenizer"](ptr)
            ctx = as_handle(self._ctx, "clef_ctx", "save", "ctx")
            rc = _fns["clef_tokenizer_save"](tok, ctx, cstr(path, "clef_tokenizer_save", "path"))
            _check(rc, "clef_tokenizer_save", self._ctx)

        def save_checkpoint(self, path: CStr) -> None:
            """Write a checkpoint that resume= continues from."""
            _ll.clef_tokenizer_trainer_save(self, path)

    def train_tokenizer(cohort_dir, out, *, store=None, split="train", n_threads=1,
                        checkpoint=None, resume=None, mean_fit=(), progress=None, ctx=None,
                        **settings):
        """Train a tokenizer as `clef train-tokenizer` does and write it to out.

        cohort_dir: a cohort directory (or None with store=, a clef.Store); settings by name,
        e.g. steps=2000, batch=8, crop_t=80, ch=32, codebook_size=1024, channel_dropout=0.3,
        mean_tokens=128, seed=1 (the command's defaults; Params "tokenizer" and "train" keys,
        with or without their tok. / train. prefix). checkpoint defaults to out + ".ckpt";
        resume continues a checkpoint (it gets session-mean tokens only when mean_tokens is
        given, as with the command); mean_fit: arrays of more sessions' mean spectra.
        Returns the steps taken."""
        from ._api import Context

        own = ctx is None
        ctx = Context() if own else ctx
        try:
            settings = {**CLI_DEFAULTS, **settings}
            if resume is not None and "mean_tokens" not in settings \
                    and "train.mean_tokens" not in settings:
                settings["mean_tokens"] = 0
            arch, train = _params(ctx, settings)
            with TokenizerTrainer(ctx, arch, train, n_threads, resume) as tr:
                if store is not None:
                    tr.add_store(store, split)
                else:
                    tr.add_cohort(cohort_dir, split)
                for m in mean_fit:
                    tr.add_means(m)
                tr.run(str(out) + ".ckpt" if checkpoint is None else checkpoint, progress)
                tr.save(out)
                return tr.steps
        finally:
            if own:
                ctx.close()
