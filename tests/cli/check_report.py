"""Check a `clef report` page in a real browser (Debian's chromium-headless-shell).

Usage: check_report.py REPORT.html [--sessions N] [--browser PATH] [--expect-fail]

1. The file on its own: one self-contained page (no <script>, no reference to anything but
   itself: every src/href is a data: URI or a #fragment), every section present by id, each
   ROC curve an inline <svg> (at least --rocs of them), at least N session sections each with its picture, and no more
   than 12 MB.
2. The browser: the page loads with no console message at all (the page has no script, so any
   CONSOLE line is an error: a broken inline resource, a parse failure) and its screenshot
   (a window tall enough for the whole page) is not blank, and shows every section's colour bar
   (the 24-pixel left border of each h2, colours of tools/cli/cmd_report.c stated again here on
   purpose) in page order, the last one ("end") included, so nothing was cut off.
--expect-fail inverts the exit status (negative controls: a broken page must be caught).
"""
import argparse
import html.parser
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

SECTIONS = [("overview", (0xE4, 0x1A, 0x1C)), ("evaluation", (0x37, 0x7E, 0xB8)),
            ("categories", (0x4D, 0xAF, 0x4A)), ("roc", (0x98, 0x4E, 0xA3)),
            ("zeroshot", (0xFF, 0x7F, 0x00)), ("sessions", (0xA6, 0x56, 0x28)),
            ("end", (0xF7, 0x81, 0xBF))]
MAX_BYTES = 12 * 1024 * 1024


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.refs, self.scripts = [], [], 0
        self.svgs = self.session_imgs = 0
        self.in_session = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "script":
            self.scripts += 1
        if tag == "svg":
            self.svgs += 1
        if tag == "section" and a.get("id", "").startswith("session-"):
            self.in_session = True
        if tag == "img" and self.in_session:
            self.session_imgs += 1
        for k in ("src", "href", "data", "action"):
            if k in a and a[k] is not None:
                self.refs.append(a[k])
        for v in a.values():
            if v and re.search(r"url\(|https?:", v):
                self.refs.append(v)


def static_checks(path, n_sessions, n_rocs):
    errors = []
    size = os.path.getsize(path)
    if size > MAX_BYTES:
        errors.append(f"{size} bytes, more than {MAX_BYTES}")
    text = open(path, encoding="utf-8").read()
    p = Page()
    p.feed(text)
    if p.scripts:
        errors.append(f"{p.scripts} <script> element(s)")
    for r in p.refs:
        if not (r.startswith("data:image/png;base64,") or r.startswith("#")):
            errors.append(f"external reference {r[:60]!r}")
    if re.search(r"@import|url\(", text):
        errors.append("CSS refers to another resource")
    for sid, _ in SECTIONS:
        if sid not in p.ids:
            errors.append(f"section #{sid} missing")
    if p.svgs < n_rocs:
        errors.append(f"{p.svgs} ROC curves (inline svg), expected at least {n_rocs}")
    sessions = [i for i in p.ids if i.startswith("session-")]
    if len(sessions) < n_sessions:
        errors.append(f"{len(sessions)} session sections, expected {n_sessions}")
    if p.session_imgs < n_sessions:
        errors.append(f"{p.session_imgs} session pictures, expected {n_sessions}")
    return errors


def find_bars(img):
    """Top row of each section colour's 24-pixel bar (None if absent)."""
    a = np.asarray(img.convert("RGB")).astype(int)
    rows = {}
    for sid, rgb in SECTIONS:
        m = (np.abs(a - np.array(rgb)).sum(axis=2) <= 6)
        # a bar: a row with at least 20 such pixels in a run (text anti-aliasing never is)
        hits = np.where(m.sum(axis=1) >= 20)[0]
        rows[sid] = int(hits[0]) if len(hits) else None
    return rows, a


def browser_checks(path, browser, height, keep=None):
    errors = []
    work = tempfile.mkdtemp(prefix="clef_report_check_")
    try:
        shot = os.path.join(work, "shot.png")
        cmd = [browser, "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               "--enable-logging=stderr", "--v=0", f"--screenshot={shot}",
               f"--window-size=1280,{height}", "--virtual-time-budget=5000",
               "file://" + os.path.abspath(path)]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                           env=dict(os.environ, HOME=work))
        console = [ln for ln in r.stderr.splitlines() if ":CONSOLE" in ln]
        errors += [f"console: {ln}" for ln in console]
        if not os.path.exists(shot):
            return errors + [f"no screenshot (exit {r.returncode}): {r.stderr[-500:]}"]
        img = Image.open(shot)
        if keep:
            shutil.copy(shot, keep)
        rows, a = find_bars(img)
        ink = (np.abs(a - 255).sum(axis=2) > 30).mean()
        print(f"screenshot {img.size[0]}x{img.size[1]}: {100 * ink:.1f} % non-white; "
              "section bars at rows " + ", ".join(f"{k} {v}" for k, v in rows.items()))
        if ink < 0.02:
            errors.append(f"screenshot nearly blank ({100 * ink:.2f} % non-white)")
        missing = [k for k, v in rows.items() if v is None]
        if missing:
            errors.append("sections not visible in the screenshot: " + ", ".join(missing))
        seen = [v for v in rows.values() if v is not None]
        if seen != sorted(seen):
            errors.append("sections out of order in the screenshot")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return errors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report")
    ap.add_argument("--sessions", type=int, default=1)
    ap.add_argument("--rocs", type=int, default=1, help="ROC curves expected at least")
    ap.add_argument("--browser", default=shutil.which("chromium-headless-shell")
                    or shutil.which("chromium"))
    ap.add_argument("--height", type=int, default=16000)
    ap.add_argument("--expect-fail", action="store_true")
    ap.add_argument("--shot", help="keep the screenshot here")
    o = ap.parse_args()
    errors = static_checks(o.report, o.sessions, o.rocs)
    if o.browser is None:
        print("no headless browser (apt-get install chromium-headless-shell)", file=sys.stderr)
        return 77
    errors += browser_checks(o.report, o.browser, o.height, o.shot)
    for e in errors:
        print("report check:", e)
    failed = bool(errors)
    if o.expect_fail:
        print("negative control:", "caught" if failed else "NOT caught")
        return 0 if failed else 1
    print("report check:", "FAILED" if failed else "OK")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
