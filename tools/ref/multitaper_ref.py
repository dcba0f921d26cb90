#!/usr/bin/env python3
"""Golden multitaper spectrogram frames from MNE (dev-only; run with build/refvenv).

Signals (float32, [n_ch][n_samples] at 200 Hz): 3 synthetic channels (10 Hz sine in white noise,
a chirp in 1/f-like noise, unit-variance white noise) and 3 real-EEG channels (Fp1 of
tests/data/test_subsecond.edf, 128 Hz, read with pyedflib, resampled to 200 Hz with
scipy.signal.resample_poly(25, 16), three 30 s segments).

For each case and each frame (window start = k*step, valid frames only) the reference PSD of the
window is mne.time_frequency.psd_array_multitaper(window, fs, bandwidth=..., adaptive=False,
low_bias=True, normalization='full') computed in float64 on the float32 samples, kept at the
half-open band fmin <= f < fmax. Cases:
  clef      CLEF defaults: 4 s window, 1 s step, 2 Hz bandwidth, [0, 32) Hz, mean removed
  short     2 s window, 0.5 s step, 3 Hz bandwidth, [1, 45) Hz
  linear    CLEF defaults with linear detrend: scipy.signal.detrend(type='linear') then MNE with
            remove_dc=False
  uniform   CLEF defaults with uniform taper weights: computed here with NumPy from SciPy DPSS
            (sym=False, eigenvalue > 0.9), mean over tapers of 2|rfft(x*taper)|^2/fs, DC and
            Nyquist not doubled (MNE's one-sided convention)

Files in tests/data/golden/dsp/: mt_signals.f32 (<f4, n_ch*n_samples), mt_cases.txt, mt_psd.f64
(<f8, per case [n_ch][n_frames][n_freqs], cases in file order).
"""
import os
import sys

import mne
import numpy as np
import pyedflib
from scipy.signal import detrend, resample_poly
from scipy.signal.windows import dpss

FS = 200.0
N_SAMPLES = 6000
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def signals():
    rng = np.random.RandomState(20261125)
    t = np.arange(N_SAMPLES) / FS
    s0 = 20.0 * np.sin(2 * np.pi * 10.0 * t) + 5.0 * rng.randn(N_SAMPLES)
    pink = np.cumsum(rng.randn(N_SAMPLES)) * 0.5
    s1 = 15.0 * np.sin(2 * np.pi * (2.0 + 0.4 * t) * t) + pink
    s2 = rng.randn(N_SAMPLES)
    with pyedflib.EdfReader(os.path.join(ROOT, "tests", "data", "test_subsecond.edf")) as r:
        assert r.getSampleFrequency(0) == 128
        eeg = resample_poly(r.readSignal(0), 25, 16)
    segs = [eeg[o:o + N_SAMPLES] for o in (2000, 40000, 100000)]
    return np.stack([s0, s1, s2] + segs).astype(np.float32)


def mne_psd(w, bandwidth, remove_dc=True):
    p, f = mne.time_frequency.psd_array_multitaper(
        w, FS, bandwidth=bandwidth, adaptive=False, low_bias=True, normalization="full",
        remove_dc=remove_dc, verbose=False)
    return p, f


def uniform_psd(w, bandwidth):
    n = w.shape[-1]
    nw = bandwidth * n / (2 * FS)
    tap, ratios = dpss(n, nw, int(2 * nw), sym=False, norm=2, return_ratios=True)
    tap = tap[ratios > 0.9]
    x = np.fft.rfft((w - w.mean()) * tap, axis=-1)
    x[:, 0] /= np.sqrt(2.0)
    if n % 2 == 0:
        x[:, -1] /= np.sqrt(2.0)
    return 2.0 * np.mean(np.abs(x) ** 2, axis=0) / FS, np.fft.rfftfreq(n, 1 / FS)


CASES = [
    # name, window_s, step_s, bandwidth, fmin, fmax, detrend, weighting
    ("clef", 4.0, 1.0, 2.0, 0.0, 32.0, "constant", "eigen"),
    ("short", 2.0, 0.5, 3.0, 1.0, 45.0, "constant", "eigen"),
    ("linear", 4.0, 1.0, 2.0, 0.0, 32.0, "linear", "eigen"),
    ("uniform", 4.0, 1.0, 2.0, 0.0, 32.0, "constant", "uniform"),
]


def case_psd(x, win_s, step_s, bw, fmin, fmax, det, weighting):
    n = int(round(win_s * FS))
    step = int(round(step_s * FS))
    n_frames = (x.shape[1] - n) // step + 1
    out = []
    for ch in range(x.shape[0]):
        rows = []
        for k in range(n_frames):
            w = x[ch, k * step:k * step + n].astype(np.float64)
            if weighting == "uniform":
                p, f = uniform_psd(w, bw)
            elif det == "linear":
                p, f = mne_psd(detrend(w, type="linear"), bw, remove_dc=False)
            else:
                p, f = mne_psd(w, bw)
            keep = (f >= fmin) & (f < fmax)
            rows.append(p[keep])
        out.append(rows)
    return np.asarray(out), n_frames


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "tests", "data", "golden", "dsp")
    x = signals()
    x.astype("<f4").tofile(os.path.join(out, "mt_signals.f32"))
    blobs = []
    with open(os.path.join(out, "mt_cases.txt"), "w") as f:
        f.write(f"# mne {mne.__version__}; signals {x.shape[0]} x {x.shape[1]} at {FS} Hz\n")
        f.write("# name window_s step_s bandwidth fmin fmax detrend weighting n_frames n_freqs\n")
        for c in CASES:
            p, n_frames = case_psd(x, *c[1:])
            f.write("%s %r %r %r %r %r %s %s %d %d\n" % (c + (n_frames, p.shape[-1])))
            blobs.append(p.astype("<f8").ravel())
    np.concatenate(blobs).tofile(os.path.join(out, "mt_psd.f64"))


if __name__ == "__main__":
    main()
