# Regenerates the sample that airontime_sample() returns:
# inst/extdata/airOT199001.csv ... airOT199012.csv, 300 rows each.
# Run from the package root with the package installed:
#   Rscript tools/make-sample.R
# The seed and sizes are also in tests/testthat/test-simulate.R, which checks
# that the bundled files are still what this script makes.
if (!file.exists("DESCRIPTION") || !dir.exists("inst")) {
  stop("Run tools/make-sample.R from the package root.")
}
out <- file.path("inst", "extdata")
old <- list.files(out, pattern = "^airOT.*\\.csv$", full.names = TRUE)
unlink(old)

sim <- parairline::airontime_simulate(out, years = 1990, months = 1:12,
                                      rows_per_file = 300, seed = 1990, threads = 2)
# The sample must exercise the `missing` count and the space in "PA (1)".
stopifnot(sum(sim$totals$missing) > 0, "PA (1)" %in% sim$totals$carrier)
print(sim$totals)
cat(sprintf("%d files, %.0f KB in all\n", length(sim$files),
            sum(file.size(sim$files)) / 1024))
