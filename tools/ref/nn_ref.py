#!/usr/bin/env python3
"""PyTorch reference vectors for libclef's nn layers (dev-only; outputs are committed).

usage: nn_ref.py [OUTDIR]      (default tests/data/golden/nn)

Each case writes OUTDIR/nn_<case>.safetensors holding float32 inputs, parameters, the upstream
gradient `dy`, and the outputs and gradients torch computes in float64 from those same float32
values (so the reference is more precise than the C float32 code under test). Integer inputs
(targets, ids, masks) are stored as float32 too. Fixed seeds; tiny shapes (a few KB per file).
Names follow torch modules; the C test (tests/nn/test_nn_parity.c) states its tolerances.
"""
import math
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

torch.manual_seed(1234)
OUT = Path(sys.argv[1] if len(sys.argv) > 1 else "tests/data/golden/nn")


def f32(t):
    """Round to float32, then compute in float64 with grads."""
    return t.float().double().requires_grad_(True)


def save(case, **tensors):
    d = {k: v.detach().float().contiguous().reshape(v.shape if v.dim() else (1,))
         for k, v in tensors.items()}
    save_file(d, str(OUT / f"nn_{case}.safetensors"))


def backward(y, *leaves):
    """Random upstream gradient dy; returns dy and the leaves' grads."""
    dy = torch.randn_like(y).float().double()
    grads = torch.autograd.grad(y, leaves, dy)
    return dy, grads


def case_linear():
    x, w, b = f32(torch.randn(4, 6)), f32(torch.randn(5, 6) * 0.4), f32(torch.randn(5))
    y = F.linear(x, w, b)
    dy, (dx, dw, db) = backward(y, x, w, b)
    save("linear", x=x, w=w, b=b, y=y, dy=dy, dx=dx, dw=dw, db=db)


def case_embedding():
    ids = torch.tensor([3, 0, 3, 6, 1])
    w = f32(torch.randn(7, 4))
    y = F.embedding(ids, w)
    dy, (dw,) = backward(y, w)
    save("embedding", ids=ids.float(), w=w, y=y, dy=dy, dw=dw)


def case_conv2d():
    x = f32(torch.randn(2, 3, 9, 8))
    w, b = f32(torch.randn(4, 3, 3, 3) * 0.3), f32(torch.randn(4))
    y = F.conv2d(x, w, b, stride=2, padding=1)
    dy, (dx, dw, db) = backward(y, x, w, b)
    save("conv2d", x=x, w=w, b=b, y=y, dy=dy, dx=dx, dw=dw, db=db)


def case_conv2d_rect():
    x = f32(torch.randn(2, 3, 9, 8))
    w, b = f32(torch.randn(4, 3, 3, 1) * 0.3), f32(torch.randn(4))
    y = F.conv2d(x, w, b, stride=(2, 1), padding=(1, 0))
    dy, (dx, dw, db) = backward(y, x, w, b)
    save("conv2d_rect", x=x, w=w, b=b, y=y, dy=dy, dx=dx, dw=dw, db=db)


def case_conv_transpose2d():
    x = f32(torch.randn(2, 3, 4, 5))
    w, b = f32(torch.randn(3, 2, 3, 3) * 0.3), f32(torch.randn(2))
    y = F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1)
    dy, (dx, dw, db) = backward(y, x, w, b)
    save("conv_transpose2d", x=x, w=w, b=b, y=y, dy=dy, dx=dx, dw=dw, db=db)


def case_upsample():
    x = f32(torch.randn(2, 3, 4, 5))
    y = F.interpolate(x, scale_factor=2, mode="nearest")
    dy, (dx,) = backward(y, x)
    save("upsample2x", x=x, y=y, dy=dy, dx=dx)


def case_upsample_rect():
    x = f32(torch.randn(2, 3, 4, 5))
    y = F.interpolate(x, scale_factor=(2, 1), mode="nearest")
    dy, (dx,) = backward(y, x)
    save("upsample21", x=x, y=y, dy=dy, dx=dx)


def case_norms():
    x, w, b = f32(torch.randn(5, 8) * 2 + 1), f32(torch.randn(8)), f32(torch.randn(8))
    y = F.layer_norm(x, (8,), w, b, eps=1e-5)
    dy, (dx, dw, db) = backward(y, x, w, b)
    save("layernorm", x=x, w=w, b=b, y=y, dy=dy, dx=dx, dw=dw, db=db)
    x, w, b = f32(torch.randn(2, 6, 4, 5) * 2 - 1), f32(torch.randn(6)), f32(torch.randn(6))
    y = F.group_norm(x, 3, w, b, eps=1e-5)
    dy, (dx, dw, db) = backward(y, x, w, b)
    save("groupnorm", x=x, w=w, b=b, y=y, dy=dy, dx=dx, dw=dw, db=db)


def case_activations():
    x = f32(torch.randn(64) * 3)
    fns = {"relu": F.relu, "leaky_relu": lambda t: F.leaky_relu(t, 0.2),
           "gelu_erf": F.gelu, "gelu_tanh": lambda t: F.gelu(t, approximate="tanh"),
           "silu": F.silu}
    out = {"x": x}
    for name, fn in fns.items():
        y = fn(x)
        dy, (dx,) = backward(y, x)
        out.update({f"{name}.y": y, f"{name}.dy": dy, f"{name}.dx": dx})
    save("activations", **out)
    x = f32(torch.randn(4, 7) * 3)
    y = F.softmax(x, dim=1)
    dy, (dx,) = backward(y, x)
    save("softmax", x=x, y=y, dy=dy, dx=dx)


def attention_ref(qkv, nh, key_pad, mask):
    B, T, C3 = qkv.shape
    C = C3 // 3
    q, k, v = qkv.split(C, dim=2)
    heads = lambda t: t.view(B, T, nh, C // nh).transpose(1, 2)
    full = mask.view(1, 1, T, T).expand(B, nh, T, T).clone()
    full = full.masked_fill(key_pad.view(B, 1, 1, T).bool(), float("-inf"))
    o = F.scaled_dot_product_attention(heads(q), heads(k), heads(v), attn_mask=full)
    return o.transpose(1, 2).reshape(B, T, C)


def attention_masks(B, T):
    key_pad = torch.zeros(B, T)
    key_pad[B - 1, T - 3:] = 1
    i = torch.arange(T).view(T, 1)
    j = torch.arange(T).view(1, T)
    mask = torch.where(j > i + 1, float("-inf"), 0.1 * ((i + j) % 3).float())
    return key_pad, mask.double()


def case_attention():
    # T = 140 spans two query tiles and two key tiles of the C kernel (128 x 128)
    for name, (B, T, C, nh) in {"attention": (2, 9, 8, 2), "attention_tiled": (1, 140, 8, 2)}.items():
        qkv = f32(torch.randn(B, T, 3 * C))
        key_pad, mask = attention_masks(B, T)
        y = attention_ref(qkv, nh, key_pad, mask)
        dy, (dqkv,) = backward(y, qkv)
        save(name, qkv=qkv, key_pad=key_pad, mask=mask, nh=torch.tensor(float(nh)), y=y, dy=dy,
             dqkv=dqkv)


def case_losses():
    logits = f32(torch.randn(6, 5) * 2)
    tg = torch.tensor([1, -100, 4, 0, 2, -100])
    loss = F.cross_entropy(logits, tg, ignore_index=-100)
    (dl,) = torch.autograd.grad(loss, logits)
    save("cross_entropy", logits=logits, targets=tg.float(), loss=loss, dlogits=dl)

    pred, tgt = f32(torch.randn(20)), torch.randn(20).float().double()
    out = {"pred": pred, "target": tgt}
    for name, fn in {"mse": F.mse_loss, "l1": F.l1_loss}.items():
        loss = fn(pred, tgt)
        (g,) = torch.autograd.grad(loss, pred)
        out.update({f"{name}.loss": loss, f"{name}.dpred": g})
    save("regression", **out)

    x = f32(torch.randn(12) * 2)
    terms = {"ns.d_real": F.softplus(-x).mean(), "ns.d_fake": F.softplus(x).mean(),
             "ns.g": F.softplus(-x).mean(), "hinge.d_real": F.relu(1 - x).mean(),
             "hinge.d_fake": F.relu(1 + x).mean(), "hinge.g": -x.mean()}
    out = {"x": x}
    for name, loss in terms.items():
        (g,) = torch.autograd.grad(loss, x)
        out.update({f"{name}.loss": loss, f"{name}.dx": g})
    save("gan", **out)

    a, b = f32(torch.randn(6, 4)), f32(torch.randn(6, 4))
    ls = f32(torch.tensor(math.log(1 / 0.07)))
    an, bn = F.normalize(a, dim=1), F.normalize(b, dim=1)
    logits = ls.exp() * an @ bn.t()
    lab = torch.arange(6)
    loss = (F.cross_entropy(logits, lab) + F.cross_entropy(logits.t(), lab)) / 2
    da, db, dls = torch.autograd.grad(loss, (a, b, ls))
    save("infonce", a=a, b=b, log_scale=ls, loss=loss, da=da, db=db, dlog_scale=dls)


def case_vq():
    N, K, D = 50, 16, 4
    z, cb = torch.randn(N, D).float().double(), torch.randn(K, D).float().double()
    idx = torch.cdist(z, cb).argmin(dim=1)
    zq = cb[idx]
    commit = F.mse_loss(z, zq)
    decay, eps = 0.9, 1e-5
    cs0, es0 = torch.rand(K).float().double() * 3, torch.randn(K, D).float().double()
    onehot = F.one_hot(idx, K).double()
    cs = decay * cs0 + (1 - decay) * onehot.sum(0)
    es = decay * es0 + (1 - decay) * onehot.t() @ z
    n = cs.sum()
    cb_new = es / ((cs + eps) / (n + K * eps) * n).unsqueeze(1)
    p = onehot.mean(0)
    ppl = torch.exp(-(p * torch.log(p + 1e-30)).sum())
    save("vq", z=z, codebook=cb, idx=idx.double(), zq=zq, commit=commit, cluster_size0=cs0,
         embed_sum0=es0, cluster_size=cs, embed_sum=es, codebook_ema=cb_new, perplexity=ppl)


def case_adamw():
    p0 = torch.randn(37)
    p = p0.clone().requires_grad_(True)
    opt = torch.optim.AdamW([p], lr=1e-2, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1,
                            foreach=False)
    grads = torch.randn(5, 37)
    for s in range(5):
        p.grad = grads[s].clone()
        opt.step()
    st = opt.state[p]
    g = torch.randn(37) * 3
    gc = g.clone().requires_grad_(False)
    pc = torch.zeros(37, requires_grad=True)
    pc.grad = gc
    norm = torch.nn.utils.clip_grad_norm_([pc], 5.0)
    save("adamw", p0=p0, grads=grads, p=p, m=st["exp_avg"], v=st["exp_avg_sq"], clip_g=g,
         clip_out=pc.grad, clip_norm=norm)


class Block(torch.nn.Module):
    """Pre-LN Transformer block (GPT-2 / ViT layout) with torch's default GELU (erf)."""

    def __init__(self, C, nh, Fd):
        super().__init__()
        self.nh = nh
        self.ln1, self.ln2 = torch.nn.LayerNorm(C), torch.nn.LayerNorm(C)
        self.attn = torch.nn.Module()
        self.attn.qkv, self.attn.proj = torch.nn.Linear(C, 3 * C), torch.nn.Linear(C, C)
        self.mlp = torch.nn.Module()
        self.mlp.fc1, self.mlp.fc2 = torch.nn.Linear(C, Fd), torch.nn.Linear(Fd, C)

    def forward(self, x, key_pad, mask):
        h = x + self.attn.proj(attention_ref(self.attn.qkv(self.ln1(x)), self.nh, key_pad, mask))
        return h + self.mlp.fc2(F.gelu(self.mlp.fc1(self.ln2(h))))


def perturb(m):
    """Non-trivial LayerNorm parameters (torch initialises them to 1 and 0)."""
    with torch.no_grad():
        for name, p in m.named_parameters():
            if "ln" in name:
                p.add_(torch.randn_like(p) * 0.2)


def module_case(name, m, x, *extra):
    perturb(m)
    m = m.double()
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(p.float().double())
    y = m(x, *extra)
    params = dict(m.named_parameters())
    dy, grads = backward(y, x, *params.values())
    out = {"x": x, "y": y, "dy": dy, "dx": grads[0]}
    for (k, p), g in zip(params.items(), grads[1:]):
        out[f"p.{k}"] = p
        out[f"g.{k}"] = g
    return out


def case_block():
    B, T, C, nh, Fd = 2, 12, 16, 4, 32
    key_pad, mask = attention_masks(B, T)
    out = module_case("block", Block(C, nh, Fd), f32(torch.randn(B, T, C)), key_pad, mask)
    save("block", key_pad=key_pad, mask=mask, **out)


class ConvEncoder(torch.nn.Module):
    """conv3x3 -> GroupNorm -> SiLU -> conv4x4/2 -> GroupNorm -> SiLU -> upsample2x ->
    conv1x1: the VQGAN encoder/decoder motifs at toy size."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 8, 3, 1, 1)
        self.gn1 = torch.nn.GroupNorm(4, 8)
        self.conv2 = torch.nn.Conv2d(8, 8, 4, 2, 1)
        self.gn2 = torch.nn.GroupNorm(2, 8)
        self.conv3 = torch.nn.Conv2d(8, 4, 1, 1, 0)

    def forward(self, x):
        h = F.silu(self.gn1(self.conv1(x)))
        h = F.silu(self.gn2(self.conv2(h)))
        return self.conv3(F.interpolate(h, scale_factor=2, mode="nearest"))


def case_conv_encoder():
    m = ConvEncoder()
    for n, p in m.named_parameters():
        if n.startswith("gn"):
            p.data.add_(torch.randn_like(p) * 0.2)
    out = module_case("conv_encoder", m, f32(torch.randn(2, 3, 12, 10)))
    save("conv_encoder", **out)


def case_lme():
    """L1 and MSE of row log-mean-exps (the tokenizer's mean-power loss), a = 4 ln 10."""
    a = 4 * math.log(10)
    pred, tgt = f32(torch.randn(4, 9) * 0.4), torch.randn(4, 9).float().double() * 0.4

    def lme(v):
        return (torch.logsumexp(a * v, dim=1) - math.log(v.shape[1])) / a

    out = {"pred": pred, "target": tgt, "a": torch.tensor(a)}
    for name, dist in {"l1": torch.abs, "mse": torch.square}.items():
        loss = dist(lme(pred) - lme(tgt)).mean()
        (g,) = torch.autograd.grad(loss, pred)
        out.update({f"{name}.loss": loss, f"{name}.dpred": g})
    save("lme", **out)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for fn in [case_linear, case_embedding, case_conv2d, case_conv_transpose2d, case_upsample,
               case_norms, case_activations, case_attention, case_losses, case_vq, case_adamw,
               case_block, case_conv_encoder, case_conv2d_rect, case_upsample_rect, case_lme]:
        fn()
    print("wrote", len(list(OUT.glob("nn_*.safetensors"))), "files to", OUT)


if __name__ == "__main__":
    main()
