#' Simulate AirOnTime monthly CSV files
#'
#' Writes realistic fake airline on-time data, one file per month, named
#' `airOT{YYYY}{MM}.csv` (for example `airOT199001.csv`), in exactly the layout
#' of the RevoScaleR AirOnTimeCSV files: a quoted header of 44 column names,
#' a trailing comma on every line, quoted strings, `DISTANCE` with two
#' decimals and LF line endings. Use it to make test data of any size for
#' [airline_distances()] without downloading the real data.
#'
#' The content looks like the real thing: the carriers that reported in each
#' year with skewed shares (including codes such as `"PA (1)"`), routes
#' between about 50 large US airports with great-circle `DISTANCE` in whole
#' miles, valid dates in date order, scheduled and actual times, delays with a
#' long tail, about 2% cancelled flights (their time and delay fields empty),
#' a few diverted flights, delay causes from June 2003, and about 0.1% of rows
#' with an empty `DISTANCE`, which count as `missing`.
#'
#' The files are written in parallel by C++ threads, one file per thread at a
#' time. Each file's random stream depends only on `seed`, the year and the
#' month, so the same arguments give the same bytes for any `threads`.
#'
#' @param dir Directory to write into; created if needed. Existing files of
#'   the same names are overwritten.
#' @param years Years, whole numbers from 1987 to 2030.
#' @param months Months, a subset of 1:12.
#' @param rows_per_file Rows per monthly file (500,000 rows are about 110 MB).
#' @param seed A number; the same seed gives the same files.
#' @param threads Number of threads; `NULL` means
#'   [parallelly::availableCores()]. Never more than the number of files.
#' @param compress `"none"`, or how to compress each file as the airline data
#'   are published: `"gz"`, `"bz2"` (the ASA 2009 Data Expo files), `"xz"`,
#'   `"zst"` (files `airOT199001.csv.gz` and so on), or `"zip"` (an archive
#'   `airOT199001.zip` holding the CSV file and a `readme.html`, like a BTS
#'   download). A format this build cannot write is an error.
#' @return Invisibly, a list with `files`, the paths written (chronological),
#'   and `totals`, the exact answer for [airline_distances()] on those files: a
#'   data frame with one row per carrier in C-locale order and columns
#'   `carrier`, `distance` (total of the non-missing distances), `flights`
#'   (rows) and `missing` (rows with an empty distance).
#' @seealso [airontime_sample()] for the small sample that comes with the
#'   package.
#' @export
#' @examples
#' dir <- file.path(tempdir(), "airontime")
#' sim <- airontime_simulate(dir, months = 1:2, rows_per_file = 1000, threads = 2)
#' basename(sim$files)
#' sim$totals
#' readLines(sim$files[1], n = 2)
#' unlink(dir, recursive = TRUE)
airontime_simulate <- function(dir, years = 1990, months = 1:12, rows_per_file = 5e5,
                               seed = 1, threads = NULL,
                               compress = c("none", "gz", "bz2", "xz", "zst", "zip")) {
  call <- rlang::current_env()
  check_sim_args(dir, years, months, rows_per_file, seed, call = call)
  threads <- check_threads(threads, call = call)
  compress <- arg_match_input(compress, c("none", "gz", "bz2", "xz", "zst", "zip"), call = call)

  dir.create(dir, recursive = TRUE, showWarnings = FALSE)
  if (!dir.exists(dir)) {
    abort_core_error(core_error_record("io", dir, message = "Cannot create the output directory."),
                     call = call)
  }
  dir <- normalizePath(dir, winslash = "/", mustWork = TRUE)
  grid <- expand.grid(month = sort(unique(as.integer(months))),
                      year = sort(unique(as.integer(years))))
  files <- file.path(dir, sprintf("airOT%04d%02d.csv", grid$year, grid$month))

  compressed <- switch(compress,
    none = files, zip = sub("\\.csv$", ".zip", files),
    paste0(files, ".", compress)
  )
  format <- c(none = "none", gz = "gzip", bz2 = "bzip2", xz = "xz", zst = "zstd", zip = "zip")[[compress]]
  res <- cpp_sim_write(enc2native(files), grid$year, grid$month,
                       as.double(rows_per_file), as.double(seed),
                       min(threads, length(files)), format, enc2native(compressed))
  files <- compressed
  if (isTRUE(res$interrupted)) rlang::interrupt()
  if (!is.null(res$error)) abort_core_error(res$error, call = call)

  o <- order(res$carrier, method = "radix")
  totals <- data.frame(
    carrier = res$carrier[o], distance = res$distance[o],
    flights = res$flights[o], missing = res$missing[o],
    stringsAsFactors = FALSE
  )
  invisible(list(files = files, totals = totals))
}

#' The AirOnTime sample that comes with the package
#'
#' Twelve monthly files for 1990 (`airOT199001.csv` to `airOT199012.csv`), 300
#' rows each, made by [airontime_simulate()] with a fixed seed. Small enough
#' for examples and tests, in the same layout as the full data.
#'
#' @return The full paths of the 12 files, sorted.
#' @export
#' @examples
#' files <- airontime_sample()
#' basename(files)
#' readLines(files[1], n = 3)
airontime_sample <- function() {
  dir <- system.file("extdata", package = "parairline")
  files <- list.files(dir, pattern = "^airOT.*\\.csv$", full.names = TRUE)
  sort(files, method = "radix")
}

check_sim_args <- function(dir, years, months, rows_per_file, seed, call) {
  if (!is.character(dir) || length(dir) != 1L || is.na(dir) || !nzchar(dir)) {
    abort_input("{.arg dir} must be a single directory path.", call = call)
  }
  if (!all_whole(years) || length(years) == 0L || any(years < 1987 | years > 2030)) {
    abort_input(c("{.arg years} must be whole numbers from 1987 to 2030.",
                  "x" = "Got {.val {years}}."), call = call)
  }
  if (!all_whole(months) || length(months) == 0L || any(months < 1 | months > 12)) {
    abort_input(c("{.arg months} must be whole numbers from 1 to 12.",
                  "x" = "Got {.val {months}}."), call = call)
  }
  if (!all_whole(rows_per_file) || length(rows_per_file) != 1L ||
      rows_per_file < 0 || rows_per_file > 1e12) {
    abort_input(c("{.arg rows_per_file} must be a single whole number from 0 to 1e12.",
                  "x" = "Got {.val {rows_per_file}}."), call = call)
  }
  if (!is.numeric(seed) || length(seed) != 1L || !is.finite(seed)) {
    abort_input(c("{.arg seed} must be a single finite number.",
                  "x" = "Got {.val {seed}}."), call = call)
  }
}

# Numeric, no NA or infinity, no fractions.
all_whole <- function(x) {
  is.numeric(x) && all(is.finite(x)) && all(x == trunc(x))
}
