"""A typed use of the clef package, checked by mypy in the test suite (py.typed ships with
the package, so mypy and IDEs see the annotations of clef and clef.lowlevel).

    python examples/typed_usage.py            # runs it
    python -m mypy examples/typed_usage.py    # type-checks it
"""

from typing import Dict, List, Tuple

import numpy as np

import clef


def spectrogram_of_noise(seconds: int = 30) -> Tuple[np.ndarray, np.ndarray]:
    """A spectrogram of 19 channels of noise and its frequency axis."""
    with clef.Context() as ctx, clef.Spectrogram(ctx) as sg, clef.Session(ctx, 2) as s:
        x = np.random.default_rng(0).standard_normal((19, int(sg.fs) * seconds),
                                                      dtype=np.float32)
        spec: np.ndarray = sg.compute(x, s, fs=sg.fs)
        return spec, sg.freqs


def settings() -> Dict[str, clef.ParamValue]:
    """The io parameter set as a dict (clef.Params is a mapping)."""
    with clef.Context() as ctx, clef.Params(ctx, "io") as p:
        p["io.target_rate"] = 256.0
        return dict(p.items())


def probe_auroc() -> float:
    """Fit a probe on separable features and score it."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((80, 4))
    y = (x[:, 0] > 0).astype(np.int32)
    with clef.Context() as ctx, clef.Probe(ctx, x, y) as probe:
        return clef.auroc(ctx, probe.predict(x), y)


def channels() -> List[str]:
    """Canonical and bipolar channel names, and a call through the typed low-level layer."""
    n: int = clef.lowlevel.clef_canonical_n_channels()
    return clef.canonical_channels()[:n] + clef.bipolar_channels()


if __name__ == "__main__":
    spec, freqs = spectrogram_of_noise()
    print("spectrogram", spec.shape, "from", freqs[0], "to", freqs[-1], "Hz")
    print("io settings", settings())
    print("probe AUROC", round(probe_auroc(), 3))
    print(len(channels()), "channel names;", "status", clef.StatusCode.ERR_IO.name,
          "is an OSError:", issubclass(clef.IoError, OSError))
