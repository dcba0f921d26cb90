"""libclef from Python in a few lines (docs/python-quickstart.md). Run: python quickstart.py"""

import clef

print("libclef", clef.version(), "ABI", clef.abi_version(), "from", clef.LIBRARY_PATH)

# Handles are context managers; they are also freed by garbage collection.
with clef.Context(n_threads=2) as ctx:
    with clef.Params(ctx, "core") as params:
        params["seed"] = 1234  # keys by stable name, type-checked by libclef
        print("seed =", params["seed"], "| n_threads bounds:", clef.param_info("n_threads")[5:])

        # Every failure is a ClefError subclass carrying the status and libclef's message.
        try:
            params["n_threads"] = 0
        except clef.RangeError as e:
            print("refused:", e.message, f"(status {e.status})")

    # Every C function is also reachable, with argument checks, under clef.lowlevel.
    print("threads on ctx:", clef.lowlevel.clef_ctx_get_n_threads(ctx))

    # Signals are float32 NumPy arrays (n_channels, n_samples), passed without a copy.
    if hasattr(clef, "Spectrogram"):
        import numpy as np

        t = np.arange(200 * 30) / 200.0  # 30 s at 200 Hz
        x = np.stack([10 * np.sin(2 * np.pi * f * t) for f in (6.0, 10.0)]).astype(np.float32)
        with clef.Spectrogram(ctx) as sg:  # CLEF defaults: 4 s windows, 1 s step, 0-32 Hz, dB
            s = sg.compute(x)  # (n_channels, n_freqs, n_frames) float32
            peak = sg.freqs[s[:, :, 0].argmax(axis=1)]
            print("spectrogram", s.shape, "peaks at", peak, "Hz")
