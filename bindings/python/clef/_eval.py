"""Evaluation: AUROC with bootstrap intervals, logistic probes and the multi-task evaluator
(clef.Eval) over arrays or a cohort store."""

from typing import List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

from ._core import Handle, lowlevel, register
from .enums import ArtifactKind

_ll = lowlevel


def _scores_labels(scores: object, labels: object, fn: str) -> Tuple[np.ndarray, np.ndarray]:
    s = np.ascontiguousarray(scores, dtype=np.float64)
    y = np.ascontiguousarray(labels, dtype=np.int32)
    if s.ndim != 1 or y.shape != s.shape:
        raise ValueError(f"{fn}: scores and labels must be 1-D of one length, got shapes "
                         f"{s.shape} and {y.shape}")
    return s, y


def auroc(ctx: Handle, scores: object, labels: object) -> float:
    """AUROC of scores against 0/1 labels (ties count one half, as
    sklearn.metrics.roc_auc_score)."""
    s, y = _scores_labels(scores, labels, "auroc")
    return float(_ll.clef_auroc(ctx, s, y, s.size))


def auroc_ci(ctx: Handle, scores: object, labels: object, n_boot: int = 1000, seed: int = 0,
             level: float = 0.95) -> Tuple[float, float]:
    """(lo, hi): percentile bootstrap confidence interval of the AUROC (the same seed gives
    the same interval)."""
    s, y = _scores_labels(scores, labels, "auroc_ci")
    lo, hi = _ll.clef_auroc_ci(ctx, s, y, s.size, n_boot, seed, level)
    return float(lo), float(hi)


def _matrix(x: object, fn: str, arg: str, dtype: type = np.float64) -> np.ndarray:
    a: np.ndarray = np.ascontiguousarray(x, dtype=dtype)
    if a.ndim != 2:
        raise ValueError(f"{fn}: '{arg}' must be 2-D (n, d), got shape {a.shape}")
    return a


@register("clef_probe")
class Probe(Handle):
    """A logistic-regression probe (L2, regularization C) fitted on features x (n, d) and 0/1
    labels; labels (n_tasks, n) fit one probe per task at once.

    >>> with clef.Probe(ctx, x_train, y_train, c=1.0) as p: prob = p.predict(x_test)
    """

    def __init__(self, ctx: Handle, x: object, y: object, c: float = 1.0) -> None:
        xa = _matrix(x, "Probe", "x")
        ya = np.ascontiguousarray(y, dtype=np.int32)
        n, d = xa.shape
        if ya.ndim == 1 and ya.shape[0] == n:
            self._take(_ll.clef_probe_fit(ctx, xa, ya, n, d, c))
        elif ya.ndim == 2 and ya.shape[1] == n:
            self._take(_ll.clef_probe_fit_many(ctx, xa, ya, n, d, ya.shape[0], c))
        else:
            raise ValueError(f"Probe: y must be ({n},) or (n_tasks, {n}), got shape {ya.shape}")
        self.dim = d

    @classmethod
    def select(cls, ctx: Handle, x_train: object, y_train: object, x_val: object,
               y_val: object, c_grid: Sequence[float]) -> "Probe":
        """The probe of the C in c_grid with the best validation AUROC."""
        xt, xv = _matrix(x_train, "Probe.select", "x_train"), _matrix(x_val, "Probe.select",
                                                                        "x_val")
        yt = np.ascontiguousarray(y_train, dtype=np.int32)
        yv = np.ascontiguousarray(y_val, dtype=np.int32)
        if xt.shape[1] != xv.shape[1]:
            raise ValueError(f"Probe.select: x_train has {xt.shape[1]} features, x_val "
                             f"{xv.shape[1]}")
        grid = np.ascontiguousarray(c_grid, dtype=np.float64)
        p = cls._adopt(_ll.clef_probe_fit_select(ctx, xt, yt, xt.shape[0], xv, yv, xv.shape[0],
                                                 xt.shape[1], grid, grid.size))
        p.dim = xt.shape[1]
        return p

    @property
    def c(self) -> float:
        """The regularization C of the fit."""
        return _ll.clef_probe_c(self)

    @property
    def n_iter(self) -> int:
        """Optimizer iterations of the fit."""
        return _ll.clef_probe_n_iter(self)

    @property
    def n_tasks(self) -> int:
        """Outputs (1, or n_tasks of a multi-task fit)."""
        return _ll.clef_probe_n_tasks(self)

    @property
    def errmsg(self) -> str:
        """Message of the last failure on the probe ("" if none)."""
        return _ll.clef_probe_errmsg(self) or ""

    def predict(self, x: object) -> np.ndarray:
        """Probabilities of class 1 for x (n, d): float64 (n,), or (n_tasks, n) for a
        multi-task probe."""
        xa = _matrix(x, "Probe.predict", "x")
        if xa.shape[1] != self.dim:
            raise ValueError(f"Probe.predict: x has {xa.shape[1]} features, the probe {self.dim}")
        t = self.n_tasks
        prob = _ll.clef_probe_predict(self, xa, xa.shape[0], xa.shape[1])
        return prob.reshape(t, xa.shape[0]) if t > 1 else prob


class TaskResult(NamedTuple):
    """One task of an evaluation: status (0, or the CLEF_ERR_* it was skipped for), split
    sizes, test AUROC with its confidence interval, the chosen C, and the standardized mean
    differences of age and sex between positives and negatives (NaN without them)."""

    name: str
    status: int
    n_train: int
    n_val: int
    n_test: int
    auroc: float
    ci_lo: float
    ci_hi: float
    c: float
    smd_age: float
    smd_sex: float


@register("clef_eval")
class Eval(Handle):
    """Linear-probe evaluation of embeddings on several tasks: C chosen on the validation
    split, test AUROC with a bootstrap interval. Tasks come from arrays (add_task) or a
    store (run_store); results() gives one TaskResult per task.

    >>> with clef.Eval(ctx) as ev:
    ...     ev.add_task("seizure", (xtr, ytr), (xva, yva), (xte, yte))
    ...     print(ev.results(), ev.mean_auroc)
    """

    def __init__(self, ctx: Handle, c_grid: Optional[Sequence[float]] = None,
                 n_boot: Optional[int] = None, seed: int = 0, level: float = 0.95) -> None:
        self._take(_ll.clef_eval_create(ctx))
        if c_grid is not None:
            g = np.ascontiguousarray(c_grid, dtype=np.float64)
            _ll.clef_eval_set_c_grid(self, g, g.size)
        if n_boot is not None:
            _ll.clef_eval_set_bootstrap(self, n_boot, seed, level)

    @property
    def errmsg(self) -> str:
        """Message of the last failure on the evaluator ("" if none)."""
        return _ll.clef_eval_errmsg(self) or ""

    def add_task(self, name: str, train: Tuple[object, object], val: Tuple[object, object],
                 test: Tuple[object, object]) -> None:
        """Evaluate one task: (x, y) per split, x float (n, dim), y 0/1 (n,)."""
        xs, ys = [], []
        for split, (x, y) in zip(("train", "val", "test"), (train, val, test)):
            xa = _matrix(x, "Eval.add_task", f"x_{split}", np.float32)
            ya = np.ascontiguousarray(y, dtype=np.int32)
            if ya.shape != (xa.shape[0],):
                raise ValueError(f"Eval.add_task: y_{split} must be ({xa.shape[0]},), got "
                                 f"shape {ya.shape}")
            xs.append(xa)
            ys.append(ya)
        dims = {x.shape[1] for x in xs}
        if len(dims) != 1:
            raise ValueError(f"Eval.add_task: the splits' feature counts differ: "
                             f"{[x.shape[1] for x in xs]}")
        _ll.clef_eval_add_task(self, name, xs[0], ys[0], xs[0].shape[0], xs[1], ys[1],
                               xs[1].shape[0], xs[2], ys[2], xs[2].shape[0], dims.pop())

    def run_store(self, store: Handle, kind: Union[int, str], model_hash: str) -> None:
        """Evaluate every task of a clef.Store on its sessions' artifacts of kind (e.g.
        "embedding") and model hash; splits from the store."""
        if isinstance(kind, str):
            kind = ArtifactKind[kind.upper()]
        _ll.clef_eval_run_store(self, store, int(kind), model_hash)

    @property
    def n_tasks(self) -> int:
        """Tasks added so far."""
        return _ll.clef_eval_n_tasks(self)

    def results(self) -> List[TaskResult]:
        """One TaskResult per task, in the order added."""
        res = []
        for i in range(self.n_tasks):
            name, _needed = _ll.clef_eval_task_name(self, i, 4096)
            st, ntr, nva, nte, a, lo, hi, c = _ll.clef_eval_task_result(self, i)
            smd_age, smd_sex = _ll.clef_eval_task_balance(self, i)
            res.append(TaskResult(name, st, ntr, nva, nte, a, lo, hi, c, smd_age, smd_sex))
        return res

    @property
    def mean_auroc(self) -> float:
        """Mean test AUROC over the evaluated tasks."""
        return float(_ll.clef_eval_mean_auroc(self)[0])

    def mean_ci(self, prefix: Optional[str] = None) -> Tuple[float, float, float, int]:
        """(mean, lo, hi, n_tasks): the mean test AUROC over the evaluated tasks whose names
        start with prefix (None: all; e.g. "feat_") and its bootstrap interval, every task's
        test sessions resampled (the evaluator's n_boot, seed and level)."""
        m, lo, hi, n = _ll.clef_eval_mean_ci(self, prefix)
        return float(m), float(lo), float(hi), int(n)

    def compare(self, base: "Eval", prefix: Optional[str] = None
                ) -> Tuple[float, float, float, int]:
        """(diff, lo, hi, n_tasks): this evaluation's mean test AUROC minus base's over the
        tasks evaluated in both (same store, same sessions), with a paired bootstrap interval
        that draws the same test sessions for both."""
        d, lo, hi, n = _ll.clef_eval_compare(self, base, prefix)
        return float(d), float(lo), float(hi), int(n)
