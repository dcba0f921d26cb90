#!/usr/bin/env python3
"""Golden vectors for libclef's polyphase resampler (tests/io/test_resample.c).

Writes tests/data/golden/io/resample_<in>_<out>_{x,y}.npy: x = float32 input (3 s of a chirp
plus noise, fixed seed), y = scipy.signal.resample_poly(x.astype(float64), up, down) as float64,
with up/down = out/in reduced. Run with build/refvenv/bin/python tools/ref/resample_ref.py.
"""
from fractions import Fraction
from pathlib import Path

import numpy as np
import scipy
import scipy.signal as ss

OUT = Path(__file__).resolve().parents[2] / "tests" / "data" / "golden" / "io"
CASES = [(256, 200), (250, 200), (500, 200), (512, 200), (1000, 200), (200, 200),
         (Fraction(975, 2), 200), (999, 200), (128, 200)]


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20251125)
    for fin, fout in CASES:
        fin = Fraction(fin)
        ratio = Fraction(fout) / fin
        up, down = ratio.numerator, ratio.denominator
        n = int(3 * fin) + 17
        t = np.arange(n) / float(fin)
        x = (50 * np.sin(2 * np.pi * (1 + 20 * t) * t) + 10 * rng.standard_normal(n)
             + 30).astype(np.float32)
        y = ss.resample_poly(x.astype(np.float64), up, down)
        tag = f"{float(fin):g}".replace(".", "p") + f"_{fout}"
        np.save(OUT / f"resample_{tag}_x.npy", x)
        np.save(OUT / f"resample_{tag}_y.npy", y)
        print(f"{tag}: up {up} down {down} n {n} -> {len(y)} (scipy {scipy.__version__})")


if __name__ == "__main__":
    main()
