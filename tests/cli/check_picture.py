"""Check a `clef spectrogram --png` picture with independent readers: Pillow decodes the PNG,
NumPy loads the .npy it was drawn from, matplotlib gives the viridis colour map.

Usage: check_picture.py PNG NPY MAX_BYTES
Expected layout (tools/cli/cli_plot.h, stated here again on purpose): margins left 80, right 76,
top 20, bottom 38; bands of 128 rows 2 apart; a panel at least 600 pixels wide (each 1 s frame
repeated) and at most 1,200 (frames averaged); frame k centred at 2 + k s; 0-32 Hz per band;
dB in [-40, 40].
"""
import math
import os
import sys

import numpy as np
from matplotlib import colormaps
from PIL import Image

LEFT, RIGHT, TOP, BOTTOM, GAP = 80, 76, 20, 38, 2


def scale(frames):
    xs = 1 if frames >= 600 else math.ceil(600 / frames)
    step = math.ceil(frames / 1200) if frames > 1200 else 1
    return xs, step, math.ceil(frames / step) * xs


def main(png, npy, max_bytes):
    s = np.load(npy)
    ch, nf, frames = s.shape
    xs, step, pw = scale(frames)
    plot_h = ch * (nf + GAP) - GAP
    im = Image.open(png)
    size = os.path.getsize(png)
    assert im.format == "PNG" and im.mode == "P", (im.format, im.mode)
    assert im.size == (LEFT + pw + RIGHT, TOP + plot_h + BOTTOM), (im.size, s.shape)
    w, h = im.size
    old = 8 + 25 + 12 + 2 + (3 * w + 1) * h + 5 * ((3 * w + 1) * h // 65535 + 1) + 4 + 12
    assert size <= max_bytes, f"{size} bytes > {max_bytes}"
    assert size < old / 8, f"{size} bytes: not much smaller than the stored-deflate {old}"
    rgb = np.asarray(im.convert("RGB")).astype(int)
    bg = rgb[0, 0]
    assert (bg == 255).all(), bg

    # Cells: every pixel of the panel against matplotlib's viridis of its (averaged) dB value.
    cols = s[:, :, : (frames // step) * step].reshape(ch, nf, -1, step).mean(axis=3)
    n = cols.shape[2]
    t = np.clip((cols + 40.0) / 80.0, 0, 1)
    want = (colormaps["viridis"](t)[..., :3] * 255).round()
    for c in range(ch):
        y0 = TOP + c * (nf + GAP)
        band = rgb[y0 : y0 + nf, LEFT : LEFT + n * xs : xs][::-1]  # row 0 = lowest bin
        err = np.abs(band - want[c])
        assert err.max() <= 8 and err.mean() <= 2, (c, err.max(), err.mean())
    # a missing channel (-40 dB) is viridis' bottom, the strongest cell of Fp1 near its value
    lo = rgb[TOP + (ch - 1) * (nf + GAP), LEFT]
    assert (np.abs(lo - [68, 1, 84]) <= 3).all() or s[ch - 1].min() > -40, lo

    # Axes: ink (dark pixels) in the margins, and tick marks where the axes put them.
    ink = rgb.sum(axis=2) < 200
    left = ink[TOP : TOP + plot_h, : LEFT - 1]
    below = ink[TOP + plot_h + 1 :, LEFT : LEFT + pw]
    assert left.sum() > 40 * ch and below.sum() > 100, (left.sum(), below.sum())
    for c in range(ch):  # ticks every 10 Hz: 40 rows apart, 0 Hz on the band's bottom row
        bottom = TOP + c * (nf + GAP) + nf - 1
        for hz in (0, 10, 20, 30):
            assert ink[bottom - hz * 4, LEFT - 5 : LEFT - 1].all(), (c, hz)
        assert ink[TOP + c * (nf + GAP) : bottom + 1, LEFT - 1].all(), c  # the axis line
    assert ink[TOP + plot_h, LEFT : LEFT + pw].all()  # the time axis line
    px_per_s = xs / step
    ticks = [x for x in range(LEFT, LEFT + pw) if ink[TOP + plot_h + 1 : TOP + plot_h + 5, x].all()]
    assert len(ticks) >= 5, ticks
    secs = [(x - LEFT) / px_per_s + 1.5 for x in ticks]  # frame 0 spans 1.5-2.5 s
    spacing = float(np.median(np.diff(secs)))
    nice = min((10, 20, 50, 100, 200, 500, 1000, 2000), key=lambda v: abs(v - spacing))
    assert abs(spacing - nice) <= 1 / px_per_s and np.ptp(np.diff(secs)) <= 2 / px_per_s, secs
    assert all(abs(v - round(v / nice) * nice) <= 1 / px_per_s for v in secs), secs

    # Colour bar: right of the panel, 14 pixels wide, 40 dB (yellow) at the top, -40 at 255 rows
    # down.
    bx = LEFT + pw + 12 + 7
    top, bot = rgb[TOP, bx], rgb[TOP + min(plot_h, 256) - 1, bx]
    assert (np.abs(top - [253, 231, 37]) <= 12).all() and (np.abs(bot - [68, 1, 84]) <= 12).all()
    assert ink[TOP - 14 : TOP, bx - 7 : bx + 10].any()  # its unit, "dB"
    print(f"{png}: {w} x {h}, {size} bytes (stored deflate: {old}), {len(ticks)} time ticks")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
