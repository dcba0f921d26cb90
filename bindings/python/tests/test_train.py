"""Tokenizer training from Python: the same weights as `clef train-tokenizer` with the same
settings, and the pipeline's errors as exceptions."""

import os
import pathlib
import shutil
import subprocess

import numpy as np
import pytest

import clef

pytestmark = pytest.mark.skipif(not hasattr(clef, "train_tokenizer"),
                                reason="no tokenizer training pipeline in libclef")

TINY = dict(ch=8, ch_mult="1,1,1,1", codebook_size=32, code_dim=4, gn_groups=4, batch=2,
            crop_t=40, disc_ndf=4, disc_start=3, mean_tokens=0)
TINY_FLAGS = ["--ch", "8", "--ch-mult", "1,1,1,1", "--codebook", "32", "--code-dim", "4",
              "--gn-groups", "4", "--batch", "2", "--crop-t", "40", "--disc-ndf", "4",
              "--disc-start", "3", "--mean-tokens", "0"]


def _clef_cli():
    """The clef command installed beside the library under test, or on PATH."""
    lib = os.environ.get("CLEF_LIBRARY")
    if lib:
        exe = pathlib.Path(lib).resolve().parent.parent / "bin" / "clef"
        if exe.exists():
            return str(exe)
    return shutil.which("clef")


def _run(exe, *args):
    """Run the clef command on the library under test (an installed one has no rpath)."""
    env = dict(os.environ)
    env["OPENBLAS_CORETYPE"] = clef.blas_kernel()  # this process's GEMM rounding, whatever it is
    lib = os.environ.get("CLEF_LIBRARY")
    if lib:
        d = str(pathlib.Path(lib).resolve().parent)
        env["LD_LIBRARY_PATH"] = d + os.pathsep + env.get("LD_LIBRARY_PATH", "")
    subprocess.run([exe, *map(str, args)], check=True, capture_output=True, env=env)


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    exe = _clef_cli()
    if exe is None:
        pytest.skip("no clef command to synthesise a cohort")
    d = tmp_path_factory.mktemp("train") / "coh"
    _run(exe, "synth", "-o", d, "--patients", "4", "--seconds", "120", "--quiet")
    return exe, d


def test_same_weights_as_cli(cohort, tmp_path):
    exe, coh = cohort
    cli_out, py_out = tmp_path / "cli.safetensors", tmp_path / "py.safetensors"
    _run(exe, "train-tokenizer", coh, "-o", cli_out, "--steps", "2", "--channel-dropout", "0.5",
         *TINY_FLAGS)
    seen = []
    steps = clef.train_tokenizer(coh, py_out, steps=2, channel_dropout=0.5,
                                 progress=lambda *a: seen.append(a[0]), **TINY)
    assert steps == 2 and seen == [1, 2]
    assert py_out.read_bytes() == cli_out.read_bytes()
    assert (tmp_path / "py.safetensors.ckpt").exists()


def test_errors_and_cancel(cohort, tmp_path):
    _, coh = cohort
    with pytest.raises(clef.NotFoundError, match="split 'none'"):
        clef.train_tokenizer(coh, tmp_path / "x.safetensors", split="none", steps=1, **TINY)
    with pytest.raises(ValueError, match="unknown tokenizer or training setting"):
        clef.train_tokenizer(coh, tmp_path / "x.safetensors", no_such_setting=1)
    with pytest.raises(clef.ClefError, match="outside"):
        clef.train_tokenizer(coh, tmp_path / "x.safetensors", channel_lone=1.5, **TINY)
    with clef.Context() as ctx:
        train = clef.Params(ctx, "train")
        train["train.steps"] = 3
        arch = clef.Params(ctx, "tokenizer")
        for k, v in {"tok.crop_t": 40, "tok.ch": 8, "tok.codebook_size": 32, "tok.code_dim": 4,
                     "tok.gn_groups": 4}.items():
            arch[k] = v
        train["train.batch"] = 2
        train["train.mean_tokens"] = 0
        with clef.TokenizerTrainer(ctx, arch, train) as tr:
            with pytest.raises(clef.ClefError, match="no training sessions"):
                tr.run()
            tr.add_cohort(coh)
            n, frames = tr.sessions()
            assert n >= 1 and frames >= 40 * n
            with pytest.raises(clef.ClefError, match="stopped"):
                tr.run(progress=lambda step, *rest: step >= 1)
            assert tr.steps == 1
            with pytest.raises(RuntimeError, match="boom"):
                tr.run(progress=lambda *a: (_ for _ in ()).throw(RuntimeError("boom")))
            tr.run()
            assert tr.steps == 3
            with pytest.raises(clef.ClefError, match="non-finite"):
                tr.add_means(np.full((1, 19 * 128), np.nan, dtype=np.float32))
            tr.save(tmp_path / "t.safetensors")
        assert (tmp_path / "t.safetensors").stat().st_size > 0
