#!/usr/bin/env python3
"""Reference safetensors files for libclef's reader and writer tests (dev-only).

usage: safetensors_ref.py [OUTDIR]             write the reference files (default
                                               tests/data/golden/nn)
       safetensors_ref.py --check-c FILE       check a file written by libclef's writer
                                               (tests/nn/test_safetensors.c, c_written_content())

The files are written by the official `safetensors` package (torch and numpy front ends), so
the C reader is tested against an independent writer, and F16/BF16 rounding against torch's
float32 -> half/bfloat16 conversion (round to nearest even).
"""
import json
import struct
import sys
from pathlib import Path

import numpy as np
import torch
from safetensors import safe_open
from safetensors.numpy import save_file as np_save
from safetensors.torch import load_file, save_file


def conversion_source():
    """float32 values exercising rounding: normals over many octaves, ties, subnormals of
    both formats, overflow to infinity, signed zeros, infinities and a quiet NaN."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal(1500).astype(np.float32)
    x *= np.float32(2.0) ** rng.integers(-30, 20, size=x.size).astype(np.float32)
    special = np.array([0.0, -0.0, 1.0, -1.0, 65504.0, 65519.0, 65520.0, 1e6, -1e6,
                        2.0 ** -14, 2.0 ** -24, 2.0 ** -25, 1.5 * 2.0 ** -25, 3 * 2.0 ** -26,
                        1.0 + 2.0 ** -11, 1.0 + 3 * 2.0 ** -11, 1.0 + 2.0 ** -8,
                        1.0 + 3 * 2.0 ** -8, 3.4e38, 1e-40, -1e-45, np.inf, -np.inf, np.nan],
                       dtype=np.float32)
    return np.concatenate([x, special])


def mixed_tensors():
    src = torch.from_numpy(conversion_source())
    f16 = src.to(torch.float16)
    bf16 = src.to(torch.bfloat16)
    return {
        "a.f32": torch.arange(6, dtype=torch.float32).reshape(2, 3) * 0.5 - 1.0,
        "scalar": torch.tensor(3.25, dtype=torch.float32),
        "empty": torch.zeros((0, 3), dtype=torch.float32),
        "r4": torch.linspace(-2, 2, 2 * 3 * 1 * 4, dtype=torch.float32).reshape(2, 3, 1, 4),
        "conv.src": src,
        "conv.f16": f16,
        "conv.f16.wide": f16.to(torch.float32),
        "conv.bf16": bf16,
        "conv.bf16.wide": bf16.to(torch.float32),
        "ids": torch.tensor([0, 5, -7, 1 << 40], dtype=torch.int64),
        "bytes": torch.tensor([1, 2, 3, 250, 255], dtype=torch.uint8),
    }


MIXED_META = {"clef.format": "1", "clef.kind": "model", "clef.spec.fs": "200",
              "note": "caf\u00e9 \u03bcV"}


def c_written_expected():
    """Mirror of c_written_content() in tests/nn/test_safetensors.c."""
    v = (torch.arange(12, dtype=torch.float32) * 0.3 - 1.7)
    meta = {"clef.format": "1", "clef.kind": "model", "clef.spec.fs": "200",
            "clef.spec.channels": "Fp1,Fp2,F7,F3,Fz,F4,F8,T7,C3,Cz,C4,T8,P7,P3,Pz,P4,P8,O1,O2"}
    tensors = {
        "w.f32": v.reshape(3, 4),
        "w.f16": v[:5].to(torch.float16),
        "w.bf16": v[:6].reshape(2, 3).to(torch.bfloat16),
        "s": torch.tensor(-0.5, dtype=torch.float32),
        "z": torch.zeros(0, dtype=torch.float32),
        "ids": torch.tensor([3, 1, 4, 1], dtype=torch.int64),
    }
    order = ["w.f32", "w.f16", "w.bf16", "s", "z", "ids"]
    return tensors, meta, order


def check_c(path):
    tensors, meta, order = c_written_expected()
    got = load_file(path)
    assert sorted(got) == sorted(tensors), (sorted(got), sorted(tensors))
    for k, t in tensors.items():
        g = got[k]
        assert g.dtype == t.dtype and tuple(g.shape) == tuple(t.shape), (k, g.dtype, g.shape)
        assert torch.equal(g, t), k
    with safe_open(path, framework="pt") as f:
        assert f.metadata() == meta, f.metadata()
    raw = Path(path).read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    assert (8 + n) % 64 == 0, "data not 64-byte aligned"
    header = json.loads(raw[8:8 + n])
    offsets = sorted((header[k]["data_offsets"], order.index(k), k) for k in order)
    assert [k for _, _, k in offsets] == order, offsets
    print(f"{path}: loads in safetensors {__import__('safetensors').__version__}, "
          f"{len(tensors)} tensors and metadata as expected")


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--check-c":
        check_c(sys.argv[2])
        return
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "tests/data/golden/nn")
    out.mkdir(parents=True, exist_ok=True)
    save_file(mixed_tensors(), str(out / "st_ref_mixed.safetensors"), metadata=MIXED_META)
    # numpy front end, no metadata: a second independent header layout
    np_save({"x": np.arange(10, dtype=np.float32).reshape(2, 5),
             "y": np.array([1.5, -2.0, 0.1], dtype=np.float16)},
            str(out / "st_ref_numpy.safetensors"))
    for f in sorted(out.glob("st_ref_*.safetensors")):
        print(f"wrote {f} ({f.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
