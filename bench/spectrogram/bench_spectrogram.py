#!/usr/bin/env python3
"""Spectrogram benchmark: libclef against its peers, measured in the same run.

20 min x 19 channels x 200 Hz, CLEF parameters (4 s window, 1 s step, 2 Hz bandwidth, 7 DPSS
tapers with eigenvalue > 0.9, mean removed, 'full' normalization, [0, 32) Hz = 128 bins,
10 log10 clipped to [-40, 40] dB). Runs bench_spectrogram (libclef at 1 and 2 threads and the
FFT-only bound: 19 x 1,197 x 7 FFTW transforms of length 800) and, each in its own process for
its peak RSS:
  mne_loop   mne.time_frequency.psd_array_multitaper once per (channel, window)
  mne_once   psd_array_multitaper once on the strided (channels x frames x window) view
  numpy      a vectorized NumPy/SciPy implementation of the same convention
Every peer's dB output is compared with libclef's (max |difference| in dB).

Usage: bench_spectrogram.py [--bin build/bench/bench/spectrogram/bench_spectrogram] [--reps 5]
Needs numpy, scipy, mne (e.g. build/refvenv/bin/python, tools/requirements-ref.txt).
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

FS, N_CH, WIN, STEP, BW = 200.0, 19, 800, 200, 2.0


def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGESIZE") / 2**20


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def to_db(p):
    return np.clip(10.0 * np.log10(np.maximum(p, 1e-300)), -40.0, 40.0).astype(np.float32)


def windows(x):
    return np.lib.stride_tricks.sliding_window_view(x, WIN, axis=-1)[:, ::STEP]


def peer_mne_loop(x):
    from mne.time_frequency import psd_array_multitaper
    n_frames = (x.shape[1] - WIN) // STEP + 1
    out = np.empty((x.shape[0], 128, n_frames), np.float32)
    for c in range(x.shape[0]):
        for k in range(n_frames):
            p, _ = psd_array_multitaper(x[c, k * STEP:k * STEP + WIN], FS, fmin=0.0, fmax=31.9,
                                        bandwidth=BW, adaptive=False, low_bias=True,
                                        normalization="full", verbose=False)
            out[c, :, k] = to_db(p)
    return out


def peer_mne_once(x):
    from mne.time_frequency import psd_array_multitaper
    p, _ = psd_array_multitaper(windows(x), FS, fmin=0.0, fmax=31.9, bandwidth=BW,
                                adaptive=False, low_bias=True, normalization="full",
                                verbose=False)
    return to_db(p).transpose(0, 2, 1)


def peer_numpy(x):
    import scipy.fft
    from scipy.signal.windows import dpss
    nw = BW * WIN / (2 * FS)
    tap, eig = dpss(WIN, nw, int(2 * nw), sym=False, norm=2, return_ratios=True)
    tap, eig = tap[eig > 0.9], eig[eig > 0.9]
    w = windows(x.astype(np.float64))
    w = w - w.mean(axis=-1, keepdims=True)
    spec = scipy.fft.rfft(w[:, :, None, :] * tap, axis=-1)[..., :128]
    p = np.einsum("cktf,t->ckf", spec.real**2 + spec.imag**2, eig) * (2.0 / (FS * eig.sum()))
    p[..., 0] /= 2.0  # DC is not doubled (MNE _mt_spectra)
    return to_db(p).transpose(0, 2, 1)


PEERS = {"mne_loop": peer_mne_loop, "mne_once": peer_mne_once, "numpy": peer_numpy}


def run_peer(name, inp, ref):
    x = np.fromfile(inp, np.float32).reshape(N_CH, -1)
    base = rss_mb()
    t0 = time.perf_counter()
    out = PEERS[name](x)
    dt = time.perf_counter() - t0
    c = np.fromfile(ref, np.float32).reshape(out.shape)
    print(f"time_s {dt:.4f}\npeak_rss_mb {peak_mb():.1f}\nrss_above_input_mb {peak_mb() - base:.1f}"
          f"\nmax_db_diff {float(np.max(np.abs(out - c))):.3g}")


def parse(text):
    return {k: float(v) for k, v in (ln.split() for ln in text.splitlines() if ln and ln[0] != "#")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/bench/bench/spectrogram/bench_spectrogram")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--peer")
    ap.add_argument("--inp")
    ap.add_argument("--ref")
    a = ap.parse_args()
    if a.peer:
        run_peer(a.peer, a.inp, a.ref)
        return
    with tempfile.TemporaryDirectory() as tmp:
        ref, inp = os.path.join(tmp, "clef.f32"), os.path.join(tmp, "x.f32")
        load0 = os.getloadavg()
        c = parse(subprocess.run([a.bin, str(a.reps), ref, inp], check=True, capture_output=True,
                                 text=True).stdout)
        peers = {}
        for name in PEERS:
            r = subprocess.run([sys.executable, __file__, "--peer", name, "--inp", inp, "--ref", ref],
                               check=True, capture_output=True, text=True)
            peers[name] = parse(r.stdout)
        load1 = os.getloadavg()
    t1, t2, tf = c["clef_1thread_s"], c["clef_2threads_s"], c["fft_only_s"]
    print(f"spectrogram benchmark: 20 min x {N_CH} ch x 200 Hz, CLEF parameters; {os.cpu_count()}"
          f" CPUs, load average {load0[0]:.2f} before, {load1[0]:.2f} after")
    print(f"{'method':<28}{'time s':>10}{'vs clef 1t':>12}{'vs clef 2t':>12}{'peak RSS MB':>13}"
          f"{'max |dB diff|':>15}")
    print(f"{'libclef 1 thread':<28}{t1:>10.4f}{1.0:>12.2f}{t1 / t2:>12.2f}"
          f"{c['rss_peak_1thread_mb']:>13.1f}{'-':>15}")
    print(f"{'libclef 2 threads':<28}{t2:>10.4f}{t2 / t1:>12.2f}{1.0:>12.2f}"
          f"{c['rss_peak_mb']:>13.1f}{'-':>15}")
    print(f"{'FFT-only bound (1 thread)':<28}{tf:>10.4f}{tf / t1:>12.2f}{tf / t2:>12.2f}"
          f"{'-':>13}{'-':>15}")
    for name, p in peers.items():
        print(f"{name:<28}{p['time_s']:>10.4f}{p['time_s'] / t1:>12.1f}{p['time_s'] / t2:>12.1f}"
              f"{p['peak_rss_mb']:>13.1f}{p['max_db_diff']:>15.3g}")
    print(f"libclef 1 thread / FFT-only bound: {t1 / tf:.2f}x (target <= 1.5)")
    print(f"speed-up of libclef 1 thread: {peers['mne_loop']['time_s'] / t1:.1f}x MNE loop "
          f"(target >= 20), {peers['mne_once']['time_s'] / t1:.1f}x MNE once (>= 7), "
          f"{peers['numpy']['time_s'] / t1:.1f}x NumPy (>= 5)")
    print(f"libclef memory: output {c['output_mb']:.1f} MB, input {c['input_mb']:.1f} MB; RSS "
          f"{c['rss_before_compute_mb']:.1f} MB before the call (input resident, output untouched), peak "
          f"{c['rss_peak_1thread_mb']:.1f} MB: {c['rss_peak_1thread_mb'] - c['rss_before_compute_mb']:.1f}"
          f" MB during the call, output included ({(c['rss_peak_1thread_mb'] - c['rss_before_compute_mb']) / c['output_mb']:.2f}x"
          f" the output); NumPy peak above its input: {peers['numpy']['rss_above_input_mb']:.0f} MB")


if __name__ == "__main__":
    main()
