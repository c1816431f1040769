#' Sum numeric columns by key columns over many CSV files
#'
#' The general form of [airline_distances()]: reads every file, groups the rows
#' by the columns named in `by` and sums each column named in `value`.
#' Columns are found by their header names in each file, so files may order
#' their columns differently. Empty fields and the texts in `na.strings` (by
#' default `NA`) in a value column count as missing. Files of other CSV
#' dialects (separators, decimal commas, quotes, preambles) are read as the
#' Dialects section of [csv_summarise()] describes. A thin wrapper of
#' [csv_summarise()], which computes any mix of counts, sums, means, minima and
#' maxima, and filters rows.
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
#' @param by Names of the key columns (one or more, distinct); `".file"` is
#'   the input each row comes from.
#' @param value Names of the numeric columns to sum (one or more, distinct).
#' @param backend One of `"tbb"`, `"fork"`, `"future"`, `"datatable"`, `"base"`.
#' @param threads Number of threads or worker processes; `NULL` means
#'   [parallelly::availableCores()] (for `"future"`, on each worker).
#' @param progress Show a progress bar.
#' @param sep The field separator: one character (one byte) such as `","`,
#'   `";"`, `"\t"` or `"|"`; or `"auto"`, chosen per file from its first
#'   lines (see the Dialects section of [csv_summarise()]).
#' @param dec The decimal mark of the numbers, `"."` or `","`.
#' @param quote The quote character (one byte), or `""` for none.
#' @param skip Lines before the header: a whole number to skip, or a string:
#'   the header is the first line that contains it (as in
#'   [data.table::fread()]).
#' @param na.strings Texts that mean a missing value. An empty field is
#'   missing wherever a number is read, listed or not.
#' @param bad_rows `"error"` (a row with the wrong number of fields, or a
#'   value that is not a number, is an error of class
#'   `parairline_parse_error`) or `"skip"` (such rows are left out, with a
#'   warning of class `parairline_bad_rows_warning`); see the Dialects
#'   section of [csv_summarise()].
#' @param verbose Say which separator `sep = "auto"` chose for each file.
#' @return A data frame with one row per group, sorted by the keys, with the
#'   key columns named and typed as [csv_summarise()] makes them (a column of
#'   whole numbers such as `MONTH` is integer and sorts numerically; text sorts
#'   in C-locale order), then, for one value column, `sum` (of the non-missing
#'   values), `n` (rows) and `missing` (rows whose value is empty or `NA`), all
#'   three double. For several value columns: `sum_<value>` for each, `n`, then
#'   `missing_<value>` for each. With `bad_rows = "skip"`, the attribute
#'   `"bad_rows"` is the number of rows left out.
#' @export
#' @examples
#' files <- airontime_sample()
#' csv_group_sum(files, by = "ORIGIN_STATE_ABR", value = "DISTANCE", threads = 2)
#' csv_group_sum(files, by = c("MONTH", "UNIQUE_CARRIER"), value = c("DISTANCE", "AIR_TIME"),
#'               backend = "datatable", threads = 1)
csv_group_sum <- function(files, by, value,
                          backend = c("tbb", "fork", "future", "datatable", "base"),
                          threads = NULL, progress = interactive(),
                          sep = ",", dec = ".", quote = "\"", skip = 0, na.strings = c("", "NA"),
                          bad_rows = c("error", "skip"), verbose = FALSE) {
  call <- rlang::current_env()
  dialect <- csv_dialect(sep = sep, dec = dec, quote = quote, skip = skip, na.strings = na.strings,
                         bad_rows = bad_rows, verbose = verbose, call = call)
  group_sum(files, by, value, backend, threads, progress, dialect, call = call)
}

# The worker behind csv_group_sum() and airline_distances(): a summary of
# n(), sum(value, na.rm = TRUE) and sum(is.na(value)) with every column
# double. `call` is the user's function, which every error names; argument
# names in messages are the caller's (`carrier`, not `by`). `several = FALSE`
# takes one key and one value column.
group_sum <- function(files, by, value, backend, threads, progress, dialect, call, several = TRUE,
                      by_arg = rlang::caller_arg(by), value_arg = rlang::caller_arg(value)) {
  backend <- arg_match_input(backend, backends, call = call)
  files <- resolve_files(files, call = call)
  check_column_names(by, by_arg, call = call, several = several)
  check_column_names(value, value_arg, call = call, several = several)
  threads_given <- threads
  threads <- check_threads(threads, call = call)
  check_flag(progress, "progress", call = call)

  query <- group_sum_query(by, value, rename = !several, dialect = dialect)
  clash <- intersect(query$aggs$name, by)
  if (length(clash) > 0L) {
    abort_input("{.arg {by_arg}} may not name a column {.val {clash}}, a name the result gives its sums.",
                call = call)
  }
  group_sum_frame(run_summary(files, query, backend, threads, threads_given, progress, call), query)
}

# csv_group_sum()'s query. `rename`: result names that cannot clash with a
# key (airline_distances() renames every column, so any key name will do).
group_sum_query <- function(by, value, rename = FALSE, dialect = csv_dialect()) {
  one <- length(value) == 1L
  sums <- if (one) "sum" else paste0("sum_", value)
  missing <- if (one) "missing" else paste0("missing_", value)
  aggs <- data.frame(
    name = c(sums, "n", missing),
    fun = c(rep("sum", length(value)), "n", rep("nmiss", length(value))),
    col = c(value, NA_character_, value),
    na_rm = c(rep(TRUE, length(value)), FALSE, rep(FALSE, length(value))),
    stringsAsFactors = FALSE
  )
  if (rename) aggs$name <- make.unique(c(by, aggs$name))[-1]
  list(by = by, aggs = aggs, where = NULL, where_expr = NULL, dialect = dialect)
}

# Every column of csv_group_sum()'s result but the keys is double (the
# attribute "bad_rows" stays).
group_sum_frame <- function(out, query) {
  for (name in query$aggs$name) out[[name]] <- as.double(out[[name]])
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
