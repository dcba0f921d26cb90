#!/usr/bin/env python3
"""Golden DPSS tapers and concentration ratios from SciPy (dev-only; run with build/refvenv).

Writes tests/data/golden/dsp/dpss.txt (one case per line: N NW K sym) and dpss.f64 (for each
case, in order: K*N tapers row-major, then K ratios; little-endian float64).
Reference: scipy.signal.windows.dpss(N, NW, K, sym=sym, norm=2, return_ratios=True).
"""
import os
import sys

import numpy as np
import scipy
from scipy.signal.windows import dpss

CASES = [
    (800, 4.0, 8, 0),  # CLEF: 4 s at 200 Hz, periodic like MNE
    (800, 4.0, 8, 1),
    (801, 4.0, 8, 1),  # odd length
    (400, 3.0, 6, 0),
    (64, 2.5, 4, 1),
    (101, 3.0, 5, 0),
    (257, 1.5, 2, 1),
    (16, 3.0, 6, 1),   # short sequence, large NW relative to N
    (33, 0.5, 1, 0),   # MNE's smallest half-bandwidth
]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), "..", "..", "tests", "data", "golden", "dsp")
    blobs = []
    with open(os.path.join(out, "dpss.txt"), "w") as f:
        f.write(f"# scipy {scipy.__version__}: N NW K sym; data in dpss.f64\n")
        for n, nw, k, sym in CASES:
            w, r = dpss(n, nw, k, sym=bool(sym), norm=2, return_ratios=True)
            w = np.atleast_2d(w)
            r = np.atleast_1d(r)
            f.write(f"{n} {nw!r} {k} {sym}\n")
            blobs += [w.astype("<f8").ravel(), r.astype("<f8").ravel()]
    np.concatenate(blobs).tofile(os.path.join(out, "dpss.f64"))


if __name__ == "__main__":
    main()
