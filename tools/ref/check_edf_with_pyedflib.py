#!/usr/bin/env python3
"""Read the writer's known EDF+/BDF+ files with pyedflib (an independent reader, EDFlib) and
check header, samples and annotations against the values of tests/io/edf_known.c.

usage: check_edf_with_pyedflib.py DIR   (DIR holds writer_known.edf and writer_known.bdf, e.g.
tests/data/golden/io or the output of `test_edf_writer --write DIR`). Exit 1 on a mismatch."""
import math
import sys

import numpy as np
import pyedflib

RATES = [256, 256, 100]
LABELS = ["EEG Fp1-REF", "EEG O2-REF", "ECG"]
UNITS = ["uV", "uV", "mV"]
ANNOT = [(0.5, 1.0, "Eyes closed"), (1.25, -1.0, "Spike \u00e9t\u00e9"), (2.0, 0.5, "Photic")]


def value(sig, k):
    t = k / RATES[sig]
    if sig == 0:
        return -4000.0 + 12.5 * k
    if sig == 1:
        return 50.0 * math.sin(2 * math.pi * 10.0 * t)
    return 1.5 * math.cos(2 * math.pi * 1.0 * t)


def check(path, bdf):
    step, lo, hi = (1.0, -8388608, 8388607) if bdf else (0.1, -3276.8, 3276.7)
    f = pyedflib.EdfReader(path)
    try:
        assert f.signals_in_file == 3, f.signals_in_file
        assert f.datarecords_in_file == 3, f.datarecords_in_file
        assert f.getSignalLabels() == LABELS, f.getSignalLabels()
        assert f.getPatientCode() == "MRN123", f.getPatientCode()
        assert f.getSex() in ("F", "Female"), f.getSex()
        assert f.getPatientName() in ("Jane_Doe", "Jane Doe"), f.getPatientName()
        assert f.getEquipment() in ("CLEF_synth", "CLEF synth"), f.getEquipment()
        st = f.getStartdatetime()
        assert (st.year, st.month, st.day, st.hour, st.minute, st.second) == (2023, 11, 14, 9, 30, 5), st
        for i in range(3):
            assert f.getPhysicalDimension(i) == UNITS[i]
            assert f.getSampleFrequency(i) == RATES[i]
            x = f.readSignal(i)
            n_data = int(2.5 * RATES[i])
            want = np.array([value(i, k) if k < n_data else 0.0 for k in range(3 * RATES[i])])
            want = np.clip(want, lo, hi)
            err = np.abs(x - want)
            bad = np.nonzero(err > step / 2 + 1e-6)[0]
            if bad.size:
                raise AssertionError(f"{path} signal {i}: first bad index {bad[0]}, max err {err.max()}")
        on, du, tx = f.readAnnotations()
        got = [(round(float(a), 6), float(b), str(c)) for a, b, c in zip(on, du, tx)]
        want = [(o, d, t) for o, d, t in ANNOT]
        assert len(got) == len(want), got
        for g, w in zip(got, want):
            assert abs(g[0] - w[0]) < 1e-6 and g[2] == w[2], (g, w)
            assert (w[1] < 0 and g[1] in (-1.0, 0.0)) or abs(g[1] - w[1]) < 1e-6, (g, w)
    finally:
        f.close()
    print(f"ok {path}")


def main():
    d = sys.argv[1]
    check(f"{d}/writer_known.edf", False)
    check(f"{d}/writer_known.bdf", True)


if __name__ == "__main__":
    main()
