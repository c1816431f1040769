# What the full-size benchmarks share: the data directory (DIR, or
# PARAIRLINE_BENCH_DIR, or a temporary one deleted at the end), REPS, and
# the 12 monthly files bench/bench.R generates, made here if missing.
# Sourced by bench/summarise.R and bench/dialects.R.

# Defines dir, keep, reps and monthly in the calling script's environment.
bench_setup <- function(default_reps, envir = parent.frame()) {
  args <- commandArgs(trailingOnly = TRUE)
  dir <- if (length(args) >= 1) args[1] else Sys.getenv("PARAIRLINE_BENCH_DIR", "")
  keep <- nzchar(dir)
  if (!keep) dir <- file.path(tempdir(), "parairline-bench")
  reps <- if (length(args) >= 2) as.integer(args[2]) else default_reps
  dir.create(dir, recursive = TRUE, showWarnings = FALSE)
  monthly <- file.path(dir, sprintf("airOT1990%02d.csv", 1:12))
  if (!all(file.exists(monthly))) {
    cat("Generating 12 x 500,000 rows with airontime_simulate() ...\n")
    parairline::airontime_simulate(dir, years = 1990, months = 1:12, rows_per_file = 5e5)
  }
  list2env(list(dir = dir, keep = keep, reps = reps, monthly = monthly), envir = envir)
  invisible(NULL)
}
