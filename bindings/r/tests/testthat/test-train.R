test_that("clef_train_tokenizer writes the weights clef train-tokenizer writes", {
  exe <- clef_cli()
  skip_if(!nzchar(exe), "no clef command to synthesise a cohort")
  restore <- clef_cli_env()
  on.exit(restore(), add = TRUE)
  d <- tempfile("train")
  dir.create(d)
  coh <- file.path(d, "coh")
  system2(exe, c("synth", "-o", coh, "--patients", "4", "--seconds", "120", "--quiet"))
  flags <- c("--ch", "8", "--ch-mult", "1,1,1,1", "--codebook", "32", "--code-dim", "4",
             "--gn-groups", "4", "--batch", "2", "--crop-t", "40", "--disc-ndf", "4",
             "--disc-start", "3", "--mean-tokens", "0", "--steps", "2")
  cli_out <- file.path(d, "cli.safetensors")
  r_out <- file.path(d, "r.safetensors")
  expect_identical(system2(exe, c("train-tokenizer", coh, "-o", cli_out, flags),
                           stdout = FALSE, stderr = FALSE), 0L)
  steps <- clef_train_tokenizer(coh, r_out, ch = 8L, ch_mult = "1,1,1,1", codebook_size = 32L,
                                code_dim = 4L, gn_groups = 4L, batch = 2L, crop_t = 40L,
                                disc_ndf = 4L, disc_start = 3L, mean_tokens = 0L, steps = 2L)
  expect_equal(steps, 2)
  expect_identical(readBin(r_out, "raw", file.size(r_out)),
                   readBin(cli_out, "raw", file.size(cli_out)))
  expect_error(clef_train_tokenizer(coh, r_out, split = "none", mean_tokens = 0L),
               class = "clef_error_not_found")
  expect_error(clef_train_tokenizer(coh, r_out, no_such_setting = 1), "unknown")
  unlink(d, recursive = TRUE)
})
