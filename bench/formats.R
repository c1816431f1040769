# `make bench-formats`: each compressed format read by parairline next to its
# decompressor alone (zcat, bzcat, xzcat, zstdcat > /dev/null) on the same
# 110 MB (uncompressed) month, and 12 .bz2 months on 1 and 2 threads. Ratios
# are measured side by side, alternating, median of REPS.
#
#   Rscript bench/formats.R [DIR] [REPS]

suppressPackageStartupMessages(library(parairline))
args <- commandArgs(trailingOnly = TRUE)
dir <- if (length(args) >= 1) args[1] else Sys.getenv("PARAIRLINE_BENCH_DIR", "")
keep <- nzchar(dir)
if (!keep) dir <- file.path(tempdir(), "parairline-bench-formats")
reps <- if (length(args) >= 2) as.integer(args[2]) else 5L
dir.create(dir, recursive = TRUE, showWarnings = FALSE)

tools <- c(gz = "zcat", bz2 = "bzcat", xz = "xzcat", zst = "zstdcat")
formats <- c(gz = "gzip", bz2 = "bzip2", xz = "xz", zst = "zstd")
month <- list()
for (ext in names(tools)) {
  if (!formats[[ext]] %in% parairline:::cpp_supported_formats()) next
  sub <- file.path(dir, ext)
  f <- file.path(sub, sprintf("airOT199001.csv.%s", ext))
  if (!file.exists(f)) {
    cat("Writing", basename(f), "...\n")
    airontime_simulate(sub, months = 1, rows_per_file = 5e5, threads = 1, compress = ext)
  }
  month[[ext]] <- f
}
elapsed <- function(expr) system.time(expr)[["elapsed"]]
cat(sprintf("\n%-4s %9s %12s %12s %7s\n", "fmt", "MB", "decompressor", "parairline", "ratio"))
for (ext in names(month)) {
  f <- month[[ext]]
  cmd <- sprintf("%s %s > /dev/null", tools[[ext]], shQuote(f))
  t_tool <- t_pkg <- numeric()
  for (r in seq_len(reps)) {  # alternating, so drift hits both alike
    t_tool <- c(t_tool, elapsed(system(cmd)))
    t_pkg <- c(t_pkg, elapsed(airline_distances(f, threads = 2, progress = FALSE)))
  }
  cat(sprintf("%-4s %9.1f %11.2fs %11.2fs %7.2f\n", ext, file.size(f) / 1e6,
              median(t_tool), median(t_pkg), median(t_pkg) / median(t_tool)))
}

if ("bz2" %in% names(month)) {
  sub <- file.path(dir, "bz2-year")
  files <- file.path(sub, sprintf("airOT1990%02d.csv.bz2", 1:12))
  if (!all(file.exists(files))) {
    cat("\nWriting 12 .bz2 months ...\n")
    airontime_simulate(sub, months = 1:12, rows_per_file = 5e5, threads = 2, compress = "bz2")
  }
  t1 <- t2 <- numeric()
  for (r in seq_len(max(1L, reps %/% 2))) {
    t1 <- c(t1, elapsed(airline_distances(files, threads = 1, progress = FALSE)))
    t2 <- c(t2, elapsed(airline_distances(files, threads = 2, progress = FALSE)))
  }
  cat(sprintf("\n12 .bz2 files (%.0f MB): 1 thread %.2f s, 2 threads %.2f s, speed-up %.2fx\n",
              sum(file.size(files)) / 1e6, median(t1), median(t2), median(t1) / median(t2)))
}
if (!keep) unlink(dir, recursive = TRUE)
