# bench/encoder/layer_pool.py — pooling experiments for issue 19 item 7 (docs/encoder.md
# "What the tokens hold"): an encoder's states of every layer (the input embeddings, each
# block's output, ln_f) pooled several ways, through the PyTorch reference of
# tools/ref/encoder_ref.py, stored as embedding artifacts of a store under the SHA-256 of
# "exp-NAME", for `clef evaluate --store DB --model HASH`. Also per-position readouts of the
# session-mean tokens (pos_*): each position's input embedding or final state projected on its
# own first k principal components (fitted on this store's sessions, no labels), the 128
# positions side by side, so that positions are not mixed as a mean mixes them.
#   python bench/encoder/layer_pool.py STORE ENCODER TOKENIZER_HASH   (refvenv: torch, numpy)
# TOKENIZER_HASH: the model hash of the store's token artifacts (clef tokenize --store).
import hashlib, os, sys, sqlite3, numpy as np, torch
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../tools/ref"))
import encoder_ref as R
db, weights, tok_hash = sys.argv[1:4]
c, w = R.read_weights(weights)
m = R.build(c, w, torch.float32)
con = sqlite3.connect(db)
rows = con.execute("select session_id, data from artifacts where kind=2 and model_hash=?", (tok_hash,)).fetchall()
g = c["grid_f"] * c["grid_t"]; nm = c["mean_tokens"]
out = {}
per_pos = {"in": {}, "fin": {}}  # session -> session-mean tokens' states (positions x d)
torch.set_num_threads(2)
with torch.inference_mode():
    for sid, blob in rows:
        ids = torch.from_numpy(np.frombuffer(blob, dtype=np.uint16).astype(np.int64)).view(1, -1)
        valid = m.valid_cols(ids)
        pos = m.row_emb(m.rows) + m.col_emb(m.cols)
        pos = torch.cat([pos, m.mean_pos(m.mean_idx)])
        x = m.tok_emb(ids) + m.type_emb(m.type_ids) + pos
        nv = c["mean_full"] + c["mean_pairs"]
        wv = m.mean_val.weight.view(nv, 2, -1)
        num = torch.einsum("bjk,jkd->bjd", R.mean_values(c, ids).to(wv.dtype), wv)
        x = torch.cat([x[:, :g + nv] + torch.nn.functional.pad(num, (0, 0, g, 0)), x[:, g + nv:]], dim=1)
        keep = torch.ones(ids.shape, dtype=torch.bool)
        keep[:, :g] = m.cols.view(1, g) < valid.view(-1, 1)
        kw = keep.float().unsqueeze(2)
        hs = [x]
        for blk in m.blocks:
            x = blk(x, keep); hs.append(x)
        hs.append(m.ln_f(x))
        allp = [((h * kw).sum(1) / kw.sum(1))[0] for h in hs]        # mean over all real tokens
        smp = [h[0, g:].mean(0) for h in hs]                          # mean over session-mean tokens
        # per-layer LayerNorm (no affine) before pooling keeps each layer's scale comparable
        lnp = [((torch.nn.functional.layer_norm(h, (h.shape[-1],)) * kw).sum(1) / kw.sum(1))[0] for h in hs]
        out.setdefault("L0all", []).append((sid, allp[0]))
        out.setdefault("L0sm", []).append((sid, smp[0]))
        out.setdefault("avg_ln", []).append((sid, torch.stack(lnp).mean(0)))
        out.setdefault("cat_ln", []).append((sid, torch.cat(lnp)))
        out.setdefault("cat_sm_final", []).append((sid, torch.cat([smp[0], allp[-1]])))
        per_pos["in"][sid], per_pos["fin"][sid] = hs[0][0, g:].numpy(), hs[-1][0, g:].numpy()


def pca_readout(states, k):
    """each position's vector on its own first k principal components, positions side by side"""
    a = np.stack(list(states.values()))  # sessions x positions x d
    mu = a.mean(0)
    vt = [np.linalg.svd(a[:, i] - mu[i], full_matrices=False)[2][:k] for i in range(a.shape[1])]
    return [(sid, torch.from_numpy(np.concatenate([(v[i] - mu[i]) @ vt[i].T
                                                   for i in range(a.shape[1])])))
            for sid, v in states.items()]


for layer in ("in", "fin"):
    for k in (1, 3):
        out["pos_%s_pca%d" % (layer, k)] = pca_readout(per_pos[layer], k)
for name, lst in out.items():
    h = hashlib.sha256(("exp-" + name).encode()).hexdigest()
    con.execute("delete from artifacts where model_hash=?", (h,))
    con.executemany("insert into artifacts(session_id, kind, model_hash, data) values (?,3,?,?)",
                    [(s, h, v.numpy().astype(np.float32).tobytes()) for s, v in lst])
    print("exp-" + name, h, len(lst), "sessions,", lst[0][1].shape[0], "dims")
con.commit()
