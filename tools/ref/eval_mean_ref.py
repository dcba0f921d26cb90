#!/usr/bin/env python3
"""Golden vectors for clef_eval_mean_ci and clef_eval_compare (lib/clinical/eval_compare.c).

Tasks with one feature: the test feature is the score, so a probe fitted on training data
whose labels rise with the feature ranks the test sessions as the feature does, and every
AUROC, resampled or not, is the feature's (AUROC depends on ranks only). Two evaluations, A and
B, share the tasks' labels and differ in their test features.

Independent parts: each resample's AUROCs are sklearn.metrics.roc_auc_score with the draw's
multiplicities as sample_weight; the interval is numpy.percentile (linear). The draws follow
the documented stream (docs/evaluation.md): resample b seeds splitmix64 with
clefi_rng_u64(seed, b), each task in order draws n indices by rejection-sampled modulo, and a
draw lacking a class is drawn again.

Output: tests/data/golden/clinical/mean_ci.txt ("<key> <count>" then the numbers).
Run: build/refvenv/bin/python tools/ref/eval_mean_ref.py  (dev only; the output is committed)
"""
import os

import numpy as np
from sklearn.metrics import roc_auc_score

from eval_ref import OUT, Writer

M64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def mix64(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def rng_u64(seed, counter):
    return mix64(mix64((seed * GOLDEN + 0x632BE59BD9B4E019) & M64) ^ ((counter + GOLDEN) & M64))


class Stream:
    def __init__(self, state):
        self.state = state

    def below(self, n):
        limit = M64 - M64 % n  # UINT64_MAX - UINT64_MAX % n: the unbiased range
        while True:
            self.state = (self.state + GOLDEN) & M64
            r = mix64(self.state)
            if r < limit:
                return r % n


def boot(tasks, n_boot, seed, level, paired):
    """tasks: [(y, score_a, score_b)]; the mean (or mean difference) and its interval."""
    est = np.mean([roc_auc_score(y, a) for y, a, _ in tasks])
    if paired:
        est -= np.mean([roc_auc_score(y, b) for y, _, b in tasks])
    v = []
    for r in range(n_boot):
        st = Stream(rng_u64(seed, r))
        s = [0.0, 0.0]
        for y, a, b in tasks:
            n = len(y)
            while True:
                w = np.zeros(n)
                for _ in range(n):
                    w[st.below(n)] += 1
                if w[y == 1].sum() > 0 and w[y == 0].sum() > 0:
                    break
            s[0] += roc_auc_score(y, a, sample_weight=w)
            if paired:
                s[1] += roc_auc_score(y, b, sample_weight=w)
        v.append(s[0] / len(tasks) - (s[1] / len(tasks) if paired else 0.0))
    alpha = 1 - level
    return est, np.percentile(v, 100 * alpha / 2), np.percentile(v, 100 * (1 - alpha / 2))


def main():
    rng = np.random.default_rng(20261206)
    w = Writer("mean_ci.txt", "eval_mean_ref.py")
    names = ["dis_a", "dis_b", "feat_a", "feat_b", "feat_c", "med_a"]
    n_test = [40, 25, 60, 18, 33, 50]
    tasks = []
    w.put("n_tasks", [len(names)])
    for k, (name, n) in enumerate(zip(names, n_test)):
        x_tr = rng.normal(size=120)
        y_tr = (x_tr + 0.5 * rng.normal(size=120) > 0).astype(int)
        x_va = rng.normal(size=60)
        y_va = (x_va + 0.5 * rng.normal(size=60) > 0).astype(int)
        y = (rng.random(n) < 0.35).astype(int)
        y[0], y[1] = 0, 1
        a = np.round(y * 0.8 + rng.normal(size=n), 2)   # ties kept by the rounding
        b = np.round(y * 0.3 + rng.normal(size=n), 2)
        for key, v in [("train_x", x_tr), ("train_y", y_tr), ("val_x", x_va), ("val_y", y_va),
                       ("test_y", y), ("test_a", a), ("test_b", b)]:
            w.put(f"{key}_{k}", v)
        tasks.append((name, y, a, b))
    n_boot, seed, level = 200, 7, 0.9
    w.put("boot", [n_boot, seed, level])
    for prefix in ["", "feat_"]:
        sel = [(y, a, b) for name, y, a, b in tasks if name.startswith(prefix)]
        key = prefix or "all"
        w.put(f"mean_{key}", boot(sel, n_boot, seed, level, False))
        w.put(f"diff_{key}", boot(sel, n_boot, seed, level, True))
    w.close()


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    main()
