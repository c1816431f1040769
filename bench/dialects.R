# `make bench` (part 4): the same 1.3 GB year written as European CSV
# (`;` between fields, decimal commas) next to the comma original, read by
# airline_distances() and by a three-key summary, alternating, in one R
# session. The target (#17): the `;` copy within 5% of the comma files' time.
#
#   Rscript bench/dialects.R [DIR] [REPS]
#
# DIR holds the 12 monthly files bench/bench.R generates (default: a
# temporary directory, generated here and deleted at the end; set
# PARAIRLINE_BENCH_DIR to reuse it). The copies go to DIR/semicolon.

suppressPackageStartupMessages(library(parairline))

# bench/common.R, beside this script (run as Rscript bench/<name>.R).
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(), value = TRUE)[1])), "common.R"))
bench_setup(5L)  # dir, keep, reps, monthly
threads <- 2L

# The copy: every comma becomes a semicolon and every point a comma, byte
# for byte (the simulated files quote no field that holds either), in
# 64 MB pieces.
semi_dir <- file.path(dir, "semicolon")
dir.create(semi_dir, showWarnings = FALSE)
semi <- file.path(semi_dir, basename(monthly))
for (i in seq_along(monthly)) {
  if (file.exists(semi[i]) && file.size(semi[i]) == file.size(monthly[i])) next
  from <- file(monthly[i], "rb")
  to <- file(semi[i], "wb")
  repeat {
    piece <- readBin(from, "raw", 64 * 2^20)
    if (length(piece) == 0L) break
    writeChar(chartr(",.", ";,", rawToChar(piece)), to, eos = NULL, useBytes = TRUE)
  }
  close(from)
  close(to)
}
cat(sprintf("comma files %.0f MB, semicolon copies %.0f MB\n",
            sum(file.size(monthly)) / 1e6, sum(file.size(semi)) / 1e6))

elapsed <- function(expr) system.time(expr)[["elapsed"]]
queries <- list(
  "airline_distances()" = function(files, ...) {
    airline_distances(files, threads = threads, progress = FALSE, ...)
  },
  "3 keys, n/sum/mean of ARR_DELAY, CANCELLED == 0" = function(files, ...) {
    csv_summarise(files, by = c("YEAR", "MONTH", "UNIQUE_CARRIER"), flights = n(),
                  delay = sum(ARR_DELAY, na.rm = TRUE), mean_delay = mean(ARR_DELAY, na.rm = TRUE),
                  where = CANCELLED == 0, threads = threads, progress = FALSE, ...)
  }
)
variants <- list(
  "comma" = list(files = monthly),
  "; and dec = \",\"" = list(files = semi, sep = ";", dec = ","),
  "; with sep = \"auto\"" = list(files = semi, sep = "auto", dec = ",")
)

cat(sprintf("\n%d threads, median of %d, alternating\n", threads, reps))
for (q in names(queries)) {
  run <- function(v) do.call(queries[[q]], variants[[v]])
  answers <- lapply(names(variants), run)
  same <- all(vapply(answers[-1], identical, logical(1), answers[[1]]))
  times <- matrix(NA_real_, reps, length(variants), dimnames = list(NULL, names(variants)))
  for (r in seq_len(reps)) {
    for (v in names(variants)) times[r, v] <- elapsed(run(v))
  }
  med <- apply(times, 2, stats::median)
  cat(sprintf("\n%s (answers identical: %s)\n", q, same))
  for (v in names(variants)) {
    cat(sprintf("  %-22s %6.2f s  %5.3f x comma\n", v, med[[v]], med[[v]] / med[["comma"]]))
  }
}

if (!keep) unlink(dir, recursive = TRUE)
