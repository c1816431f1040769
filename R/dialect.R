# CSV dialects: how the files are written (separator, quote, decimal mark,
# lines before the header, the texts that mean missing) and what becomes of
# rows that cannot be read. csv_dialect() checks the arguments and builds the
# list every backend gets in the query; the end of every run reports what
# the dialect made of the files (dialect_report()).

# The dialect of the query (the contract with the engine's glue,
# dialect_from_r() in src/summary_r.h): sep is one byte or "auto"; quote one
# byte or "" (none); dec "." or ","; skip a number of lines, or 0 with
# skip_to the text the header line contains; na_strings; bad_rows "error"
# or "skip"; verbose, which stays in R.
csv_dialect <- function(sep = ",", dec = ".", quote = "\"", skip = 0, na.strings = c("", "NA"),
                        bad_rows = c("error", "skip"), verbose = FALSE, call = rlang::caller_env()) {
  dec <- check_byte_arg(dec, "dec", call, allowed = c(".", ","))
  quote <- check_byte_arg(quote, "quote", call, none = TRUE)
  sep <- check_byte_arg(sep, "sep", call, auto = TRUE)
  if (sep == dec) {
    abort_input(c("{.arg sep} and {.arg dec} must differ: both are {.val {sep}}.",
                  "i" = "A file with decimal commas has another separator, such as {.code sep = \";\"}."),
                call = call)
  }
  if (nzchar(quote) && (quote == sep || quote == dec)) {
    what <- if (quote == sep) "sep" else "dec"
    abort_input("{.arg quote} and {.arg {what}} must differ: both are {.val {quote}}.", call = call)
  }
  skip_to <- ""
  if (is.character(skip) && length(skip) == 1L && !is.na(skip)) {
    if (!nzchar(skip) || grepl("[\r\n]", skip, useBytes = TRUE)) {
      abort_input("{.arg skip} as text must be a non-empty string on one line, the text the header line contains.",
                  call = call)
    }
    skip_to <- skip
    skip <- 0L
  } else if (!is.numeric(skip) || length(skip) != 1L || is.na(skip) || skip < 0 || skip != trunc(skip) ||
             skip >= 2^53) {
    abort_input(c("{.arg skip} must be a whole number of lines (0 or more), or the text of the header line.",
                  "x" = given_text(skip)), call = call)
  } else {
    skip <- if (skip <= .Machine$integer.max) as.integer(skip) else as.double(skip)
  }
  if (!is.character(na.strings) || anyNA(na.strings)) {
    abort_input(c("{.arg na.strings} must be a character vector without {.code NA}.",
                  "x" = "Got {.obj_type_friendly {na.strings}}."), call = call)
  }
  bad_rows <- arg_match_input(bad_rows, c("error", "skip"), call = call)
  check_flag(verbose, "verbose", call = call)
  list(sep = sep, quote = quote, dec = dec, skip = skip, skip_to = skip_to,
       na_strings = unique(as.vector(na.strings, "character")), bad_rows = bad_rows, verbose = verbose)
}

# One byte as a string: sep (or "auto"), quote (or "" for none), dec (one of
# `allowed`). No line end can be one.
check_byte_arg <- function(x, arg, call, auto = FALSE, none = FALSE, allowed = NULL) {
  if (!is.null(allowed)) {
    if (!is.character(x) || length(x) != 1L || is.na(x) || !x %in% allowed) {
      abort_input(c("{.arg {arg}} must be {.or {.val {allowed}}}.", "x" = given_text(x)), call = call)
    }
    return(x)
  }
  ok <- is.character(x) && length(x) == 1L && !is.na(x) &&
    ((auto && identical(x, "auto")) || (none && identical(x, "")) || nchar(x, type = "bytes") == 1L)
  if (!ok) {
    what <- c("one character (one byte)", if (auto) "{.val auto}", if (none) "{.val {\"\"}} for none")
    abort_input(c(paste0("{.arg {arg}} must be ", paste(what, collapse = " or "), "."), "x" = given_text(x)),
                call = call)
  }
  if (x %in% c("\n", "\r")) {
    abort_input("{.arg {arg}} cannot be a line end ({.code \\n} or {.code \\r}).", call = call)
  }
  x
}

# What an argument error says was given: its type, and a single string or
# number itself.
given_text <- function(x) {
  shown <- ""
  if (is.character(x) && length(x) == 1L && !is.na(x)) shown <- paste0(": ", encodeString(x, quote = "\""))
  if (is.numeric(x) && length(x) == 1L) shown <- paste0(": ", format(x))
  cli_escape(paste0(cli::format_inline("Got {.obj_type_friendly {x}}"), shown, "."))
}

# The dialect as the engine takes it.
engine_dialect <- function(dialect) {
  if (is.null(dialect)) return(NULL)
  dialect[setdiff(names(dialect), "verbose")]
}

# ---- Missing values and numbers, as the engine reads them ------------------

# A missing value as text (string comparisons, character keys): a text in
# na.strings. Readers give NA for those already.
na_text <- function(text, dialect) is.na(text) | text %in% dialect$na_strings

# A missing value where a number is read (value columns, numeric
# comparisons, is.na(), number keys): also the empty text.
na_number <- function(text, dialect) na_text(text, dialect) | (!is.na(text) & text == "")

# What a number looks like (the C++ core's grammar), with the decimal mark.
integer_pattern <- "^[-+]?[0-9]+$"
number_pattern <- function(dec = ".") {
  d <- if (dec == ",") "," else "\\."
  sprintf("^[-+]?([0-9]+%s?[0-9]*|%s[0-9]+)([eE][-+]?[0-9]+)?$", d, d)
}

# Text -> list(x = double, missing, bad): missing where na_number(), bad
# where neither missing nor a finite number with the decimal mark.
parse_numbers <- function(text, dialect) {
  missing <- na_number(text, dialect)
  ok <- !missing & grepl(number_pattern(dialect$dec), text, useBytes = TRUE)
  x <- rep(NA_real_, length(text))
  t <- text[ok]
  if (dialect$dec == ",") t <- sub(",", ".", t, fixed = TRUE)
  x[ok] <- as.numeric(t)
  list(x = x, missing = missing, bad = !missing & (!ok | !is.finite(x)))
}

# ---- sep = "auto" -----------------------------------------------------------

# The candidates, in the order that breaks ties.
sep_candidates <- c(",", "\t", "|", ";")

# sep = "auto", as the engine chooses (choose_separator() in
# src/core/csv_source.h), from `records`: the header and up to 30 records
# after it (quote-aware, blank ones left out). Among , \t | ; (not the quote
# or the decimal mark), those that split the header into 2 or more fields
# and every other record into as many qualify, the most fields winning; if
# none does, the one with most fields in the header; if none occurs in it,
# "," (";" with decimal commas). Ties go to the earlier candidate.
choose_sep <- function(records, quote, dec) {
  fallback <- if (dec == ",") ";" else ","
  if (length(records) == 0L) return(fallback)
  best <- NULL
  best_n <- 0L
  widest <- NULL
  widest_n <- 1L
  for (s in setdiff(sep_candidates, c(quote, dec))) {
    n <- count_fields_text(records, s, quote)
    if (n[1] > widest_n) {
      widest <- s
      widest_n <- n[1]
    }
    if (n[1] >= 2L && all(n == n[1]) && n[1] > best_n) {
      best <- s
      best_n <- n[1]
    }
  }
  if (!is.null(best)) best else if (!is.null(widest)) widest else fallback
}

# Fields of each record split at `sep` outside quotes (a quote anywhere
# opens or closes quoting, as in the engine and in scan()).
count_fields_text <- function(records, sep, quote) {
  vapply(records, function(r) {
    b <- charToRaw(r)
    outside <- if (nzchar(quote)) cumsum(b == charToRaw(quote)) %% 2L == 0L else TRUE
    sum(b == charToRaw(sep) & outside) + 1L
  }, integer(1), USE.NAMES = FALSE)
}

# Physical lines -> records: lines joined while a quote is open; blank
# records dropped, a record still open at the end too.
sniff_records <- function(lines, quote, n = 31L) {
  out <- character()
  open <- NULL
  for (line in lines) {
    open <- if (is.null(open)) line else paste0(open, "\n", line)
    if (nzchar(quote) && sum(charToRaw(open) == charToRaw(quote)) %% 2L == 1L) next
    if (nzchar(open)) out <- c(out, open)
    open <- NULL
    if (length(out) >= n) break
  }
  out
}

# ---- The end of every run ---------------------------------------------------

# What a backend's run returns: the summary `frame`; `bad_rows`, the rows
# left out, as list(file, count, lines) with one element per file that has
# any (lines: the first few, 1-based physical lines); `seps`, the separator
# of each input, named by input.
dialect_run <- function(frame, bad_rows = NULL, seps = NULL) {
  list(frame = frame, bad_rows = if (is.null(bad_rows)) no_bad_rows() else bad_rows, seps = seps)
}

no_bad_rows <- function() list(file = character(), count = double(), lines = list())

# The one place every backend's run ends: says which separators sep =
# "auto" chose (verbose), warns once about the rows left out, and gives the
# result the attribute "bad_rows" (their number) when bad_rows = "skip".
dialect_report <- function(run, dialect, call) {
  if (isTRUE(dialect$verbose) && identical(dialect$sep, "auto") && length(run$seps) > 0L) {
    inform_seps(run$seps)
  }
  out <- run$frame
  bad <- run$bad_rows
  if (identical(dialect$bad_rows, "skip")) {
    counts <- as.double(bad$count)
    if (length(counts) > 0L && sum(counts) > 0) warn_bad_rows(bad, call)
    attr(out, "bad_rows") <- sum(counts)
  }
  out
}

inform_seps <- function(seps) {
  files <- if (is.null(names(seps))) paste("input", seq_along(seps)) else names(seps)
  shown <- vapply(seps, function(s) encodeString(s, quote = "\""), "")
  bullets <- vapply(unique(shown), function(s) {
    these <- files[shown == s]
    cli::format_inline("{s} in {.file {these}}")
  }, "")
  cli::cli_inform(c("{.code sep = \"auto\"} chose:", stats::setNames(cli_escape(bullets), rep("*", length(bullets)))),
                  class = "parairline_sep_message")
}

# Rows left out: one warning, the count per file and the first few
# file:line places; the condition carries `counts` (named by file) and
# `lines` (a list named by file).
warn_bad_rows <- function(bad, call) {
  counts <- stats::setNames(as.double(bad$count), bad$file)
  lines <- stats::setNames(lapply(bad$lines, as.double), bad$file)
  keep <- counts > 0
  counts <- counts[keep]
  lines <- lines[keep]
  total <- sum(counts)
  shown_files <- utils::head(seq_along(counts), 10L)
  bullets <- vapply(shown_files, function(i) {
    f <- names(counts)[i]
    at <- utils::head(lines[[i]], 3L)
    places <- if (length(at) > 0L) paste0(f, ":", format(at, scientific = FALSE, trim = TRUE)) else character()
    more <- if (counts[[i]] > length(at) && length(at) > 0L) ", ..." else ""
    n <- format(counts[[i]], scientific = FALSE, big.mark = ",")
    cli::format_inline(
      "{n} {cli::qty(counts[[i]])}row{?s} in {.file {f}}", if (length(places) > 0L) ", at {.file {places}}{more}",
      .envir = environment()
    )
  }, "")
  if (length(counts) > length(shown_files)) {
    rest <- length(counts) - length(shown_files)
    bullets <- c(bullets, cli::format_inline("and {rest} more file{?s}"))
  }
  n_total <- format(total, scientific = FALSE, big.mark = ",")
  cli::cli_warn(
    c(paste("Left out {n_total} bad {cli::qty(total)}row{?s} (the wrong number of fields, or text that is not",
            "a number where a number is read)."),
      stats::setNames(cli_escape(bullets), rep("*", length(bullets))),
      "i" = "The result's {.code attr(, \"bad_rows\")} is the number left out."),
    class = "parairline_bad_rows_warning", counts = counts, lines = lines, call = call
  )
}

# Text that cli must print as it is.
cli_escape <- function(x) gsub("([{}])", "\\1\\1", x)
