#!/usr/bin/env python3
"""PyTorch CPU peer of bench_nn.c: the same workloads, forward + backward, float32.

usage: nn_peer.py --threads 1,2 --batches 1,4 [--only sgemm|npsgemm|linear|attn|block|blockf|conv]
       nn_peer.py --describe
Prints one line per run: "<workload> <batch> <threads> <best seconds>" (best of 3 after a
warm-up; attention and the block's forward 5, the block 4, as many as bench_nn takes), as
bench_nn parses it. npsgemm is numpy's float32 matmul (the best sgemm a Python user has at
hand, its own OpenBLAS); blockf the block's forward alone, under torch.inference_mode().
"""
import argparse
import time

import torch
import torch.nn.functional as F


class Block(torch.nn.Module):
    def __init__(self, C=512, nh=8, Fd=2048):
        super().__init__()
        self.nh = nh
        self.ln1, self.ln2 = torch.nn.LayerNorm(C), torch.nn.LayerNorm(C)
        self.qkv, self.proj = torch.nn.Linear(C, 3 * C), torch.nn.Linear(C, C)
        self.fc1, self.fc2 = torch.nn.Linear(C, Fd), torch.nn.Linear(Fd, C)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
        heads = lambda t: t.view(B, T, self.nh, C // self.nh).transpose(1, 2)
        o = F.scaled_dot_product_attention(heads(q), heads(k), heads(v))
        h = x + self.proj(o.transpose(1, 2).reshape(B, T, C))
        return h + self.fc2(F.gelu(self.fc1(self.ln2(h))))


class ConvStack(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.convs = torch.nn.ModuleList([torch.nn.Conv2d(19, 64, 3, 1, 1),
                                          torch.nn.Conv2d(64, 64, 3, 1, 1),
                                          torch.nn.Conv2d(64, 128, 4, 2, 1),
                                          torch.nn.Conv2d(128, 128, 3, 1, 1)])
        self.norms = torch.nn.ModuleList([torch.nn.GroupNorm(32, c, eps=1e-6)
                                          for c in (64, 64, 128)])

    def forward(self, x):
        for i, c in enumerate(self.convs):
            x = c(x)
            if i < 3:
                x = F.silu(self.norms[i](x))
        return x


def best(fn, reps):
    fn()
    t = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    return min(t)


def fwd_bwd(m, x):
    def run():
        m.zero_grad(set_to_none=False)
        y = m(x)
        y.backward(torch.ones_like(y))
    return run


def attn_fwd_bwd(qkv):
    def run():
        o = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2])
        o.backward(torch.ones_like(o))
    return run


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--batches", default="1,4")
    ap.add_argument("--only", default=None)
    ap.add_argument("--describe", action="store_true", help="print the peer's BLAS and exit")
    a = ap.parse_args()
    if a.describe:  # which kernels the peer runs, for the machine line
        cfg = torch.__config__.show()
        blas = next((w.split("=", 1)[1].rstrip(",") for w in cfg.split()
                     if w.startswith("BLAS_INFO=")), "unknown")
        cap = getattr(getattr(torch.backends, "cpu", None), "get_cpu_capability", lambda: "?")()
        print(f"torch {torch.__version__}, BLAS {blas}, CPU capability {cap}")
        return
    want = lambda name: a.only is None or a.only == name
    torch.manual_seed(0)
    for t in map(int, a.threads.split(",")):
        torch.set_num_threads(t)
        if want("sgemm"):
            x, y = torch.randn(2048, 2048), torch.randn(2048, 2048)
            print("sgemm", 0, t, best(lambda: torch.mm(x, y), 3), flush=True)
        if want("npsgemm"):
            import numpy as np
            from threadpoolctl import threadpool_limits
            x, y = (np.random.default_rng(s).standard_normal((2048, 2048), np.float32) for s in (1, 2))
            with threadpool_limits(limits=t, user_api="blas"):
                print("npsgemm", 0, t, best(lambda: x @ y, 3), flush=True)
        for b in map(int, a.batches.split(",")):
            if want("linear"):
                x = torch.randn(2048 * b, 512, requires_grad=True)
                print("linear", b, t, best(fwd_bwd(torch.nn.Linear(512, 2048), x), 3), flush=True)
            if want("attn"):
                qkv = torch.randn(3, b, 8, 2048, 64, requires_grad=True)
                print("attn", b, t, best(attn_fwd_bwd(qkv), 5), flush=True)
            if want("block"):
                x = torch.randn(b, 2048, 512, requires_grad=True)
                print("block", b, t, best(fwd_bwd(Block(), x), 4), flush=True)
            if want("blockf"):
                x, m = torch.randn(b, 2048, 512), Block()
                with torch.inference_mode():
                    print("blockf", b, t, best(lambda: m(x), 5), flush=True)
            if want("conv"):
                x = torch.randn(b, 19, 128, 128, requires_grad=True)
                print("conv", b, t, best(fwd_bwd(ConvStack(), x), 3), flush=True)


if __name__ == "__main__":
    main()
