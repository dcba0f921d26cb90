#!/usr/bin/env python3
"""PyTorch reference of the CLEF VQGAN spectrogram tokenizer (docs/tokenizer.md).

Same architecture as lib/model/tokenizer*.c, taming-transformers style (Esser et al. 2021,
taming/modules/diffusionmodules/model.py Encoder/Decoder/ResnetBlock), adapted to a 19-channel
spectrogram image: a (3,5)-stride-(1,5) stem, len(ch_mult) frequency-halving stages, no
attention, a ConvTranspose (1,5) head.

Writes the golden files of tests/model/test_tokenizer.c (fixed seeds):
  tests/data/golden/model/tok_<cfg>_weights.safetensors  weights + clef.* metadata
  tests/data/golden/model/tok_<cfg>_io.safetensors       input, latents, ids, decoded, margin
  tok_mean_*: the same with session-mean tokens (MeanCoder, fitted in NumPy to the io file's
  "fit_means"), so the C fit (LAPACK dsyevr) is checked against numpy.linalg.eigh as well.

Usage: build/refvenv/bin/python tools/ref/tokenizer_ref.py [--out DIR]
       --bench N_THREADS WEIGHTS : time encode of one 20-min session (bench/tokenizer).
       --fuzz-seeds DIR : micro weights files, the seeds of fuzz/corpus/tok_weights.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

DB_SCALE = 40.0  # clef.spec.db_max: dB clipped to [-40, 40] (ARCHITECTURE.md section 8)


def cfg_default():
    return dict(in_channels=19, n_freq=128, crop_t=1280, time_stride=5, ch=32, ch_mult=(1, 1, 2, 4),
                n_res=1, gn_groups=8, gn_eps=1e-6, codebook_size=1024, code_dim=32)


def Norm(c, cfg):
    return nn.GroupNorm(cfg["gn_groups"], c, eps=cfg["gn_eps"], affine=True)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, cfg):
        super().__init__()
        self.norm1 = Norm(cin, cfg)
        self.conv1 = nn.Conv2d(cin, cout, 3, 1, 1)
        self.norm2 = Norm(cout, cfg)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)
        self.nin_shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        if self.nin_shortcut is not None:
            x = self.nin_shortcut(x)
        return x + h


class Level(nn.Module):
    def __init__(self, blocks, resample):
        super().__init__()
        self.block = nn.ModuleList(blocks)
        self.resample = resample


class Encoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        ch, ts = cfg["ch"], cfg["time_stride"]
        self.conv_in = nn.Conv2d(cfg["in_channels"], ch, (3, ts), (1, ts), (1, 0))
        self.down = nn.ModuleList()
        cin = ch
        for m in cfg["ch_mult"]:
            cout = ch * m
            blocks = []
            for _ in range(cfg["n_res"]):
                blocks.append(ResBlock(cin, cout, cfg))
                cin = cout
            self.down.append(Level(blocks, nn.Conv2d(cout, cout, 3, (2, 1), 1)))
        self.mid = ResBlock(cin, cin, cfg)
        self.norm_out = Norm(cin, cfg)
        self.conv_out = nn.Conv2d(cin, cfg["code_dim"], 3, 1, 1)

    def forward(self, x):
        h = self.conv_in(x)
        for lv in self.down:
            for b in lv.block:
                h = b(h)
            h = lv.resample(h)
        h = self.mid(h)
        return self.conv_out(F.silu(self.norm_out(h)))


class Upsample(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, 1, 1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=(2, 1), mode="nearest"))


class Decoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        ch, ts = cfg["ch"], cfg["time_stride"]
        cin = ch * cfg["ch_mult"][-1]
        self.conv_in = nn.Conv2d(cfg["code_dim"], cin, 3, 1, 1)
        self.mid = ResBlock(cin, cin, cfg)
        levels = [None] * len(cfg["ch_mult"])
        for i in reversed(range(len(cfg["ch_mult"]))):
            cout = ch * cfg["ch_mult"][i]
            blocks = []
            for _ in range(cfg["n_res"]):
                blocks.append(ResBlock(cin, cout, cfg))
                cin = cout
            levels[i] = Level(blocks, Upsample(cout))
        self.up = nn.ModuleList(levels)
        self.norm_out = Norm(cin, cfg)
        self.conv_out = nn.ConvTranspose2d(cin, cfg["in_channels"], (1, ts), (1, ts))

    def forward(self, z):
        h = self.mid(self.conv_in(z))
        for i in reversed(range(len(self.up))):
            for b in self.up[i].block:
                h = b(h)
            h = self.up[i].resample(h)
        return self.conv_out(F.silu(self.norm_out(h)))


class Quantizer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embedding = nn.Embedding(cfg["codebook_size"], cfg["code_dim"])

    def ids(self, z):
        """z [D, F, T] -> ids [F*T] (row-major f, t), margin to the second best code."""
        d = z.shape[0]
        zf = z.reshape(d, -1).t()  # [N, D]
        e = self.embedding.weight
        dist = (zf * zf).sum(1, keepdim=True) + (e * e).sum(1)[None, :] - 2.0 * zf @ e.t()
        two = torch.topk(dist, 2, dim=1, largest=False)
        return two.indices[:, 0], two.values[:, 1] - two.values[:, 0]


class Tokenizer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.enc = Encoder(cfg)
        self.quantize = Quantizer(cfg)
        self.dec = Decoder(cfg)

    def encode(self, spec_db):
        """spec_db [C, F, T<=crop_t] dB -> latents [D, F/2^L, crop_t/ts], ids, margin."""
        c, f, t = spec_db.shape
        x = torch.zeros(1, c, f, self.cfg["crop_t"])
        x[0, :, :, :t] = spec_db / DB_SCALE  # pad policy: zeros (0 dB) after the data
        z = self.enc(x)[0]
        ids, margin = self.quantize.ids(z)
        return z, ids, margin

    def decode(self, ids):
        n_f = self.cfg["n_freq"] >> len(self.cfg["ch_mult"])
        n_t = self.cfg["crop_t"] // self.cfg["time_stride"]
        zq = self.quantize.embedding.weight[ids].t().reshape(1, -1, n_f, n_t)
        return self.dec(zq)[0] * DB_SCALE


def power_rows(x):
    """Each row's mean power over the last axis, in dB: 10 log10 mean 10^(x/10) (float64)."""
    x = np.asarray(x, np.float64)
    return 10.0 * np.log10(np.mean(10.0 ** (x / 10.0), axis=-1))


class MeanCoder:
    """Session-mean tokens (lib/model/tok_mean.c), in NumPy float64: the mean power spectrum M
    of a session (power_rows), projected on the leading principal axes of the training
    sessions' M. The first `full` tokens hold one coefficient (`levels` levels), the others two
    (sqrt(levels) levels each); each coefficient u, in standard deviations of its component
    (scale), is quantised uniformly in asinh(u / A) up to |u| = RANGE_FULL or RANGE_PAIR. Then
    presence tokens (floor(log2(levels)) channels each, a bit per absent channel), and the last
    token holds the valid token columns."""

    A, RANGE_FULL, RANGE_PAIR = 0.5, 1000.0, 20.0

    def __init__(self, center, scale, basis, levels, codebook_size, full, n_ch, bias=None):
        self.center = np.asarray(center, np.float32).reshape(-1)
        # mean.bias: dB taken off the decoded power (clef_tokenizer_trainer_calibrate_mean)
        self.bias = (np.zeros_like(self.center) if bias is None
                     else np.asarray(bias, np.float32).reshape(-1))
        self.scale = np.asarray(scale, np.float32)
        self.basis = np.asarray(basis, np.float32).reshape(len(self.scale), -1)
        self.levels, self.k, self.full = levels, codebook_size, full
        self.pair = int(round(np.sqrt(levels)))
        self.n_ch, self.bits = n_ch, int(np.floor(np.log2(levels)))
        self.n_presence = -(-n_ch // self.bits)

    @staticmethod
    def full_tokens(n_ch, n_tokens, levels, max_components):
        nt = n_tokens - 1 - -(-n_ch // int(np.floor(np.log2(levels))))
        full = nt // 2 if int(round(np.sqrt(levels))) ** 2 == levels else nt
        while full < nt and full + 2 * (nt - full) > max_components:
            full += 1
        return full

    @classmethod
    def fit(cls, means, n_tokens, levels, codebook_size, blank=-DB_SCALE):
        """means [n, C, F]: sessions with a channel at the blank level everywhere are left out
        when at least n_tokens complete ones remain (as tok_mean.c)."""
        m = np.asarray(means, np.float32)
        complete = ~np.any(np.all(m <= blank + 1e-4, axis=2), axis=1)
        if complete.sum() >= n_tokens:
            m = m[complete]
        x = m.reshape(len(m), -1).astype(np.float64)
        n_ch = m.shape[1]
        full = cls.full_tokens(n_ch, n_tokens, levels, min(len(x) - 1, x.shape[1]))
        n = full + 2 * (n_tokens - 1 - -(-n_ch // int(np.floor(np.log2(levels)))) - full)
        a = x - x.mean(0)
        w, v = np.linalg.eigh(a.T @ a / (len(x) - 1))
        w, v = w[::-1][:n], v[:, ::-1][:, :n].T.copy()
        for row in v:  # sign: the largest-magnitude entry positive
            if row[np.argmax(np.abs(row))] < 0:
                row *= -1
        scale = np.maximum(np.sqrt(np.maximum(w, 0)).astype(np.float32), 1e-6)
        return cls(x.mean(0), scale, v, levels, codebook_size, full, n_ch)

    NOISE_VAR = 0.01  # ridge prior: (0.1 dB)^2 per value

    def _q(self, u, levels, rng):
        vmax = np.arcsinh(rng / self.A)
        t = np.floor((np.arcsinh(u / self.A) / vmax + 1.0) * 0.5 * (levels - 1) + 0.5)
        return np.clip(t, 0, levels - 1).astype(np.int64)

    def _v(self, q, levels, rng):
        vmax = np.arcsinh(rng / self.A)
        return self.A * np.sinh((2.0 * q / (levels - 1) - 1.0) * vmax)

    def encode(self, m, n_ch, cols, blank=-DB_SCALE):
        """m [C*F], valid columns -> ids (codebook_size + level, then codebook_size + cols),
        coefficients in standard deviations then cols, M^ to subtract.
        Channels whose every bin is at the blank level are absent: the coefficients are then
        the ridge least-squares fit to the present channels (prior: the components' training
        variances), and M^ keeps the absent channels at their own level."""
        m = np.asarray(m, np.float64).reshape(-1)
        b = self.basis.astype(np.float64)
        d = m - self.center.astype(np.float64)
        absent = np.all(m.reshape(n_ch, -1) <= blank + 1e-4, axis=1)
        if absent.any() and not absent.all():
            keep = np.repeat(~absent, len(m) // n_ch)
            bp = b[:, keep]
            var = self.scale.astype(np.float64) ** 2
            c = np.linalg.solve(bp @ bp.T + np.diag(self.NOISE_VAR / np.maximum(var, 1e-12)),
                                bp @ d[keep])
        else:
            c = b @ d
        u = c / self.scale.astype(np.float64)
        f, p = self.full, self.pair
        qf = self._q(u[:f], self.levels, self.RANGE_FULL)
        qp = self._q(u[f:], p, self.RANGE_PAIR).reshape(-1, 2)
        mask = sum(1 << c for c in range(self.n_ch) if absent[c])
        pres = [(mask >> (j * self.bits)) & ((1 << self.bits) - 1) for j in range(self.n_presence)]
        ids = np.concatenate([self.k + qf, self.k + qp[:, 0] * p + qp[:, 1],
                              self.k + np.array(pres, np.int64), [self.k + cols]])
        u = np.concatenate([u, [cols]])
        mhat, _, _ = self.decode(ids)
        if absent.any() and not absent.all():
            mhat[np.repeat(absent, len(m) // n_ch)] = m[np.repeat(absent, len(m) // n_ch)]
        return ids, u, mhat

    def decode(self, ids):
        """ids -> M^ [C*F], valid columns, absent channels [C] (bool)."""
        q = np.asarray(ids, np.int64) - self.k
        f, p, npres = self.full, self.pair, self.n_presence
        pairs = q[f:-1 - npres]
        mask = sum(int(v) << (j * self.bits) for j, v in enumerate(q[-1 - npres:-1]))
        absent = np.array([(mask >> c) & 1 for c in range(self.n_ch)], bool)
        u = np.concatenate([self._v(q[:f], self.levels, self.RANGE_FULL),
                            self._v(np.stack([pairs // p, pairs % p], 1).reshape(-1), p,
                                    self.RANGE_PAIR)])
        chat = u * self.scale.astype(np.float64)
        return (self.center.astype(np.float64) + chat @ self.basis.astype(np.float64)
                - self.bias.astype(np.float64)), int(q[-1]), absent

    def tensors(self, c, f):
        n = len(self.scale)
        return {"mean.center": torch.from_numpy(self.center.reshape(c, f).copy()),
                "mean.scale": torch.from_numpy(self.scale.copy()),
                "mean.basis": torch.from_numpy(self.basis.reshape(n, c, f).copy()),
                "mean.bias": torch.from_numpy(self.bias.reshape(c, f).copy())}


def encode_with_mean(model, coder, spec_db):
    """The C encode of a tokenizer with session-mean tokens: M over the real frames, the network
    on the spectrogram minus M^ (padding: 0 dB of residual), ids = grid ids then mean ids."""
    c, f, t = spec_db.shape
    ts = model.cfg["time_stride"]
    cols = min(-(-t // ts), model.cfg["crop_t"] // ts)
    m = power_rows(spec_db.numpy()).reshape(-1)
    mids, coef, mhat = coder.encode(m, c, cols)
    mh = torch.from_numpy(mhat.astype(np.float32)).reshape(c, f, 1)
    z, ids, margin = model.encode(spec_db - mh)
    ids = torch.cat([ids, torch.from_numpy(mids)])
    latents = torch.cat([z.reshape(-1), torch.from_numpy(coef.astype(np.float32))])
    return latents, ids, margin


def decode_with_mean(model, coder, ids, n_grid):
    """The C decode: the network's residual, each row shifted so that its mean power over the
    valid columns' frames is the coded M^ (absent channels imputed from the coefficients)."""
    r = model.decode(ids[:n_grid]).double().numpy()
    mhat, cols, absent = coder.decode(ids[n_grid:].numpy())
    frames = min(cols * model.cfg["time_stride"], r.shape[2])
    shift = mhat.reshape(r.shape[0], r.shape[1]) - power_rows(r[:, :, :frames])
    out = r + shift[:, :, None]
    out[absent] = -DB_SCALE  # absent (or flat) channels come back blank
    return torch.from_numpy(out.astype(np.float32))


def metadata(cfg):
    n_f = cfg["n_freq"] >> len(cfg["ch_mult"])
    n_t = cfg["crop_t"] // cfg["time_stride"]
    m = {
        "clef.format": "1", "clef.kind": "model", "clef.components": "tok",
        "clef.tok.arch": "vqgan-1", "clef.tok.in_channels": cfg["in_channels"],
        "clef.tok.n_freq": cfg["n_freq"], "clef.tok.crop_f": cfg["n_freq"],
        "clef.tok.crop_t": cfg["crop_t"], "clef.tok.time_stride": cfg["time_stride"],
        "clef.tok.ch": cfg["ch"], "clef.tok.ch_mult": ",".join(str(v) for v in cfg["ch_mult"]),
        "clef.tok.n_res_blocks": cfg["n_res"], "clef.tok.gn_groups": cfg["gn_groups"],
        "clef.tok.gn_eps": repr(cfg["gn_eps"]), "clef.tok.codebook_size": cfg["codebook_size"],
        "clef.tok.code_dim": cfg["code_dim"], "clef.tok.grid_f": n_f, "clef.tok.grid_t": n_t,
        "clef.tok.n_tokens": n_f * n_t, "clef.tok.token_order": "f,t",
        "clef.tok.db_scale": repr(DB_SCALE), "clef.tok.pad": "zero",
        "clef.license": "CC0-1.0", "clef.source": "tools/ref/tokenizer_ref.py (random weights)",
    }
    m.update(spec_metadata(cfg["in_channels"]))
    return {k: str(v) for k, v in m.items()}


CANONICAL = ("Fp1,Fp2,F7,F3,Fz,F4,F8,T7,C3,Cz,C4,T8,P7,P3,Pz,P4,P8,O1,O2").split(",")


def spec_metadata(in_channels):
    """clef.spec.* of CLEF's default spectrogram (clef.h CLEF_PARAMS_SPEC defaults), over the
    first in_channels canonical channels: what lib/model's clefi_tok_spec_default writes."""
    names = [CANONICAL[i] if i < len(CANONICAL) else f"ch{i}" for i in range(in_channels)]
    return {"clef.spec.fs": "200", "clef.spec.window_s": "4", "clef.spec.step_s": "1",
            "clef.spec.bandwidth_hz": "2", "clef.spec.eig_min": "0.90000000000000002",
            "clef.spec.fmin_hz": "0", "clef.spec.fmax_hz": "32", "clef.spec.df_hz": "0.25",
            "clef.spec.db_min": "-40", "clef.spec.db_max": "40", "clef.spec.n_tapers": "7",
            "clef.spec.norm": "db", "clef.spec.channels": ",".join(names)}


def build(cfg, seed):
    torch.manual_seed(seed)
    model = Tokenizer(cfg).eval()
    with torch.no_grad():
        # Spread the GroupNorm affines so that a wrong norm implementation shows up.
        for mod in model.modules():
            if isinstance(mod, nn.GroupNorm):
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.2, 0.2)
    return model


def init_codebook(model, spec, seed):
    """Codebook = encoder latents of a related input plus noise, so that codes are used."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        z, _, _ = model.encode(spec.flip(2))
        zf = z.reshape(z.shape[0], -1).t()
        k = model.cfg["codebook_size"]
        pick = torch.randint(0, zf.shape[0], (k,), generator=g)
        noise = 0.3 * zf.std() * torch.randn(k, zf.shape[1], generator=g)
        model.quantize.embedding.weight.copy_(zf[pick] + noise)


def synth_spec(cfg, t, seed):
    """Smooth dB spectrogram-like input with 1/f slope, alpha peak and noise, clipped to ±40."""
    g = torch.Generator().manual_seed(seed)
    c, f = cfg["in_channels"], cfg["n_freq"]
    fr = torch.linspace(0.25, 32.0, f)
    base = 20.0 - 25.0 * torch.log10(fr)[None, :, None]
    alpha = 12.0 * torch.exp(-((fr - 10.0) / 2.0) ** 2)[None, :, None]
    wob = torch.sin(torch.arange(t)[None, None, :] / 7.0 + torch.rand(c, 1, 1, generator=g) * 6)
    x = base + alpha * (0.5 + 0.5 * wob) + 4.0 * torch.randn(c, f, t, generator=g)
    return x.clamp(-DB_SCALE, DB_SCALE)


def write_golden(name, cfg, t_in, seed, out):
    model = build(cfg, seed)
    spec = synth_spec(cfg, t_in, seed + 1)
    init_codebook(model, synth_spec(cfg, t_in, seed + 2), seed + 3)
    with torch.no_grad():
        z, ids, margin = model.encode(spec)
        dec = model.decode(ids)
    weights = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    save_file(weights, os.path.join(out, f"tok_{name}_weights.safetensors"), metadata(cfg))
    io = {"input": spec.contiguous(), "latents": z.contiguous(), "ids": ids.to(torch.int32),
          "margin": margin.contiguous(), "decoded": dec.contiguous()}
    save_file(io, os.path.join(out, f"tok_{name}_io.safetensors"))
    n_used = len(torch.unique(ids))
    print(f"{name}: {sum(v.numel() for v in weights.values())} params, {ids.numel()} tokens "
          f"({n_used} distinct), min margin {margin.min():.3g}")


def write_golden_mean(name, cfg, t_in, seed, n_mean, levels, out):
    """A tokenizer with session-mean tokens fitted to 12 synthetic sessions' means."""
    model = build(cfg, seed)
    fit_means = torch.stack([torch.from_numpy(power_rows(
        synth_spec(cfg, 24, seed + 10 + i).numpy() * (0.6 + 0.1 * i))).float() for i in range(12)])
    coder = MeanCoder.fit(fit_means.numpy(), n_mean, levels, cfg["codebook_size"])
    # a calibrated bias (fit leaves 0): every row's decoded power comes down by 0.2-0.4 dB
    coder.bias = (0.3 + 0.1 * np.sin(np.arange(len(coder.center)))).astype(np.float32)
    spec = synth_spec(cfg, t_in, seed + 1) * 1.1
    init_codebook(model, synth_spec(cfg, t_in, seed + 2) - synth_spec(cfg, t_in, seed + 2).mean(2,
                  keepdim=True), seed + 3)
    with torch.no_grad():
        latents, ids, margin = encode_with_mean(model, coder, spec)
        n_grid = len(ids) - n_mean
        dec = decode_with_mean(model, coder, ids, n_grid)
    weights = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    weights.update(coder.tensors(cfg["in_channels"], cfg["n_freq"]))
    md = metadata(cfg)
    md.update({"clef.tok.mean_tokens": str(n_mean), "clef.tok.mean_levels": str(levels),
               "clef.tok.mean_full": str(coder.full), "clef.tok.mean_coder": "pca-power-2",
               "clef.tok.n_tokens": str(n_grid + n_mean)})
    save_file(weights, os.path.join(out, f"tok_{name}_weights.safetensors"), md)
    io = {"input": spec.contiguous(), "latents": latents.contiguous(),
          "ids": ids.to(torch.int32), "margin": margin.contiguous(), "decoded": dec.contiguous(),
          "fit_means": fit_means.contiguous()}
    save_file(io, os.path.join(out, f"tok_{name}_io.safetensors"))
    print(f"{name}: {n_grid} grid + {n_mean} mean tokens, mean ids {ids[n_grid:].tolist()}, "
          f"min margin {margin.min():.3g}")
    # the same weights on an input with channel 1 absent (the dB floor everywhere)
    spec_a = spec.clone()
    spec_a[1] = -DB_SCALE
    with torch.no_grad():
        latents, ids, margin = encode_with_mean(model, coder, spec_a)
        dec = decode_with_mean(model, coder, ids, n_grid)
    io = {"input": spec_a.contiguous(), "latents": latents.contiguous(),
          "ids": ids.to(torch.int32), "margin": margin.contiguous(), "decoded": dec.contiguous()}
    save_file(io, os.path.join(out, f"tok_{name}_absent_io.safetensors"))
    print(f"{name}, channel 1 absent: mean ids {ids[n_grid:].tolist()}, "
          f"min margin {margin.min():.3g}")


def write_fuzz_seeds(out):
    """Micro tokenizers (under libFuzzer's 64 KB input limit) for fuzz/corpus/tok_weights."""
    os.makedirs(out, exist_ok=True)
    micro = dict(in_channels=2, n_freq=8, crop_t=10, time_stride=5, ch=4, ch_mult=(1,), n_res=1,
                 gn_groups=2, gn_eps=1e-6, codebook_size=4, code_dim=2)
    model = build(micro, 3)
    weights = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    save_file(weights, os.path.join(out, "micro"), metadata(micro))
    means = np.stack([power_rows(synth_spec(micro, 12, 40 + i).numpy()) for i in range(5)])
    coder = MeanCoder.fit(means, 3, 16, micro["codebook_size"])  # [5, C, F]
    weights.update(coder.tensors(micro["in_channels"], micro["n_freq"]))
    md = metadata(micro)
    md.update({"clef.tok.mean_tokens": "3", "clef.tok.mean_levels": "16",
               "clef.tok.mean_full": str(coder.full), "clef.tok.mean_coder": "pca-power-2",
               "clef.tok.n_tokens": str(4 * 2 + 3)})
    save_file(weights, os.path.join(out, "micro_mean"), md)


def load_model(path):
    from safetensors import safe_open
    with safe_open(path, "pt") as f:
        md = f.metadata()
    cfg = dict(in_channels=int(md["clef.tok.in_channels"]), n_freq=int(md["clef.tok.n_freq"]),
               crop_t=int(md["clef.tok.crop_t"]), time_stride=int(md["clef.tok.time_stride"]),
               ch=int(md["clef.tok.ch"]),
               ch_mult=tuple(int(v) for v in md["clef.tok.ch_mult"].split(",")),
               n_res=int(md["clef.tok.n_res_blocks"]), gn_groups=int(md["clef.tok.gn_groups"]),
               gn_eps=float(md["clef.tok.gn_eps"]),
               codebook_size=int(md["clef.tok.codebook_size"]),
               code_dim=int(md["clef.tok.code_dim"]))
    model = Tokenizer(cfg).eval()
    model.load_state_dict(load_file(path))
    return model


def save_default(path, seed):
    """Random default-size weights (docs/tokenizer.md), for the benchmark."""
    cfg = cfg_default()
    model = build(cfg, seed)
    init_codebook(model, synth_spec(cfg, 1197, seed + 2), seed + 3)
    weights = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    save_file(weights, path, metadata(cfg))


def bench(path, n_threads, reps):
    torch.set_num_threads(n_threads)
    model = load_model(path)
    spec = synth_spec(model.cfg, 1197, 7)
    with torch.no_grad():
        model.encode(spec)
        best = 1e9
        for _ in range(reps):
            t0 = time.perf_counter()
            _, ids, _ = model.encode(spec)
            best = min(best, time.perf_counter() - t0)
    cap = getattr(getattr(torch.backends, "cpu", None), "get_cpu_capability", lambda: "?")()
    print(f"torch {torch.__version__} (CPU capability {cap}) encode 20-min session: {best:.4f} s "
          f"({n_threads} threads, best of {reps})")
    print(f"encode_s={best:.6f}")
    np.asarray(ids.numpy(), dtype=np.int32).tofile(path + ".torch_ids")
    np.asarray(spec.numpy(), dtype=np.float32).tofile(path + ".input")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..", "tests",
                                                  "data", "golden", "model"))
    ap.add_argument("--save-default", metavar="PATH")
    ap.add_argument("--bench", nargs=2, metavar=("N_THREADS", "WEIGHTS"))
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--fuzz-seeds", metavar="DIR")
    a = ap.parse_args()
    torch.use_deterministic_algorithms(True)
    if a.save_default:
        save_default(a.save_default, 1234)
        return 0
    if a.bench:
        bench(a.bench[1], int(a.bench[0]), a.reps)
        return 0
    if a.fuzz_seeds:
        write_fuzz_seeds(a.fuzz_seeds)
        return 0
    os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(1)
    tiny = dict(in_channels=3, n_freq=32, crop_t=40, time_stride=5, ch=8, ch_mult=(1, 2), n_res=1,
                gn_groups=4, gn_eps=1e-6, codebook_size=16, code_dim=4)
    write_golden("tiny", tiny, 33, 11, a.out)
    # Real channel and frequency sizes and the default depth; short crop, narrow layers.
    real = dict(cfg_default(), crop_t=20, ch=8, codebook_size=64)
    write_golden("real", real, 17, 21, a.out)
    write_golden_mean("mean", tiny, 33, 31, 4, 1024, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
