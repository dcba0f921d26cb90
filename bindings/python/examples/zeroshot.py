"""Aligning and zero-shot (docs/python-quickstart.md), continuing embed_sessions.py in its
directory (its cohort, tok.safetensors and enc.safetensors): the cohort in a store, every
session embedded into it, an aligner trained on the embeddings, reports and EHR records
(seconds; real settings in docs/aligner.md), then a prompt scored against the sessions. Needs
the text encoder in $CLEF_TEXT_MODEL (all-MiniLM-L6-v2: tools/install_deps.sh fetches it into
build/minilm). Run by the test suite (tools/test.d/50-bindings.sh) after embed_sessions.py."""
import numpy as np

import clef

with clef.Context() as ctx, clef.Session(ctx, n_threads=2) as session:
    with clef.Store(ctx, "cohort.db") as store:
        store.import_cohort("cohort")                        # reports and EHR records too
        # every session's embedding into the store (what `clef embed --store` runs)
        clef.lowlevel.clef_encoder_job_run(session, store, "tok.safetensors",
                                           "enc.safetensors", 0.0, 0)
        res = clef.align(store, "enc.safetensors", "al.safetensors", steps=20, dim=16,
                         width=8, n_layers=1, n_heads=2, eeg_hidden=16, batch=4)
        print("aligned:", res.steps, "steps on", res.n_train, "sessions; held-out R@1",
              res.r_at_1)
        ids = store.sessions("test")
        enc_hash = clef.model_hash("enc.safetensors")      # the key of its embeddings
        emb = np.stack([store.artifact_get(s, "embedding", enc_hash, np.float32) for s in ids])
    with clef.TextEncoder(ctx) as te, clef.Aligner(ctx, "al.safetensors") as al:
        prompt = "diffuse beta activity"
        scores = al.score_text(te, emb, prompt, session)    # (n,) cosines, zero-shot
        z = al.embed_eeg(emb, session)                       # (n, 16) unit rows
        q = al.embed_text(te, prompt, session=session)       # (16,) unit vector
        assert np.allclose(scores, z @ q, atol=1e-5)
        for sid, score in zip(ids, scores):
            print(f"{sid}  {score:+.3f}  {prompt!r}")
