"""Tokenizer layer: a whole recording (or its samples) to token ids on a session; the cohort
generator and tokenizer weights made through the generic layer, all with sessions."""

import glob
import os

import numpy as np
import pytest

import clef

pytestmark = pytest.mark.skipif(not hasattr(clef, "Tokenizer"), reason="no tokenizer API")
ll = clef.lowlevel


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """(weights path, a 60 s 19-channel EDF+) from random weights and the cohort generator."""
    d = tmp_path_factory.mktemp("tok")
    with clef.Context() as ctx, clef.Spectrogram(ctx) as sg:
        tr = ll.clef_tokenizer_trainer_create(ctx, None, None, 1, 1)
        ll.clef_tokenizer_trainer_set_spectrogram(tr, sg)  # clef.spec.* metadata
        weights = str(d / "tok.safetensors")
        ll.clef_tokenizer_save(ll.clef_tokenizer_trainer_tokenizer(tr), ctx, weights)
        tr.close()
        with clef.Session(ctx, 2) as s, clef.Params(ctx, "cohort") as p:
            p["cohort.n_patients"] = 1
            p["cohort.max_sessions"] = 1
            p["cohort.duration_s"] = 60.0
            p["cohort.frac_missing"] = 0.0
            p["cohort.frac_bdf"] = 0.0
            ll.clef_cohort_generate(s, p, str(d / "cohort"))  # errors on the session
            assert s.errmsg == ""
    edf = sorted(glob.glob(str(d / "cohort" / "**" / "*.edf"), recursive=True))
    assert edf
    return weights, edf[0]


def test_tokenize_recording_and_signal(files):
    weights, edf = files
    with clef.Context() as ctx, clef.Tokenizer(ctx, weights) as tok, \
            tok.spectrogram(ctx) as sg, clef.Recording(ctx, edf) as rec:
        assert tok.n_tokens == 2048  # the whole-session image: 8 x 240 + 128
        assert tok.read_seconds(sg) == pytest.approx(1285.0)
        with clef.Session(ctx, 4) as s:
            ids, mask = tok.tokenize_recording(s, sg, rec)
            assert s.errmsg == ""
            assert ids.shape == (2048,) and ids.dtype == np.int32 and ids.min() >= 0
            assert mask == (1 << 19) - 1
            sig = rec.read_canonical(0.0, tok.read_seconds(sg))
            assert np.array_equal(tok.tokenize_signal(s, sg, sig.data), ids)
        with clef.Session(ctx, 1) as s1:  # outputs never depend on the thread count
            assert np.array_equal(tok.tokenize_recording(s1, sg, rec)[0], ids)
            with pytest.raises(ValueError, match="19 canonical"):
                tok.tokenize_signal(s1, sg, sig.data[:3])
            with pytest.raises(TypeError, match="clef_session handle"):
                tok.tokenize_recording(ctx, sg, rec)
            with clef.Params(ctx, "spec") as sp:  # a spectrogram the weights were not made on
                sp["spec.window_s"] = 2.0
                with clef.Spectrogram(ctx, sp) as other, pytest.raises(clef.ClefError) as ei:
                    tok.tokenize_recording(s1, other, rec)
            assert ei.value.message and ei.value.message == s1.errmsg  # on the session
        with pytest.raises(clef.ClefError):
            clef.Tokenizer(ctx, os.path.join(os.path.dirname(weights), "missing.safetensors"))
