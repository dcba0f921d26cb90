"""Session encoder from Python: token ids in, float32 embeddings out (a batch row equals the
session embedded alone), the pretraining pipeline writing the same weights as `clef pretrain`
with the same settings, and the library's errors as the matching exception classes."""

import glob

import numpy as np
import pytest

import clef
from test_train import TINY as TOK_TINY, _clef_cli, _run

pytestmark = pytest.mark.skipif(not hasattr(clef, "pretrain"), reason="no session encoder API")
ll = clef.lowlevel

# the tests/cli architecture: 16-wide, one block, 12-d embeddings, trained on 24-column windows
TINY_ARCH = {"enc.d_model": 16, "enc.n_layers": 1, "enc.n_heads": 2, "enc.d_ff": 32,
             "enc.embed_dim": 12}
TINY_TRAIN = {"pretrain.batch": 2, "pretrain.crop_cols": 24, "pretrain.val_every": 2}
TINY = dict(d_model=16, n_layers=1, n_heads=2, d_ff=32, embed_dim=12, batch=2, crop_cols=24,
            val_every=2)  # the same, as pretrain() takes them
TINY_FLAGS = ["--d-model", "16", "--layers", "1", "--heads", "2", "--d-ff", "32",
              "--embed-dim", "12", "--batch", "2", "--crop-cols", "24", "--val-every", "2"]


@pytest.fixture(scope="module")
def fixture(tmp_path_factory):
    """(cohort dir, tokenizer weights with 8 session-mean tokens, encoder weights of 2 steps):
    16 one-minute sessions from the cohort generator (train and val splits)."""
    d = tmp_path_factory.mktemp("enc")
    coh = d / "coh"
    with clef.Context() as ctx, clef.Session(ctx, 2) as s, clef.Params(ctx, "cohort") as p:
        p["cohort.n_patients"] = 16
        p["cohort.max_sessions"] = 1
        p["cohort.duration_s"] = 60.0
        p["cohort.frac_missing"] = 0.0
        p["cohort.frac_bdf"] = 0.0
        ll.clef_cohort_generate(s, p, str(coh))
    tok = d / "wm.safetensors"
    clef.train_tokenizer(coh, tok, steps=2, **{**TOK_TINY, "mean_tokens": 8})
    enc = d / "enc.safetensors"
    clef.pretrain(coh, tok, enc, steps=2, **TINY)
    return coh, tok, enc


def _edfs(coh, n):
    edf = sorted(glob.glob(str(coh / "**" / "*.edf"), recursive=True))
    assert len(edf) >= n
    return edf[:n]


@pytest.fixture(scope="module")
def ids(fixture):
    """Token ids int32 (4, 2048) of the cohort's first 4 recordings."""
    coh, tok_path, _ = fixture
    with clef.Context() as ctx, clef.Tokenizer(ctx, tok_path) as tok, \
            clef.Session(ctx, 2) as s, tok.spectrogram(ctx) as sg:
        out = []
        for path in _edfs(coh, 4):
            with clef.Recording(ctx, path) as rec:
                out.append(tok.tokenize_recording(s, sg, rec)[0])
    return np.stack(out)


def test_same_weights_as_cli(fixture, tmp_path):
    exe = _clef_cli()
    if exe is None:
        pytest.skip("no clef command to compare with")
    coh, tok, _ = fixture
    cli_out, py_out = tmp_path / "cli.safetensors", tmp_path / "py.safetensors"
    _run(exe, "pretrain", coh, "-w", tok, "-o", cli_out, "--steps", "2", "--threads", "2",
         *TINY_FLAGS)
    seen = []
    res = clef.pretrain(coh, tok, py_out, steps=2, progress=lambda *a: seen.append(a), **TINY)
    assert py_out.read_bytes() == cli_out.read_bytes()
    assert (tmp_path / "py.safetensors.ckpt").exists()
    assert [a[0] for a in seen] == [1, 2] and all(a[1] == 2 for a in seen)
    assert np.isnan(seen[0][5]) and not np.isnan(seen[1][5])  # validated at step 2 only
    assert res.steps == 2 and 0.0 <= res.val_accuracy <= 1.0 and res.val_loss > 0
    assert len(res.baseline_accuracy) == 2
    # resume from the checkpoint: the same as the command's resume; prefixed names work too
    _run(exe, "pretrain", coh, "-w", tok, "-o", tmp_path / "cli4.safetensors", "--steps", "4",
         "--resume", tmp_path / "cli.safetensors.ckpt", *TINY_FLAGS)
    res4 = clef.pretrain(coh, tok, tmp_path / "py4.safetensors",
                         resume=tmp_path / "py.safetensors.ckpt",
                         **{"pretrain.steps": 4, "enc.d_model": 16, **TINY})
    assert res4.steps == 4
    assert (tmp_path / "py4.safetensors").read_bytes() == \
        (tmp_path / "cli4.safetensors").read_bytes()


def test_embed_batch_rows_equal_single_sessions(fixture, ids):
    coh, tok_path, enc_path = fixture
    edf = _edfs(coh, 3)
    ids = ids[:3]
    with clef.Context() as ctx, clef.Tokenizer(ctx, tok_path) as tok, \
            clef.Encoder(ctx, enc_path, tok) as enc, tok.spectrogram(ctx) as sg, \
            clef.Session(ctx, 2) as s:
        assert enc.shape == (2048, 16, 12)
        assert (enc.n_tokens, enc.d_model, enc.embed_dim) == enc.shape
        assert enc.tokenizer_sha256 == tok.sha256 and len(tok.sha256) == 64
        batch = enc.embed(s, ids)
        assert batch.shape == (3, 12) and batch.dtype == np.float32
        assert np.isfinite(batch).all() and not np.array_equal(batch[0], batch[1])
        for i in range(3):
            assert np.array_equal(enc.embed(s, ids[i]), batch[i])
        emb, states = enc.embed(s, ids[0], states=True)
        assert np.array_equal(emb, batch[0]) and states.shape == (2048, 16)
        b2, st2 = enc.embed(None, ids[:2].astype(np.int64), states=True)  # a temporary session
        assert np.array_equal(b2, batch[:2]) and np.array_equal(st2[0], states)
        assert not np.array_equal(enc.embed(s, ids[0], valid_cols=10), batch[0])
        with clef.Session(ctx, 1) as s1:  # outputs never depend on the thread count
            assert np.array_equal(enc.embed(s1, ids), batch)
        # the pipeline calls: a recording, its samples, files
        with clef.Recording(ctx, edf[0]) as rec:
            e0, mask = enc.embed_recording(s, tok, sg, rec)
            assert np.array_equal(e0, batch[0]) and mask == (1 << 19) - 1
            sig = rec.read_canonical(0.0, tok.read_seconds(sg))
            assert np.array_equal(enc.embed_signal(s, tok, sg, sig.data), batch[0])
        assert np.array_equal(enc.embed_files(s, tok, edf), batch)
        assert enc.embed(s, ids[:0]).shape == (0, 12)


def test_errors_map_to_exception_classes(fixture, ids, tmp_path):
    coh, tok_path, enc_path = fixture
    ids = ids[0]
    with clef.Context() as ctx, clef.Encoder(ctx, enc_path) as enc, clef.Session(ctx, 1) as s:
        with pytest.raises(clef.ShapeError) as ei:
            enc.embed(s, ids[:100])
        assert isinstance(ei.value, ValueError) and ei.value.message == s.errmsg
        with pytest.raises(ValueError, match="1-D .* or 2-D"):
            enc.embed(s, ids.reshape(1, 1, -1))
        with pytest.raises(TypeError, match="integer array"):
            enc.embed(s, ids.astype(np.float32))
        bad = ids.copy()
        bad[5] = 1_000_000
        with pytest.raises(clef.RangeError) as ei:
            enc.embed(s, bad)
        assert isinstance(ei.value, ValueError) and s.errmsg
        with pytest.raises(clef.RangeError, match="does not fit int32"):
            enc.embed(s, np.full(enc.n_tokens, 2**40))
        with pytest.raises(clef.RangeError):
            enc.embed(s, ids, valid_cols=100_000)
        with pytest.raises(TypeError, match="clef_session handle"):
            enc.embed(ctx, ids)
        enc.embed(s, ids)
        assert s.errmsg == ""  # a call that succeeds resets the session's error
        # a tokenizer the encoder was not trained with
        other = tmp_path / "other.safetensors"
        clef.train_tokenizer(coh, other, steps=1, seed=2, **{**TOK_TINY, "mean_tokens": 8})
        with clef.Tokenizer(ctx, other) as tok2:
            with pytest.raises(clef.InvalidArgError, match="tokenizer"):
                clef.Encoder(ctx, enc_path, tok2)
        with pytest.raises(clef.ClefError):
            clef.Encoder(ctx, tmp_path / "missing.safetensors")
    with pytest.raises(ValueError, match="unknown encoder or pretraining setting"):
        clef.pretrain(coh, tok_path, tmp_path / "x.safetensors", no_such_setting=1)
    with pytest.raises(ValueError, match="not among the encoder or pretraining settings"):
        clef.pretrain(coh, tok_path, tmp_path / "x.safetensors", **{"tok.ch": 8})
    with pytest.raises(ValueError, match="one of them"):
        clef.pretrain(None, tok_path, tmp_path / "x.safetensors")
    with pytest.raises(clef.IoError, match="splits.csv"):  # not a cohort directory
        clef.pretrain(tmp_path, tok_path, tmp_path / "x.safetensors", **TINY)


def test_trainer_on_token_arrays(fixture, ids, tmp_path):
    _, tok_path, _ = fixture
    with clef.Context() as ctx, clef.Tokenizer(ctx, tok_path) as tok, clef.Session(ctx, 2) as s:
        arch, train = clef.Params(ctx, "encoder"), clef.Params(ctx, "pretrain")
        for k, v in TINY_ARCH.items():
            arch[k] = v
        for k, v in TINY_TRAIN.items():
            train[k] = v
        train["pretrain.steps"] = 3
        with clef.EncoderTrainer(ctx, tok, arch, train, n_threads=2) as tr:
            assert tr.n_tokens == 2048
            with pytest.raises(clef.StateError):
                tr.run()  # no training sessions
            tr.add_tokens(ids[:3])
            tr.add_tokens(ids[3], split="val")
            assert (tr.sessions("train"), tr.sessions("val")) == (3, 1)
            with pytest.raises(clef.ShapeError, match="2048"):
                tr.add_tokens(ids[:, :100])
            bad = ids[:1].copy()
            bad[0, 7] = 1_000_000
            with pytest.raises(clef.RangeError):
                tr.add_tokens(bad)
            with pytest.raises(clef.CancelledError):
                tr.run(progress=lambda step, *rest: step >= 1)
            assert tr.steps == 1
            with pytest.raises(RuntimeError, match="boom"):
                tr.run(progress=lambda *a: (_ for _ in ()).throw(RuntimeError("boom")))
            assert tr.steps == 2
            loss, acc = tr.step(ids[:2])
            assert loss > 0 and 0.0 <= acc <= 1.0 and tr.steps == 3
            vl, va, (uni, copy) = tr.validate()
            assert vl > 0 and all(0.0 <= x <= 1.0 for x in (va, uni, copy))
            emb = tr.encoder().embed(s, ids)
            assert emb.shape == (4, 12)
            tr.save(tmp_path / "e.safetensors")
            tr.save_checkpoint(tmp_path / "e.ckpt")
        with clef.Encoder(ctx, tmp_path / "e.safetensors", tok) as enc:
            assert np.array_equal(enc.embed(s, ids), emb)  # the EMA weights, saved
        with clef.EncoderTrainer(ctx, None, train=train, resume=tmp_path / "e.ckpt") as tr:
            assert tr.steps == 3 and tr.n_tokens == 2048


def test_pretrain_from_store(fixture, tmp_path):
    coh, tok_path, _ = fixture
    db = tmp_path / "s.db"
    with clef.Context() as ctx, clef.Store(ctx, db) as st, clef.Session(ctx, 2) as s:
        st.import_cohort(coh)
        assert ll.clef_tokenizer_job_run(s, st, str(tok_path), 3600.0, 0) == 16
        res = clef.pretrain(None, tok_path, tmp_path / "a.safetensors", store=st, steps=2,
                            ctx=ctx, **TINY)
    assert res.steps == 2 and res.val_loss is not None
    res = clef.pretrain(None, tok_path, tmp_path / "b.safetensors", store=db, steps=2, **TINY)
    assert (tmp_path / "a.safetensors").read_bytes() == (tmp_path / "b.safetensors").read_bytes()
