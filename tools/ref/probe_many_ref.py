#!/usr/bin/env python3
"""Golden vectors for clef_probe_fit_many (lib/clinical/probe_many.c): several label sets on
one feature matrix, each fitted by scikit-learn's StandardScaler + LogisticRegression
(newton-cholesky, tol 1e-12: the exact optimum of the objective lbfgs approximates), then the
test probabilities and roc_auc_score of each task.

Output: tests/data/golden/clinical/probe_many.txt, the format of eval_ref.py (a line
"<key> <count>", then the numbers on one line).

Run: build/refvenv/bin/python tools/ref/probe_many_ref.py  (dev only; the output is committed)
"""
import os
import sys

import numpy as np
from sklearn.metrics import roc_auc_score

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from eval_ref import OUT, Writer, fit_sklearn  # noqa: E402


def main():
    rng = np.random.default_rng(20260419)
    w = Writer("probe_many.txt", "probe_many_ref.py")
    # n_train, n_test, d, tasks, C: a decaying spectrum (as embeddings have), shared features;
    # case 1 adds a constant column and mixed scales and offsets; case 2 is weakly regularized
    specs = [(160, 60, 12, 5, 1.0), (150, 50, 10, 4, 0.05), (120, 40, 24, 3, 100.0)]
    w.put("n_cases", [len(specs)])
    for k, (ntr, nte, d, n_tasks, c) in enumerate(specs):
        q, _ = np.linalg.qr(rng.normal(size=(d, d)))
        z = rng.normal(size=(ntr + nte, d)) * (1.0 + np.arange(d)) ** -0.5 @ q.T
        x = np.round(z, 4)
        if k == 1:
            x = x * rng.choice([1e-2, 1.0, 30.0], size=d) + rng.normal(size=d) * 5.0
            x[:, 3] = 2.5  # constant feature
            x = np.round(x, 4)
        ys, probs, aucs = [], [], []
        for t in range(n_tasks):
            beta = rng.normal(size=d) * rng.uniform(0.5, 2.0)
            y = (rng.random(ntr + nte) < 1 / (1 + np.exp(-(z @ beta) + rng.normal()))).astype(int)
            y[:2], y[ntr:ntr + 2] = (0, 1), (0, 1)  # both classes in both splits
            p = fit_sklearn(x[:ntr], y[:ntr], c, "newton-cholesky").predict_proba(x[ntr:])[:, 1]
            p2 = fit_sklearn(x[:ntr], y[:ntr], c, "lbfgs").predict_proba(x[ntr:])[:, 1]
            gap = np.max(np.abs(p - p2))
            print(f"case {k} task {t}: newton-cholesky vs lbfgs max |dp| = {gap:.2e}")
            if gap > 1e-4:
                sys.exit(f"reference solvers disagree on case {k} task {t}: {gap}")
            ys.append(y)
            probs.append(p)
            aucs.append(roc_auc_score(y[ntr:], p))
        w.put(f"dims_{k}", [ntr, nte, d, n_tasks])
        w.put(f"c_{k}", [c])
        w.put(f"x_{k}", x)
        w.put(f"y_{k}", np.array(ys))  # [tasks][ntr + nte]
        w.put(f"prob_{k}", np.array(probs))  # [tasks][nte]
        w.put(f"auroc_{k}", aucs)
    w.close()
    print("wrote", os.path.join(OUT, "probe_many.txt"))


if __name__ == "__main__":
    main()
