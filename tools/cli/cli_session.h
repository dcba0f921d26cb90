/* cli_session.h — reading a recording as the model sees it: the 19 canonical channels at
 * 200 Hz in uV (clef_recording_read_canonical), and its multitaper spectrogram. */
#ifndef CLEF_CLI_SESSION_H
#define CLEF_CLI_SESSION_H

#include "clef.h"

#include "cli_image.h"

/* Read [start, start + dur) s of an EDF/BDF file (dur < 0: to the end) as *n_ch = 19 canonical
 * channels of *n samples (*x malloc'd, [n_ch][n]); *present bit c = channel c in the file.
 * Returns 0, or the exit code 1 after printing the reason. */
int cli_read_canonical(clef_ctx *ctx, const char *path, double start, double dur, float **x,
                       int64_t *n_ch, int64_t *n, uint32_t *present);

/* The spectrogram of the first dur s of an EDF/BDF file (dur < 0: the whole file) with sg:
 * *spec malloc'd [19][n_freqs][*n_frames]. Returns 0, or the exit code 1 after printing the
 * reason. */
int cli_session_spectrogram(clef_ctx *ctx, clef_session *sess, const clef_spectrogram *sg,
                            const char *path, double dur, float **spec, int64_t *n_frames,
                            uint32_t *present);

/* The axes of sg's pictures: a band spans [*y_lo, *y_hi) Hz, frame k is centred at
 * *x0 + k * *dx s. */
void cli_spectrogram_axes(const clef_spectrogram *sg, double *y_lo, double *y_hi, double *x0,
                          double *dx);

/* CLEF's default spectrogram, or NULL after printing the reason. */
clef_spectrogram *cli_default_spectrogram(clef_ctx *ctx);

/* Embed recordings files[n] with the tokenizer and encoder at those paths (NULL: the shipped
 * defaults) into a new *emb [n][*dim] (free() it), with progress unless quiet or n < 2. 0, or
 * an exit code after a message naming the file. */
int cli_embed_files(clef_ctx *ctx, clef_session *s, const char *tok_path, const char *enc_path,
                    const char *const *files, int n, int quiet, float **emb, int64_t *dim);

/* The tokens' reconstruction of a session: decode ids (n_ids), and draw the spectrogram spec
 * [n_ch][n_freq][frames] (dB, as cli_session_spectrogram()) beside the decoded one, over the
 * frames both hold, into a new canvas *fig (cli_canvas_free() it); *mae = the mean absolute
 * error in dB over those frames and the recorded channels (bit c of present; all if 0). 0, or an
 * exit code after a message. */
int cli_recon_figure(clef_session *sess, const clef_tokenizer *tok, const clef_spectrogram *sg,
                     const int32_t *ids, size_t n_ids, const float *spec, int64_t frames,
                     uint32_t present, cli_canvas *fig, double *mae);

#endif
