#!/usr/bin/env python3
"""PyTorch reference of the CLEF session encoder (lib/model/enc_*.c, docs/encoder.md).

An independent implementation from torch.nn modules: nn.Embedding tables, pre-LN blocks of
nn.LayerNorm (eps 1e-5), nn.Linear, F.scaled_dot_product_attention with a key-padding mask and
nn.GELU() (erf), a final nn.LayerNorm, the mean over non-padding tokens and a nn.Linear
projection. It reads libclef's safetensors weights by their names (enc.blocks.0.attn.qkv.weight,
...) and never libclef's code.

Token window (clef.enc.* metadata): the grid f-major (row = frequency band, column = time), then
the session-mean tokens. Input of token t: tok_emb[id] + type_emb[0 grid | 1 mean]
+ (row_emb[row] + col_emb[column] | mean_pos[index] + v0 mean_val[2 index] + v1 mean_val[2 index
+ 1]), v the companded coefficients asinh(u / 0.5) a session-mean token holds (its level mapped
linearly onto [-asinh(range / 0.5), asinh(range / 0.5)]: range 1000 and mean_levels levels for
the first mean_full tokens, range 20 and sqrt(mean_levels) levels for each of the two
coefficients of the next mean_pairs tokens, id - codebook_size = q0 * sqrt(levels) + q1; 0 for
the presence and valid-columns tokens). Grid columns >= the valid columns (the
last session-mean id - codebook_size, clamped to [1, grid_t]; or a caller's valid_cols) are
attention key padding and left out of the mean. With pool_values (clef.enc.pooling) the
projection reads the mean and then the companded coefficients: v0 of each one-coefficient
token, then v0 and v1 of each pair token.

usage:
  encoder_ref.py [--out DIR]     write the golden files of tests/model/test_encoder_parity.c
                                 (default tests/data/golden/model): enc_parity_weights.safetensors
                                 (a small seeded encoder, metadata as clef_encoder_save() writes)
                                 and enc_parity_io.safetensors (ids, valid_cols, the float64
                                 reference's states and embeddings as float32), and the same pair
                                 enc_parity_pv_* of an encoder whose pooled vector carries the
                                 coefficients (clef.enc.pooling, pool_values 1). Not run by the
                                 test suite: the goldens are committed.
  encoder_ref.py --bench WEIGHTS IDS.i32 --threads 1,2 [--reps N]
                                 time the float32 forward of one session (bench/encoder runs it
                                 with the same weights and ids as libclef, in the same run).
Requires torch, safetensors and numpy (pip install torch safetensors numpy).
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.numpy import save_file

LN_EPS = 1e-5

# Descriptive metadata as lib/model/enc_model.c's clefi_enc_meta_fill() writes it (a loader
# checks these strings exactly).
FIXED_META = {
    "clef.format": "1",
    "clef.components": "enc",
    "clef.enc.arch": "transformer-2",
    "clef.enc.token_order": "grid f-major (row = frequency band, column = time), then the "
                            "session-mean tokens",
    "clef.enc.input": "tok_emb[id] + type_emb[grid 0 | mean 1] + (row_emb[row] + col_emb[column] "
                      "| mean_pos[index] + v0 mean_val[2 index] + v1 mean_val[2 index + 1], v "
                      "the companded coefficients of the token); [MASK] id = codebook_size + "
                      "mean_levels",
    "clef.enc.padding": "grid columns >= valid columns (last session-mean id - codebook_size) "
                        "are attention key padding",
    "clef.enc.block": "pre-LN, GELU (erf), LayerNorm eps 1e-5",
}
# clef.enc.pooling by pool_values (0: the mean state alone; 1: then the coefficients)
POOLING = ["mean of ln_f states over non-padding tokens, then proj",
           "mean of ln_f states over non-padding tokens, then the companded coefficients of the "
           "session-mean tokens (v0 of each one-coefficient token, v0 v1 of each pair), then proj"]
INT_KEYS = ["d_model", "n_layers", "n_heads", "d_ff", "embed_dim", "grid_f", "grid_t",
            "mean_tokens", "codebook_size", "mean_levels", "mean_full", "mean_pairs"]


def mean_values(c, ids):
    """(B, mean_full + mean_pairs, 2) companded coefficients of the session-mean ids (B, n_tokens)."""
    g, K, L = c["grid_f"] * c["grid_t"], c["codebook_size"], c["mean_levels"]
    full, pairs = c["mean_full"], c["mean_pairs"]
    pl = int(round(np.sqrt(L)))
    q = (ids[:, g:g + full + pairs] - K).double()
    v = torch.zeros(ids.shape[0], full + pairs, 2, dtype=torch.float64)
    v[:, :full, 0] = (2 * q[:, :full] / (L - 1) - 1) * np.arcsinh(1000 / 0.5)
    qp = q[:, full:]
    v[:, full:, 0] = (2 * torch.div(qp, pl, rounding_mode="floor") / (pl - 1) - 1) * np.arcsinh(20 / 0.5)
    v[:, full:, 1] = (2 * torch.remainder(qp, pl) / (pl - 1) - 1) * np.arcsinh(20 / 0.5)
    return v


class Block(nn.Module):
    """Pre-LN Transformer block: h = x + proj(attn(ln1(x))); out = h + fc2(gelu(fc1(ln2(h))))."""

    def __init__(self, d, nh, d_ff):
        super().__init__()
        self.nh = nh
        self.ln1, self.ln2 = nn.LayerNorm(d, eps=LN_EPS), nn.LayerNorm(d, eps=LN_EPS)
        self.attn = nn.Module()
        self.attn.qkv, self.attn.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.mlp = nn.Module()
        self.mlp.fc1, self.mlp.fc2 = nn.Linear(d, d_ff), nn.Linear(d_ff, d)
        self.gelu = nn.GELU()

    def forward(self, x, keep):
        """x (B, T, d); keep (B, T) bool: True for keys that are not padding."""
        B, T, d = x.shape
        q, k, v = self.attn.qkv(self.ln1(x)).split(d, dim=2)
        heads = lambda t: t.view(B, T, self.nh, d // self.nh).transpose(1, 2)
        o = F.scaled_dot_product_attention(heads(q), heads(k), heads(v),
                                           attn_mask=keep.view(B, 1, 1, T))
        h = x + self.attn.proj(o.transpose(1, 2).reshape(B, T, d))
        return h + self.mlp.fc2(self.gelu(self.mlp.fc1(self.ln2(h))))


class Encoder(nn.Module):
    """The session encoder; submodule names are the weights' names without "enc."."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        d, n_ids = c["d_model"], c["codebook_size"] + c["mean_levels"] + 1
        self.tok_emb = nn.Embedding(n_ids, d)
        self.type_emb = nn.Embedding(2, d)
        self.row_emb = nn.Embedding(c["grid_f"], d)
        self.col_emb = nn.Embedding(c["grid_t"], d)
        if c["mean_tokens"] > 0:
            self.mean_pos = nn.Embedding(c["mean_tokens"], d)
            self.mean_val = nn.Embedding(2 * (c["mean_full"] + c["mean_pairs"]), d)
        self.blocks = nn.ModuleList(Block(d, c["n_heads"], c["d_ff"])
                                    for _ in range(c["n_layers"]))
        self.ln_f = nn.LayerNorm(d, eps=LN_EPS)
        self.head = nn.Linear(d, c["codebook_size"])
        if c["mean_full"] + c["mean_pairs"] > 0:  # pretraining's session-mean value head
            self.value_head = nn.Linear(d, 2)
        self.proj = nn.Linear(pool_dim(c), c["embed_dim"])
        gf, gt, nm = c["grid_f"], c["grid_t"], c["mean_tokens"]
        # per-token type, row, column and session-mean index of the window (buffers)
        self.register_buffer("type_ids", torch.cat([torch.zeros(gf * gt), torch.ones(nm)]).long(),
                             persistent=False)
        self.register_buffer("rows", torch.arange(gf).repeat_interleave(gt), persistent=False)
        self.register_buffer("cols", torch.arange(gt).repeat(gf), persistent=False)
        self.register_buffer("mean_idx", torch.arange(nm), persistent=False)

    def valid_cols(self, ids):
        c = self.c
        if c["mean_tokens"] == 0:
            return torch.full((ids.shape[0],), c["grid_t"])
        return (ids[:, -1] - c["codebook_size"]).clamp(1, c["grid_t"])

    def forward(self, ids, valid=None):
        """ids (B, n_tokens) long; valid (B,) grid columns kept (None: from the ids).
        Returns (states (B, T, d) after ln_f, embeddings (B, embed_dim))."""
        c = self.c
        g = c["grid_f"] * c["grid_t"]
        valid = self.valid_cols(ids) if valid is None else valid
        pos = self.row_emb(self.rows) + self.col_emb(self.cols)
        if c["mean_tokens"] > 0:
            pos = torch.cat([pos, self.mean_pos(self.mean_idx)])
        x = self.tok_emb(ids) + self.type_emb(self.type_ids) + pos
        if c["mean_full"] + c["mean_pairs"] > 0:  # the coefficients as numbers (FT-Transformer's linear embedding)
            nv = c["mean_full"] + c["mean_pairs"]
            w = self.mean_val.weight.view(nv, 2, -1)
            num = torch.einsum("bjk,jkd->bjd", mean_values(c, ids).to(w.dtype), w)
            x = torch.cat([x[:, :g + nv] + F.pad(num, (0, 0, g, 0)), x[:, g + nv:]], dim=1)
        keep = torch.ones(ids.shape, dtype=torch.bool)
        keep[:, :g] = self.cols.view(1, g) < valid.view(-1, 1)
        for blk in self.blocks:
            x = blk(x, keep)
        y = self.ln_f(x)
        w = keep.to(y.dtype).unsqueeze(2)
        pooled = (y * w).sum(1) / w.sum(1)
        if c["pool_values"]:  # every coefficient beside the mean: v0 of full tokens, v0 v1 of pairs
            v = mean_values(c, ids).to(y.dtype)
            pooled = torch.cat([pooled, v[:, :c["mean_full"], 0], v[:, c["mean_full"]:].flatten(1)], 1)
        return y, self.proj(pooled)


def read_weights(path):
    """(config from the clef.enc.* metadata, {name: float32 numpy array})."""
    with safe_open(path, framework="np") as f:
        meta = f.metadata()
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    c = {k: int(meta["clef.enc." + k]) for k in INT_KEYS}
    c["pool_values"] = POOLING.index(meta["clef.enc.pooling"])
    return c, tensors


def build(c, tensors, dtype):
    m = Encoder(c)
    sd = {k[len("enc."):]: torch.from_numpy(v.astype(np.float32)) for k, v in tensors.items()}
    m.load_state_dict(sd, strict=True)
    return m.to(dtype).eval()


# ---- golden files ----

def pool_dim(c):
    """Width of the pooled vector the projection reads."""
    return c["d_model"] + (c["mean_full"] + 2 * c["mean_pairs"] if c["pool_values"] else 0)


def golden_cfg(pool_values):
    return dict(d_model=32, n_layers=2, n_heads=4, d_ff=64, embed_dim=24, grid_f=4, grid_t=12,
                mean_tokens=6, codebook_size=16, mean_levels=16, mean_full=2,
                mean_pairs=2, pool_values=pool_values)


def golden_weights(c, rng):
    """Weights in libclef's layout order; LayerNorm and biases non-trivial so every term counts."""
    d, F_ = c["d_model"], c["d_ff"]
    shapes = [("enc.tok_emb.weight", (c["codebook_size"] + c["mean_levels"] + 1, d)),
              ("enc.type_emb.weight", (2, d)), ("enc.row_emb.weight", (c["grid_f"], d)),
              ("enc.col_emb.weight", (c["grid_t"], d)),
              ("enc.mean_pos.weight", (c["mean_tokens"], d)),
              ("enc.mean_val.weight", (2 * (c["mean_full"] + c["mean_pairs"]), d))]
    for l in range(c["n_layers"]):
        p = f"enc.blocks.{l}."
        shapes += [(p + "ln1.weight", (d,)), (p + "ln1.bias", (d,)),
                   (p + "attn.qkv.weight", (3 * d, d)), (p + "attn.qkv.bias", (3 * d,)),
                   (p + "attn.proj.weight", (d, d)), (p + "attn.proj.bias", (d,)),
                   (p + "ln2.weight", (d,)), (p + "ln2.bias", (d,)),
                   (p + "mlp.fc1.weight", (F_, d)), (p + "mlp.fc1.bias", (F_,)),
                   (p + "mlp.fc2.weight", (d, F_)), (p + "mlp.fc2.bias", (d,))]
    shapes += [("enc.ln_f.weight", (d,)), ("enc.ln_f.bias", (d,)),
               ("enc.head.weight", (c["codebook_size"], d)), ("enc.head.bias", (c["codebook_size"],))]
    if c["mean_full"] + c["mean_pairs"] > 0:
        shapes += [("enc.value_head.weight", (2, d)), ("enc.value_head.bias", (2,))]
    shapes += [("enc.proj.weight", (c["embed_dim"], pool_dim(c))),
               ("enc.proj.bias", (c["embed_dim"],))]
    w = {}
    for name, shape in shapes:
        if len(shape) == 1:
            base = 1.0 if ("ln" in name and name.endswith(".weight")) else 0.0
            w[name] = (base + 0.2 * rng.standard_normal(shape)).astype(np.float32)
        else:
            fan_in = shape[1]
            scale = 0.5 if "emb" in name or "mean_pos" in name else 1.0 / np.sqrt(fan_in)
            scale = 0.1 if "mean_val" in name else scale  # values up to 8.3
            w[name] = (scale * rng.standard_normal(shape)).astype(np.float32)
    return w


def metadata(c, tok_sha):
    m = dict(FIXED_META)
    m["clef.enc.pooling"] = POOLING[c["pool_values"]]
    m["clef.kind"] = "model"
    m["clef.source"] = "tools/ref/encoder_ref.py"
    for k in INT_KEYS:
        m["clef.enc." + k] = str(c[k])
    m["clef.enc.n_tokens"] = str(c["grid_f"] * c["grid_t"] + c["mean_tokens"])
    m["clef.enc.tokenizer_sha256"] = tok_sha
    return m


def golden_ids(c, rng, valid_list):
    """One session per valid-columns count: random grid ids, random session-mean levels, the
    last session-mean token holding codebook_size + valid."""
    g, K = c["grid_f"] * c["grid_t"], c["codebook_size"]
    out = []
    for v in valid_list:
        grid = rng.integers(0, K, g)
        mean = rng.integers(K, K + c["mean_levels"], c["mean_tokens"])
        mean[-1] = K + v
        out.append(np.concatenate([grid, mean]))
    return np.stack(out).astype(np.int32)


def write_golden(out, pool_values):
    """enc_parity_{weights,io}.safetensors (pool_values 0, the first golden, whose draws are
    unchanged) or enc_parity_pv_*.safetensors (pool_values 1, its own seed)."""
    rng = np.random.default_rng(20261207 if pool_values else 20261204)
    tag = "enc_parity_pv_" if pool_values else "enc_parity_"
    c = golden_cfg(pool_values)
    w = golden_weights(c, rng)
    tok_sha = "".join("0123456789abcdef"[i] for i in rng.integers(0, 16, 64))
    ids = golden_ids(c, rng, [12, 7, 3])
    # cases: each session with its own valid columns (valid_cols 0), then session 0 with a
    # caller's valid_cols 5 (the stream's "columns so far")
    case_ids = np.concatenate([ids, ids[:1]])
    case_valid = np.array([0, 0, 0, 5], dtype=np.int32)
    m = build(c, w, torch.float64)
    with torch.no_grad():
        t_ids = torch.from_numpy(case_ids).long()
        valid = m.valid_cols(t_ids)
        valid = torch.where(torch.from_numpy(case_valid) > 0, torch.from_numpy(case_valid).long(),
                            valid)
        states, emb = m(t_ids, valid)
    os.makedirs(out, exist_ok=True)
    wpath = os.path.join(out, tag + "weights.safetensors")
    save_file(w, wpath, metadata(c, tok_sha))
    io = {"ids": case_ids, "valid_cols": case_valid,
          "states": states.float().numpy(), "emb": emb.float().numpy()}
    save_file(io, os.path.join(out, tag + "io.safetensors"))
    # the float32 torch forward beside the float64 reference: the noise floor of float32
    m32 = build(c, w, torch.float32)
    with torch.no_grad():
        s32, e32 = m32(t_ids, valid)
    rel = lambda a, b: float((a.double() - b).abs().max() / b.abs().max())
    print(f"wrote {wpath} and {tag}io.safetensors: {len(case_ids)} cases, valid "
          f"{valid.tolist()}; torch float32 vs float64: states {rel(s32, states):.2e}, "
          f"emb {rel(e32, emb):.2e} (max abs err / max abs)")


# ---- bench ----

def bench(weights, ids_path, threads, reps):
    c, w = read_weights(weights)
    m = build(c, w, torch.float32)
    ids = torch.from_numpy(np.fromfile(ids_path, dtype=np.int32).astype(np.int64)).view(1, -1)
    cap = torch.backends.cpu.get_cpu_capability() if hasattr(torch.backends, "cpu") else "?"
    print(f"torch-info: torch {torch.__version__}, CPU capability {cap}, MKL "
          f"{torch.backends.mkl.is_available()}, oneDNN {torch.backends.mkldnn.is_available()}",
          flush=True)
    for t in threads:
        torch.set_num_threads(t)
        with torch.inference_mode():
            m(ids)  # warm-up
            best, best_cpu = float("inf"), float("inf")
            for _ in range(reps):
                t0, c0 = time.perf_counter(), time.process_time()
                _, emb = m(ids)
                best = min(best, time.perf_counter() - t0)
                best_cpu = min(best_cpu, time.process_time() - c0)
        # one line per thread count: torch THREADS SECONDS CPU_SECONDS EMB0 (emb[0]: the same
        # weights and ids as libclef's)
        print(f"torch {t} {best:.6f} {best_cpu:.6f} {float(emb[0, 0]):.6g}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="tests/data/golden/model")
    ap.add_argument("--bench", nargs=2, metavar=("WEIGHTS", "IDS"))
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    if a.bench:
        bench(a.bench[0], a.bench[1], [int(t) for t in a.threads.split(",")], a.reps)
    else:
        write_golden(a.out, 0)
        write_golden(a.out, 1)


if __name__ == "__main__":
    sys.exit(main())
