#!/usr/bin/env python3
"""Golden vector for clef_recording_read_canonical() on tests/data/test_subsecond.edf.

Independent path: pyedflib readSignal(0) (Fp1, uV, 128 Hz, double) then
scipy.signal.resample_poly(x, 25, 16) to 200 Hz. Saves the first 8000 and last 2000 output
samples (float64) to tests/data/golden/io/subsecond_fp1_200hz_{head,tail}.npy.
Run with build/refvenv/bin/python tools/ref/canonical_ref.py.
"""
from pathlib import Path

import numpy as np
import pyedflib
import scipy.signal as ss

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "data" / "golden" / "io"


def main():
    with pyedflib.EdfReader(str(ROOT / "tests" / "data" / "test_subsecond.edf")) as f:
        x = f.readSignal(0)
    y = ss.resample_poly(x, 25, 16)
    np.save(OUT / "subsecond_fp1_200hz_head.npy", y[:8000])
    np.save(OUT / "subsecond_fp1_200hz_tail.npy", y[-2000:])
    print(f"{len(x)} -> {len(y)} samples")


if __name__ == "__main__":
    main()
