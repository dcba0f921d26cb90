# Generated from docs/r-quickstart.md by tools/r/doc_blocks.awk: its ```r blocks, in order.
# Do not edit; edit the page and regenerate. Run: Rscript quickstart.R

library(clef)
dir <- file.path(tempdir(), "quickstart-cohort")
generate_cohort(dir, seed = 5, n_patients = 100, duration_s = 60, frac_missing = 0.3)
manifest <- read_cohort(dir)
rec <- read_edf(file.path(dir, manifest$path[[1]]))
print(rec)
ch <- channels(rec)      # index (1-based), label, unit, rate, n_samples, ..., canonical
print(head(ch[, c("index", "label", "unit", "rate", "canonical")], 3))
print(annotations(rec))  # onset, duration (NA when the file gives none), text
x <- read_signal(rec, c(1, 2), start = 10, duration = 5)   # or by label: c("Fp1", "Fp2")
stopifnot(identical(dim(x), c(1250L, 2L)), attr(x, "fs") == 250)
res <- tryCatch(read_signal(rec, 0), error = conditionMessage)
print(res)               # "read_signal: channel index 0 is out of range 1..19 (R indices start at 1)"

has_all <- function(p) {
  all(clef_canonical_channels() %in% channels(read_edf(file.path(dir, p)))$canonical)
}
rec2 <- read_edf(file.path(dir, Find(Negate(has_all), manifest$path)))
sig <- canonical_signal(rec2)                   # 12000 x 19, NA columns for absent channels
absent <- colnames(sig)[colSums(is.na(sig)) > 0]
print(absent)
s <- new_session(2)                             # worker threads and scratch, reused
sp <- spectrogram(sig, session = s)
print(sp)                                       # 57 frames x 128 freqs x 19 channels
stopifnot(all(is.na(sp[, , absent])), dimnames(sp)$freq[2] == "0.25")
print(head(summary(sp), 3))                     # per channel: present, mean, min, max (dB)
pdf(NULL)                                       # (a file or screen device in real use)
plot(sp, channel = setdiff(colnames(sig), absent)[[1]])   # time x frequency image
invisible(dev.off())

tok <- load_tokenizer()
tokens <- tokenize(tok, rec)
print(tokens)                # ids: the grid_f x grid_t grid, then the session-mean tokens
stopifnot(all(tokens$present))

st <- open_store(file.path(tempdir(), "quickstart.db"))
ingest(st, dir, progress = function(done, total) TRUE)   # FALSE would cancel
embed_bandpower(st)
ev <- evaluate_store(st, n_boot = 200,
                     progress = function(done, total, task) {
                       if (done == total) cat("evaluated", total, "tasks\n")
                       TRUE
                     })
print(summary(ev))
ok <- ev[ev$status == "ok", ]
roc <- roc_curve(ev, ok$task[[1]])
print(roc)
stopifnot(all.equal(attr(roc, "auc"), ok$auroc[[1]]))
print(auroc(c(0.1, 0.4, 0.35, 0.8, NA), c(0, 0, 1, 1, 1), ci = TRUE, n_boot = 200))

msgs <- character()
old <- set_log_handler(function(level, msg) msgs <<- c(msgs, paste0(level, ": ", msg)), "debug")
try(read_edf(file.path(tempdir(), "missing.edf")), silent = TRUE)
set_log_handler(old)
print(msgs)                  # "debug: input/output error: cannot open '...missing.edf': ..."
res <- tryCatch(generate_cohort(file.path(tempdir(), "stopped"), n_patients = 5,
                                progress = function(done, total) done < 2),
                clef_error_cancelled = function(e) "cancelled")
print(res)

ctx <- clef_ctx_create()
enc_path <- clef_default_model_path(ctx, clef_const("CLEF_MODEL_ENCODER"), 4096)$buf
enc <- clef_encoder_load(ctx, enc_path, tok)  # refuses another tokenizer's encoder
files <- file.path(dir, manifest$path[1:2])
emb <- clef_embed_files(enc, tok, files)
print(dim(emb))                               # 2 x 512

ctx <- clef_ctx_create()          # an external pointer, freed by a finalizer or clef_ctx_free()
params <- clef_params_create(ctx, clef_const("CLEF_PARAMS_COHORT"))
clef_param_set(params, "cohort.seed", 1234)
stopifnot(clef_param_get(params, "cohort.seed") == 1234)
res <- tryCatch(clef_param_set(params, "cohort.n_patients", 0),
                clef_error_range = function(e) conditionMessage(e))
clef_params_free(params)
session <- clef_session_create(ctx, 2L)   # what new_session(2) makes, on your ctx
rec3 <- clef_recording_open(ctx, file.path(dir, manifest$path[[1]]), NULL)
print(clef_recording_signal_label(rec3, 0L))           # signal 0: the first
n_f <- clef_spectrogram_n_freqs(sg <- clef_spectrogram_create(ctx, NULL))
print(clef_spectrogram_freqs(sg, n_f)$out[1:3])       # a list(out =, needed =) result
clef_session_free(session)
clef_ctx_free(ctx)
