#!/usr/bin/env python3
"""Probe policies compared on a store's embeddings (docs/evaluation.md "C selection: policies
tried"). scikit-learn, not libclef: an experiment on how the regularization is chosen, before
any change to clef_eval.

usage: probe_policy.py STORE.db MODEL_HASH[,MODEL_HASH...] POLICY[,POLICY...]

MODEL_HASH: an embedding's model hash in the store (bandpower-v1, or an encoder's or aligner's
SHA-256, as `clef evaluate --model` stores them). POLICY, each with StandardScaler +
LogisticRegression(lbfgs) over C = 1e-4 .. 1e4 (one per decade), test AUROC per task:
  val        fit on train per C, keep the best validation AUROC (the harness's policy)
  val_refit  the same C, refitted on train + val
  cv_fold    5-fold stratified CV on train + val, mean fold AUROC, refit on train + val
  cv_pool    the same, AUROC of the pooled out-of-fold scores
Prints the mean over tasks, all and feat_, per model.
"""
import sqlite3
import sys
import warnings

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler

warnings.filterwarnings("ignore")
GRID = [10.0**k for k in range(-4, 5)]


def load(db):
    con = sqlite3.connect(db)
    sess = [r[0] for r in con.execute("select session_id from sessions order by session_id")]
    idx = {s: i for i, s in enumerate(sess)}
    split = dict(con.execute("select s.session_id, p.split from sessions s "
                             "join splits p on p.subject_id = s.subject_id"))
    sp = np.array([split[s] for s in sess])
    labels = {}
    for tid, name in con.execute("select task_id, name from tasks order by name"):
        y = np.full(len(sess), -1)
        for s, lab in con.execute("select session_id, label from labels where task_id = ?",
                                  (tid,)):
            y[idx[s]] = lab
        labels[name] = y
    return con, sess, idx, sp, labels


def embeddings(con, sess, idx, model):
    x = None
    for s, blob in con.execute("select session_id, data from artifacts "
                               "where kind = 3 and model_hash = ?", (model,)):
        v = np.frombuffer(blob, np.float32)
        if x is None:
            x = np.zeros((len(sess), v.size))
        x[idx[s]] = v
    return x


def fit(x, y, c):
    sc = StandardScaler().fit(x)
    m = LogisticRegression(C=c, max_iter=2000).fit(sc.transform(x), y)
    return lambda z: m.decision_function(sc.transform(z))


def best(scores):
    """highest score, the first C of the grid on ties"""
    return max(GRID, key=lambda c: (scores[c], -GRID.index(c)))


def task_auroc(x, y, sp, policy):
    tr, va, te = ((sp == s) & (y >= 0) for s in ("train", "val", "test"))
    if any(len(set(y[m])) < 2 for m in (tr, va, te)):
        return None
    tv = tr | va
    if policy in ("val", "val_refit"):
        c = best({c: roc_auc_score(y[va], fit(x[tr], y[tr], c)(x[va])) for c in GRID})
        on = tv if policy == "val_refit" else tr
        return roc_auc_score(y[te], fit(x[on], y[on], c)(x[te]))
    ii = np.where(tv)[0]
    k = max(2, min(5, int(y[ii].sum()), int((y[ii] == 0).sum())))
    folds = list(StratifiedKFold(k, shuffle=True, random_state=0).split(x[ii], y[ii]))
    scores = {}
    for c in GRID:
        oof, aucs = np.zeros(len(ii)), []
        for a, b in folds:
            oof[b] = fit(x[ii[a]], y[ii[a]], c)(x[ii[b]])
            if len(set(y[ii[b]])) == 2:
                aucs.append(roc_auc_score(y[ii[b]], oof[b]))
        scores[c] = np.mean(aucs) if policy == "cv_fold" else roc_auc_score(y[ii], oof)
    return roc_auc_score(y[te], fit(x[tv], y[tv], best(scores))(x[te]))


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    con, sess, idx, sp, labels = load(sys.argv[1])
    models = sys.argv[2].split(",")
    xs = {m: embeddings(con, sess, idx, m) for m in models}
    for policy in sys.argv[3].split(","):
        line = [f"{policy:10s}"]
        for m in models:
            r = {n: task_auroc(xs[m], y, sp, policy) for n, y in labels.items()}
            r = {n: v for n, v in r.items() if v is not None}
            feat = [v for n, v in r.items() if n.startswith("feat_")]
            line.append(f"{m[:12]} all {np.mean(list(r.values())):.3f} feat {np.mean(feat):.3f}"
                        f" ({len(r)} tasks)")
        print(" | ".join(line), flush=True)


if __name__ == "__main__":
    main()
