#' Sum a numeric column by a key column over many CSV files
#'
#' The general form of [airline_distances()]: reads every file, groups the rows
#' by the column named `by` and sums the column named `value`. Columns are
#' found by their header names in each file, so files may order their columns
#' differently. Empty fields and `NA` in the value column count as missing.
#'
#' Backends:
#' * `"tbb"`: the C++ core on threads (Intel TBB through 'RcppParallel'), over
#'   byte-range chunks of all files, so one huge file parallelises as well as
#'   many small ones.
#' * `"fork"`: the same core in forked worker processes (not on Windows).
#' * `"future"`: the same core on the workers of the current [future::plan()].
#' * `"datatable"`: serial reference, [data.table::fread()] per file.
#' * `"base"`: what a beginner writes with [utils::read.csv()].
#'
#' The C++ backends sum exactly: the result is the exact decimal sum rounded
#' once to double, bitwise identical for any backend, thread count and chunk
#' size. The chunk size is `getOption("parairline.chunk_bytes")` (default 2 MB).
#' A file listed twice is read and summed twice.
#'
#' @param files Paths of CSV files, plain or compressed (gzip, bzip2, xz,
#'   zstd, or zip archives, whose `.csv` members are read), directories (every
#'   such file in them) and glob patterns such as `"data/airOT199*.csv"`,
#'   mixed; each expands in place, sorted.
#' @param by Name of the key column.
#' @param value Name of the numeric column to sum.
#' @param backend One of `"tbb"`, `"fork"`, `"future"`, `"datatable"`, `"base"`.
#' @param threads Number of threads or worker processes; `NULL` means
#'   [parallelly::availableCores()] (for `"future"`, on each worker).
#' @param progress Show a progress bar.
#' @return A data frame with one row per key, sorted in C-locale order, and
#'   columns `<by>` (character), `sum`, `n` (rows) and `missing` (rows whose
#'   value is empty or `NA`), all three double.
#' @export
#' @examples
#' files <- airontime_sample()
#' csv_group_sum(files, by = "ORIGIN_STATE_ABR", value = "DISTANCE", threads = 2)
csv_group_sum <- function(files, by, value,
                          backend = c("tbb", "fork", "future", "datatable", "base"),
                          threads = NULL, progress = interactive()) {
  group_sum(files, by, value, backend, threads, progress, call = rlang::current_env())
}

# The worker behind csv_group_sum() and airline_distances(). `call` is the
# user's function, which every error names; argument names in messages are
# the caller's (`carrier`, not `by`).
group_sum <- function(files, by, value, backend, threads, progress, call,
                      by_arg = rlang::caller_arg(by), value_arg = rlang::caller_arg(value)) {
  backend <- arg_match_input(backend, backends, call = call)
  files <- resolve_files(files, call = call)
  check_column_name(by, by_arg, call = call)
  check_column_name(value, value_arg, call = call)
  threads_given <- threads
  threads <- check_threads(threads, call = call)
  check_flag(progress, "progress", call = call)

  res <- switch(backend,
    tbb = group_sum_tbb(files, by, value, threads, progress, call = call),
    fork = group_sum_fork(files, by, value, threads, progress, call = call),
    # NULL lets each cluster worker use its own cores.
    future = group_sum_future(files, by, value, if (is.null(threads_given)) NULL else threads,
                              progress, call = call),
    datatable = group_sum_datatable(files, by, value, threads, progress, call = call),
    base = group_sum_base(files, by, value, progress, call = call)
  )
  result_frame(res$key, res$sum, res$n, res$missing, by)
}

# Every backend ends here, so every backend returns the same shape.
result_frame <- function(key, sum, n, missing, by) {
  o <- order(key, method = "radix")
  out <- data.frame(
    key = as.character(key[o]), sum = as.double(sum[o]),
    n = as.double(n[o]), missing = as.double(missing[o]),
    stringsAsFactors = FALSE
  )
  names(out)[1] <- by
  out
}

backends <- c("tbb", "fork", "future", "datatable", "base")

check_column_name <- function(x, arg, call) {
  if (!is.character(x) || length(x) != 1L || is.na(x) || !nzchar(x)) {
    abort_input("{.arg {arg}} must be a single column name (a non-empty string).",
                call = call)
  }
}

check_threads <- function(threads, call) {
  if (is.null(threads)) return(default_threads())
  if (!is.numeric(threads) || length(threads) != 1L || is.na(threads) ||
      threads < 1 || threads != trunc(threads) || threads > 1024) {
    abort_input(c("{.arg threads} must be a whole number from 1 to 1024, or {.code NULL}.",
                  "x" = "Got {.val {format(threads)}}."), call = call)
  }
  as.integer(threads)
}

check_flag <- function(x, arg, call) {
  if (!is.logical(x) || length(x) != 1L || is.na(x)) {
    abort_input("{.arg {arg}} must be {.code TRUE} or {.code FALSE}.", call = call)
  }
}

chunk_bytes_option <- function(call) {
  x <- getOption("parairline.chunk_bytes", 2 * 1024^2)
  if (!is.numeric(x) || length(x) != 1L || is.na(x) || x < 1) {
    abort_input("Option {.code parairline.chunk_bytes} must be a positive number of bytes.",
                call = call)
  }
  # The core takes a 64-bit integer; beyond 2^53 bytes (Inf included) every
  # file is one chunk anyway.
  min(as.double(x), 2^53)
}
