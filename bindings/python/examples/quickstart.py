"""libclef from Python in a few lines (docs/python-quickstart.md). Run: python quickstart.py"""

import clef

print("libclef", clef.version(), "ABI", clef.abi_version(), "from", clef.LIBRARY_PATH)

# Handles are context managers; they are also freed by garbage collection.
with clef.Context() as ctx:
    with clef.Params(ctx, "cohort") as params:
        params["cohort.seed"] = 1234  # keys by stable name, type-checked by libclef
        print("seed =", params["cohort.seed"], "| n_patients bounds:",
              clef.param_info("cohort.n_patients")[5:])

        # Every failure is a ClefError subclass carrying the status and libclef's message.
        try:
            params["cohort.n_patients"] = 0
        except clef.RangeError as e:
            print("refused:", e.message, f"(status {e.status})")

    # A Session is one thread's call state: worker threads, reused scratch, last error.
    # Shared handles (a Spectrogram, a Tokenizer) serve many threads, one Session each.
    with clef.Session(ctx, n_threads=2) as session:
        # Every C function is also reachable, with argument checks, under clef.lowlevel.
        print("threads on the session:", clef.lowlevel.clef_session_n_threads(session))

        # Signals are float32 NumPy arrays (n_channels, n_samples), passed without a copy.
        if hasattr(clef, "Spectrogram"):
            import numpy as np

            t = np.arange(200 * 30) / 200.0  # 30 s at 200 Hz
            x = np.stack([10 * np.sin(2 * np.pi * f * t) for f in (6.0, 10.0)]).astype(np.float32)
            with clef.Spectrogram(ctx) as sg:  # CLEF defaults: 4 s windows, 1 s step, 0-32 Hz
                s = sg.compute(x, session)  # (n_channels, n_freqs, n_frames) float32, dB
                peak = sg.freqs[s[:, :, 0].argmax(axis=1)]
                print("spectrogram", s.shape, "peaks at", peak, "Hz")
                try:
                    sg.compute(x[:, :100], session)  # shorter than one 4 s window
                except clef.ShapeError:
                    print("refused:", session.errmsg)  # errors of a call are on its session
