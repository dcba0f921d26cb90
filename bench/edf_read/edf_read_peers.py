#!/usr/bin/env python3
"""Peers of bench/edf_read: read a whole EDF+ file as physical values with edfio
(read_edf + .data of every signal), pyedflib (readSignal of every signal) and MNE
(read_raw_edf(preload=True)). Each reader runs in a fresh subprocess (so its peak RSS is its own),
best of REPS wall times after one warm-up read. Prints one line per reader:
    peer <name> <best seconds> <peak RSS kB> <samples read>
usage: edf_read_peers.py FILE [REPS]
"""
import subprocess
import sys

CHILD = r'''
import resource, sys, time
path, name, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
def run():
    if name == "edfio":
        import edfio
        e = edfio.read_edf(path)
        return sum(len(s.data) for s in e.signals)
    if name == "pyedflib":
        import pyedflib
        with pyedflib.EdfReader(path) as f:
            return sum(len(f.readSignal(i)) for i in range(f.signals_in_file))
    import mne
    raw = mne.io.read_raw_edf(path, preload=True, verbose="error")
    return raw.get_data().size
n = run()
best = float("inf")
for _ in range(reps):
    t = time.perf_counter(); n = run(); best = min(best, time.perf_counter() - t)
print(best, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, n)
'''


def main():
    path = sys.argv[1]
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    for name in ("edfio", "pyedflib", "mne"):
        out = subprocess.run([sys.executable, "-c", CHILD, path, name, str(reps)],
                             capture_output=True, text=True)
        if out.returncode != 0:
            print(f"peer {name} failed: {out.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
            continue
        t, rss, n = out.stdout.split()
        print(f"peer {name} {t} {rss} {n}", flush=True)
    # interpreter + numpy baseline, to read the peers' RSS against
    out = subprocess.run([sys.executable, "-c", "import resource, numpy; print(resource."
                          "getrusage(resource.RUSAGE_SELF).ru_maxrss)"],
                         capture_output=True, text=True)
    print(f"baseline python+numpy 0 {out.stdout.strip()} 0")


if __name__ == "__main__":
    main()
