"""The clinical aligner from Python: a tiny aligner trained through the binding on a store (a
generated cohort whose sessions get known embeddings), the same weights as `clef align`, the
zero-shot score equal to the cosine of the aligned session and prompt computed in numpy, unit
rows, save/load, resume, and wrong shapes or dtypes refused with the binding's errors. Needs the
text encoder (build/minilm from tools/install_deps.sh, or $CLEF_MINILM_DIR): skipped without."""

import os
import pathlib

import numpy as np
import pytest

import clef
from test_train import _clef_cli, _run

pytestmark = pytest.mark.skipif(not hasattr(clef, "align"), reason="no clinical aligner API")

# the tests/cli/cli_align_e2e.sh architecture: 16-d space, 8-wide towers, batches of 4
TINY = dict(dim=16, width=8, n_layers=1, n_heads=2, eeg_hidden=16, batch=4)
TINY_FLAGS = ["--dim", "16", "--width", "8", "--layers", "1", "--heads", "2", "--eeg-hidden",
              "16", "--batch", "4"]
EEG_DIM = 12
PROMPT = "diffuse beta activity"


def _minilm():
    for d in (os.environ.get("CLEF_MINILM_DIR"),
              pathlib.Path(__file__).resolve().parents[3] / "build" / "minilm"):
        if d and (pathlib.Path(d) / "model.safetensors").exists():
            return str(d)
    pytest.skip("no text encoder (build/minilm: bash tools/install_deps.sh, or $CLEF_MINILM_DIR)")


@pytest.fixture(scope="module")
def minilm():
    return _minilm()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """(store path, stand-in encoder file, {session: embedding}): 12 generated patients with
    reports and EHR records; each session's embedding (float32, 12-d, seeded) stored under the
    SHA-256 of a stand-in encoder file, as `clef embed --store` would store an encoder's."""
    d = tmp_path_factory.mktemp("align")
    enc = d / "enc.safetensors"
    enc.write_bytes(b"stand-in encoder weights: only their SHA-256 keys the embeddings")
    h = clef.model_hash(enc)
    rng = np.random.default_rng(7)
    embs = {}
    with clef.Context() as ctx, clef.Session(ctx, 2) as s, clef.Params(ctx, "cohort") as p:
        p["cohort.n_patients"] = 12
        p["cohort.max_sessions"] = 1
        p["cohort.duration_s"] = 30.0
        clef.lowlevel.clef_cohort_generate(s, p, str(d / "coh"))
        with clef.Store(ctx, d / "s.db") as st:
            st.import_cohort(d / "coh")
            for split in ("train", "val", "test"):
                for sid in st.sessions(split):
                    embs[sid] = rng.standard_normal(EEG_DIM).astype(np.float32)
                    st.artifact_put(sid, "embedding", h, embs[sid])
    return d / "s.db", enc, embs


@pytest.fixture(scope="module")
def aligned(store, minilm, tmp_path_factory):
    """An aligner of 3 steps trained by clef.align(), with what its progress callback saw."""
    db, enc, _ = store
    out = tmp_path_factory.mktemp("al") / "al.safetensors"
    seen = []
    res = clef.align(db, enc, out, minilm, steps=3, progress=lambda *a: seen.append(a), **TINY)
    return out, res, seen


def test_align_trains_and_reports(store, aligned):
    _, _, embs = store
    out, res, seen = aligned
    with clef.Context() as ctx, clef.Store(ctx, store[0]) as st:
        n_train, n_val = len(st.sessions("train")), len(st.sessions("val"))
    assert (res.steps, res.n_train, res.n_val) == (3, n_train, n_val) and n_val >= 2
    assert res.val_loss > 0 and 0.0 <= res.r_at_1 <= res.r_at_10 <= 1.0
    assert [a[:2] for a in seen] == [(1, 3), (2, 3), (3, 3)]
    assert all(a[2] > 0 and 0.0 <= a[4] <= 1.0 for a in seen)  # report loss, accuracy
    assert out.exists() and pathlib.Path(str(out) + ".ckpt").exists()
    # every session's aligned embedding into the store, under the aligner file's hash
    h_enc, h_al = clef.model_hash(store[1]), clef.model_hash(out)
    with clef.Context() as ctx, clef.Store(ctx, store[0]) as st, clef.Aligner(ctx, out) as al:
        assert al.encoder_sha256 == h_enc  # recorded by add_store
        assert al.embed_store(st, h_enc, h_al) == len(embs)
        for sid, e in embs.items():
            assert np.array_equal(st.artifact_get(sid, "embedding", h_al, np.float32),
                                  al.embed_eeg(e))


def test_same_weights_as_cli(store, aligned, minilm, tmp_path):
    exe = _clef_cli()
    if exe is None:
        pytest.skip("no clef command to compare with")
    db, enc, _ = store
    cli_out = tmp_path / "cli.safetensors"
    _run(exe, "align", "--store", db, "-w", enc, "-o", cli_out, "--text", minilm, "--steps", "3",
         "--quiet", *TINY_FLAGS)
    assert aligned[0].read_bytes() == cli_out.read_bytes()


def test_score_text_is_the_cosine(store, aligned, minilm, tmp_path):
    _, _, embs = store
    x = np.stack(list(embs.values()))
    with clef.Context() as ctx, clef.Aligner(ctx, aligned[0]) as al, \
            clef.TextEncoder(ctx, minilm) as te, clef.Session(ctx, 2) as s:
        assert al.dims == (EEG_DIM, 16) and (al.eeg_dim, al.dim) == al.dims
        z = al.embed_eeg(x, s)
        assert z.shape == (len(x), 16) and z.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(z, axis=1), 1.0, atol=1e-5)
        # one row alone (temporary session): the same up to float rounding (GEMM blocking)
        np.testing.assert_allclose(al.embed_eeg(x[3]), z[3], atol=1e-6)
        q = al.embed_text(te, PROMPT, session=s)
        assert q.shape == (16,) and abs(np.linalg.norm(q) - 1.0) < 1e-5
        scores = al.score_text(te, x, PROMPT, s)
        assert scores.shape == (len(x),) and scores.dtype == np.float32
        np.testing.assert_allclose(scores, z @ q, atol=1e-5)
        assert np.ptp(scores) > 1e-3  # not a constant
        assert al.score_text(te, x[0], PROMPT) == pytest.approx(float(scores[0]), abs=1e-6)
        other = al.score_text(te, x, "normal awake background")
        assert not np.allclose(other, scores)
        # a whole report, summarized first, is not the same text as its raw words
        report = ("FINDINGS: The background shows diffuse beta activity over both "
                  "hemispheres. IMPRESSION: Abnormal EEG.")
        r_sum, r_raw = al.embed_text(te, report, summarize=True), al.embed_text(te, report)
        assert r_sum.shape == (16,) and not np.allclose(r_sum, r_raw)
        e = al.embed_ehr("age 42\nsex F\nICD10CM/G40.909\nATC/N03AX14")
        assert e.shape == (16,) and abs(np.linalg.norm(e) - 1.0) < 1e-5
        assert al.embed_eeg(x[:0]).shape == (0, 16) and al.score_text(te, x[:0], PROMPT).size == 0
        # the text encoder alone: unit norm, a batch row equals the text alone
        v = te.embed([PROMPT, "spikes"], s)
        assert v.shape == (2, te.dim) == (2, 384)
        assert np.array_equal(te.embed(PROMPT), v[0])
        np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
        ids = te.tokenize("Diffuse beta activity.")
        assert ids.dtype == np.int32 and ids[0] == 101 and ids[-1] == 102 and len(ids) == 6
        assert len(te.tokenize("word " * 400)) == te.max_tokens == 256
        # save and load: the same numbers
        al.save(tmp_path / "copy.safetensors")
        with clef.Aligner.load(ctx, tmp_path / "copy.safetensors") as al2:
            assert np.array_equal(al2.embed_eeg(x), z)
            assert np.array_equal(al2.score_text(te, x, PROMPT), scores)


def test_text_encoder_bf16(minilm):
    texts = ["diffuse beta activity", "Frequent left temporal sharp waves. " * 20]
    with clef.Context() as ctx, clef.TextEncoder(ctx, minilm) as te:
        assert te.precision == "f32"
        ref = te.embed(texts)
        with pytest.raises(ValueError, match="precision"):
            clef.TextEncoder(ctx, minilm, precision="int8")
        try:
            fast = clef.TextEncoder(ctx, minilm, precision="bf16")
        except clef.UnsupportedError as e:  # a CPU without AVX-512 BF16
            assert "AVX-512 BF16" in str(e)
            return
        with fast:
            assert fast.precision == "bf16"
            got = fast.embed(texts)
            assert not np.array_equal(got, ref)
            assert np.min(np.sum(got * ref, axis=1)) >= 0.9999  # unit rows: the cosine


def test_errors_name_the_shape(store, aligned, minilm, tmp_path):
    _, _, embs = store
    x = np.stack(list(embs.values()))
    with clef.Context() as ctx, clef.Aligner(ctx, aligned[0]) as al, \
            clef.TextEncoder(ctx, minilm) as te, clef.Session(ctx, 1) as s:
        with pytest.raises(clef.ShapeError, match=r"shape \(12, 10\).*\(n, 12\)") as ei:
            al.embed_eeg(x[:, :10], s)
        assert isinstance(ei.value, ValueError)
        with pytest.raises(clef.ShapeError, match=r"shape \(2, 3, 12\)"):
            al.score_text(te, x[:6].reshape(2, 3, 12), PROMPT, s)
        with pytest.raises(clef.ShapeError, match=r"shape \(13,\)"):
            al.score_text(te, np.zeros(13, np.float32), PROMPT)
        with pytest.raises(TypeError, match="float32, not float64"):
            al.embed_eeg(x.astype(np.float64))
        with pytest.raises(TypeError, match="numpy array"):
            al.embed_eeg(x.tolist())
        with pytest.raises(TypeError, match="clef_text_encoder handle"):
            al.score_text(al, x, PROMPT)
        with pytest.raises(TypeError, match="must be a str"):
            al.embed_text(te, b"bytes")
        with pytest.raises(ValueError, match="NUL"):
            te.embed("a\0b")
        with pytest.raises(clef.NotFoundError):
            al.embed_ehr("no facts here", s)
        assert s.errmsg  # the library's reason is on the session
        assert np.isfinite(al.embed_eeg(x[:, ::-1].copy()[:, ::-1], s)).all()  # strided: fine
        # the low-level call checks emb's length against n * eeg_dim (not n)
        with pytest.raises(ValueError, match="n\\*eeg_dim"):
            clef.lowlevel.clef_aligner_embed_eeg(al, s, x[0, :3].copy(), 3, EEG_DIM, 48)
        with pytest.raises(clef.ClefError):
            clef.Aligner(ctx, tmp_path / "missing.safetensors")
        with pytest.raises(clef.NotFoundError):
            clef.TextEncoder(ctx, tmp_path)  # a directory without the model
        with pytest.raises(ValueError, match="vocab="):
            clef.TextEncoder(ctx, pathlib.Path(minilm) / "model.safetensors")
    db, enc, _ = store
    with pytest.raises(ValueError, match="unknown aligner setting"):
        clef.align(db, enc, tmp_path / "x.safetensors", minilm, no_such_setting=1)
    with pytest.raises(ValueError, match="not among the aligner settings"):
        clef.align(db, enc, tmp_path / "x.safetensors", minilm, **{"cohort.seed": 1})
    other = tmp_path / "other.safetensors"
    other.write_bytes(b"an encoder whose embeddings the store does not hold")
    with pytest.raises(clef.NotFoundError, match="P0000"):  # names the session
        clef.align(db, other, tmp_path / "x.safetensors", minilm, steps=1, **TINY)


def test_trainer_sessions_and_cancel(store, minilm):
    db, enc, embs = store
    h = clef.model_hash(enc)
    settings = dict(steps=4, checkpoint_every=2, **TINY)
    with clef.Context() as ctx, clef.TextEncoder(ctx, minilm) as te, clef.Store(ctx, db) as st:
        # the same sessions through add_session (reports and records read by hand) and through
        # add_store give the same aligner
        with clef.AlignerTrainer(ctx, settings) as by_store, \
                clef.AlignerTrainer(ctx, settings) as by_hand:
            assert by_store.aligner() is None and by_store.steps == 0
            with pytest.raises(clef.StateError):
                by_store.run()  # no training sessions
            by_store.add_store(te, st, h, "train")
            for sid in st.sessions("train"):
                by_hand.add_session(te, embs[sid], st.report_text(sid), st.session_ehr(sid))
            assert by_store.sessions("train") == by_hand.sessions() == len(st.sessions("train"))
            assert by_store.sessions("val") == 0
            with pytest.raises(TypeError, match="1-D float32"):
                by_hand.add_session(te, embs[sid].astype(np.float64))
            with pytest.raises(clef.CancelledError):
                by_store.run(progress=lambda step, *rest: step >= 2)
            assert by_store.steps == 2
            with pytest.raises(RuntimeError, match="boom"):
                by_hand.run(progress=lambda *a: (_ for _ in ()).throw(RuntimeError("boom")))
            assert by_hand.steps == 1
            # both go on to step 4: a stopped run continues as if never stopped
            by_store.run()
            by_hand.run()
            assert by_store.steps == by_hand.steps == 4
            x = np.stack(list(embs.values()))
            assert np.array_equal(by_store.aligner().embed_eeg(x), by_hand.aligner().embed_eeg(x))
            with pytest.raises(clef.StateError):
                by_store.validate()  # no held-out sessions


def test_trainer_resume_equals_uninterrupted(store, minilm, tmp_path):
    db, enc, embs = store
    h = clef.model_hash(enc)
    settings = dict(steps=4, checkpoint_every=2, **TINY)
    x = np.stack(list(embs.values()))
    with clef.Context() as ctx, clef.TextEncoder(ctx, minilm) as te, clef.Store(ctx, db) as st:
        with clef.AlignerTrainer(ctx, settings) as tr:
            tr.add_store(te, st, h, "train")
            tr.add_store(te, st, h, "val")
            tr.run(tmp_path / "ckpt")
            assert tr.steps == 4
            loss, r1, r10 = tr.validate()
            assert loss > 0 and 0.0 <= r1 <= r10 <= 1.0
            full = tr.aligner().embed_eeg(x)
            tr.save(tmp_path / "full.safetensors")
        with clef.AlignerTrainer(ctx, settings) as tr:  # stopped after step 2 of 4
            tr.add_store(te, st, h, "train")
            with pytest.raises(clef.CancelledError):
                tr.run(progress=lambda step, *rest: step >= 2)
            tr.save_checkpoint(tmp_path / "half.ckpt")
        with clef.AlignerTrainer(ctx, settings, resume=tmp_path / "half.ckpt") as tr:
            assert tr.steps == 2
            tr.add_store(te, st, h, "train")
            tr.run()
            assert tr.steps == 4
            assert np.array_equal(tr.aligner().embed_eeg(x), full)
        with clef.Aligner(ctx, tmp_path / "full.safetensors") as al:
            assert np.array_equal(al.embed_eeg(x), full)


def test_trainer_finetune_surface():
    """The fine-tuning calls exist; without an encoder there is nothing to write (the CLI test
    cli_align_e2e trains one end to end)."""
    with clef.Context() as ctx, clef.AlignerTrainer(ctx, dict(steps=1, **TINY)) as tr:
        with pytest.raises(clef.StateError):
            tr.save_encoder("/tmp/clef_no_encoder.safetensors")
        with pytest.raises((TypeError, clef.ClefError)):
            tr.finetune(None)
