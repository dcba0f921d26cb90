# Aligning and zero-shot from R (docs/r-quickstart.md): a small synthetic cohort in a store, a
# tiny tokenizer and session encoder, every session embedded into the store, an aligner trained
# on the embeddings, reports and EHR records (seconds; real settings in docs/aligner.md), then a
# prompt scored against the sessions. Needs the text encoder in CLEF_TEXT_MODEL (tools/
# install_deps.sh fetches all-MiniLM-L6-v2 into build/minilm). Run by the test suite in a
# scratch directory: Rscript zeroshot.R
library(clef)

ctx <- clef_ctx_create()
session <- new_session(2L)
generate_cohort("cohort", n_patients = 16L, max_sessions = 1L, duration_s = 60,  # 16 sessions
                session = session)
steps <- clef_train_tokenizer("cohort", "tok.safetensors", steps = 2L, ch = 8L,
                              ch_mult = "1,1,1,1", codebook_size = 32L, code_dim = 4L,
                              gn_groups = 4L, batch = 2L, crop_t = 40L, disc_ndf = 4L,
                              mean_tokens = 8L)
steps <- clef_pretrain("cohort", "tok.safetensors", "enc.safetensors", steps = 4L,
                       d_model = 16L, n_layers = 1L, n_heads = 2L, d_ff = 32L, embed_dim = 12L,
                       batch = 2L, crop_cols = 24L)
store <- open_store("cohort.db")
n_rows <- ingest(store, "cohort")                        # reports and EHR records too
# every session's embedding into the store (what `clef embed --store` runs)
n_done <- clef_encoder_job_run(session, store, "tok.safetensors", "enc.safetensors", 0, 0)
cat(n_done, "sessions embedded\n")
res <- clef_align("cohort.db", "enc.safetensors", "al.safetensors", steps = 20L, dim = 16L,
                  width = 8L, n_layers = 1L, n_heads = 2L, eeg_hidden = 16L, batch = 4L)
cat("aligned:", res$steps, "steps on", res$n_train, "sessions\n")

# the test split's embeddings as a matrix, one named row per session
test <- clef_const("CLEF_SPLIT_TEST")
ids <- vapply(seq_len(clef_store_split_count(store, test)) - 1L,
              function(i) clef_store_split_session(store, test, i, 64L)$buf, "")
hash <- clef_model_hash("enc.safetensors")              # the key of its embeddings
emb <- t(vapply(ids, function(id) {
  raw <- clef_store_artifact_get(store, id, clef_const("CLEF_ARTIFACT_EMBEDDING"), hash, 48L)
  readBin(raw$buf, "double", 12L, size = 4L)
}, numeric(12)))
# the embeddings probed on the store's tasks (most are skipped in so small a cohort)
print(summary(evaluate_store(store, "embedding", model_hash = hash, n_boot = 100L)))
clef_store_free(store)

te <- clef_text_encoder()                                # from CLEF_TEXT_MODEL
al <- clef_aligner_load(ctx, "al.safetensors")
prompt <- "diffuse beta activity"
scores <- clef_aligner_score_text_matrix(al, te, emb, prompt, session)  # named by session
z <- clef_aligner_embed_eeg_matrix(al, emb, session)    # unit rows in the shared space
q <- clef_aligner_embed_text_vector(al, te, prompt, session = session)
stopifnot(max(abs(scores - as.vector(z %*% q))) < 1e-5)
print(round(scores, 3))
clef_aligner_free(al)
clef_text_encoder_free(te)
clef_session_free(session)
clef_ctx_free(ctx)
