"""Embedding sessions (docs/python-quickstart.md): a small synthetic cohort, a tiny tokenizer and
session encoder trained on it (seconds; real settings in docs/tokenizer.md and docs/encoder.md),
then EDF files to embeddings, the whole pipeline in libclef. Run by the test suite
(tools/test.d/50-bindings.sh) in a scratch directory."""
import glob

import numpy as np

import clef

with clef.Context() as ctx, clef.Session(ctx, n_threads=2) as session:
    with clef.Params(ctx, "cohort") as p:                    # 16 one-minute sessions
        p["cohort.n_patients"] = 16
        p["cohort.max_sessions"] = 1
        p["cohort.duration_s"] = 60.0
        clef.lowlevel.clef_cohort_generate(session, p, "cohort")
    clef.train_tokenizer("cohort", "tok.safetensors", steps=2, ch=8, ch_mult="1,1,1,1",
                         codebook_size=32, code_dim=4, gn_groups=4, batch=2, crop_t=40,
                         disc_ndf=4, mean_tokens=8)
    clef.pretrain("cohort", "tok.safetensors", "enc.safetensors", steps=4, d_model=16,
                  n_layers=1, n_heads=2, d_ff=32, embed_dim=12, batch=2, crop_cols=24)
    edfs = sorted(glob.glob("cohort/**/*.edf", recursive=True))[:2]
    with clef.Tokenizer(ctx, "tok.safetensors") as tok, \
            clef.Encoder(ctx, "enc.safetensors", tokenizer=tok) as enc:  # checks the pair
        emb = enc.embed_files(session, tok, edfs)            # one row per file
        print("embeddings", emb.shape, emb.dtype)           # (2, 12) float32
        with tok.spectrogram(ctx) as sg, clef.Recording(ctx, edfs[0]) as rec:
            ids, present = tok.tokenize_recording(session, sg, rec)
        e = enc.embed(session, ids)                          # the same from the ids
        assert np.array_equal(e.reshape(-1), emb[0])
        print("tokens", ids.shape, "-> embedding", e.reshape(-1)[:3])
