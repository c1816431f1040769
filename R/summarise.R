#' Summarise columns by groups over many CSV files
#'
#' Groups the rows of every file by the key columns in `by` and computes the
#' named aggregates in `...`, as `dplyr::summarise()` does for a data frame,
#' optionally keeping only the rows for which `where` is true. The files are
#' never loaded whole: the C++ backends stream them in byte-range chunks.
#'
#' @section Aggregates:
#' Each argument in `...` is one aggregate of one column:
#' * `n()`: rows in the group (integer).
#' * `sum(col)`, `mean(col)`, `min(col)`, `max(col)` (double). As in base R,
#'   the result is `NA` when the group has a missing value, unless
#'   `na.rm = TRUE`. With `na.rm = TRUE` and no value left, `sum()` is 0,
#'   `mean()` is `NaN`, and `min()` and `max()` are `NA` (not base R's `Inf`
#'   with a warning).
#' * `sum(is.na(col))`: missing values in the group (integer).
#'
#' A missing value is an empty field or a text in `na.strings` (by default
#' `""` and `"NA"`). A column is a bare name, or
#' `.data$name` or `.data[["name"]]` (`.data[[var]]` takes the name from the
#' variable `var`). An unnamed aggregate is named by its expression, such as
#' `"sum(DISTANCE)"`. A value that is not a number is an error of class
#' `parairline_parse_error` naming the file and line (or, with
#' `bad_rows = "skip"`, leaves its row out; see the Dialects section);
#' anything else in `...` is an error
#' of class `parairline_input_error` quoting what cannot be computed.
#'
#' @section Filter:
#' `where` is a condition on columns, written as in `dplyr::filter()`:
#' comparisons (`==`, `!=`, `<`, `<=`, `>`, `>=`) of a column with a constant,
#' `col %in% c(...)`, `is.na(col)`, combined with `!`, `&`, `|` and
#' parentheses. Rows where the condition is `NA` (a comparison with a missing
#' value) are dropped, as `dplyr::filter()` drops them. Names in the header of
#' the first file are columns; any other name is a variable of the calling
#' environment, and `.data$x` and `.env$x` say which is meant. A part of the
#' condition that names no column is evaluated first, so
#' `DISTANCE >= 2 * min_distance` works. Constants are finite numbers or
#' strings (`NA` is never equal to anything: use `is.na()`). Numbers compare as
#' exact decimals (`"0.10"` equals `0.1`); strings compare byte by byte. A
#' field that is not a number where the condition compares it with a number
#' is an error of class `parairline_parse_error` naming the file and line (a
#' text compared with a number has no right answer). `x %in% c(...)` is
#' `FALSE` for a missing `x`, as in R.
#' Comparing two columns, arithmetic on a column, `&&`, `||` and other
#' functions are errors of class `parairline_input_error`.
#'
#' @section Keys:
#' Each key column gets one type from all its values in all files, the rows
#' `where` drops included: the texts in `na.strings` are missing, and so are
#' empty ones in a column of numbers; the column is integer
#' if every other value is a whole number within +-2147483647, double if
#' every one is a decimal number (such as `-1.5`, `.5` or `2e3`, or `-1,5`
#' with `dec = ","`), and character
#' otherwise (dates and logicals stay text; an empty text is then a key of its
#' own, `""`, unless `na.strings` lists it). Values that read as the same
#' number (`"01"` and `"1"`) are one group. The key `".file"` is the name of
#' each input: its path as given (after directories and globs are expanded),
#' or `"archive.zip:member.csv"` for the members of a zip archive. Rows are
#' sorted by the keys, first key first: numbers numerically, strings in
#' C-locale (byte) order, missing values last.
#'
#' @section Dialects:
#' `sep`, `dec`, `quote`, `skip` and `na.strings` say how the files are
#' written, with the names and meanings of [data.table::fread()] and
#' [utils::read.csv()]. Every backend reads them alike (the reference ones
#' through those readers' own arguments):
#' * `sep = "auto"` chooses per file among `","`, `"\t"`, `"|"` and `";"` (not
#'   the quote or the decimal mark), from the header and the 30 lines after it
#'   (blank lines left out; a quoted field may span lines): those that split
#'   the header into 2 or more fields and every one of those lines into as
#'   many qualify, and the one with most fields wins; if none qualifies, the
#'   one with most fields in the header; if none occurs in it, `","` (`";"`
#'   with `dec = ","`). Ties go in the order above. `verbose = TRUE` says what
#'   it chose.
#' * With `dec = ","`, `"1,5"` is 1.5 and `"1.5"` is not a number (in values,
#'   comparisons and keys alike); sums stay exact.
#' * `quote = ""` reads quotes as data. A quote anywhere in a field opens or
#'   closes quoting; a doubled quote in a quoted field stands for one.
#' * `skip = n` drops the first `n` lines before the header; `skip = "text"`
#'   takes as the header the first line that contains `"text"`. A file with
#'   too few lines, or no line with the text, is an error of class
#'   `parairline_io_error`.
#' * Line ends are `\n`, `\r\n` or a bare `\r`, found per file from its
#'   first line end; `\n` and `\r\n` may mix. In a file that also has the
#'   other kind, those bytes are data, not line ends, and the rows around them
#'   are errors (bad rows with `bad_rows = "skip"`), never silently short.
#'   Blank lines are skipped.
#' * Missing values: a text in `na.strings` is missing everywhere, quoted or
#'   not. An empty field is missing wherever a number is read (value columns,
#'   `is.na()`, comparisons with numbers, key columns of numbers), but in a
#'   comparison with strings and in a character key column it is the text
#'   `""`, unless `na.strings` lists `""`.
#' * Bad rows: a row with more or fewer fields than the header; a row whose
#'   field `where` compares with a number is not a number (where the
#'   condition gets to that comparison: `&` and `|` read their right side
#'   only when the left one does not decide); a row `where` keeps whose value
#'   for `sum()`, `mean()`, `min()` or `max()` is not a number. With
#'   `bad_rows = "error"` (the default) the first one is an error of class
#'   `parairline_parse_error` naming the file and line. With
#'   `bad_rows = "skip"` bad rows are left out whole (they are in no group,
#'   count in no `n()` and do not type the keys), and the call warns once,
#'   with class `parairline_bad_rows_warning`, giving their number in each
#'   file and the lines of the first ones (the condition's fields `counts`
#'   and `lines`); the result's attribute `"bad_rows"` is their total (0 when
#'   there are none).
#'
#' @inheritParams csv_group_sum
#' @param by Names of the key columns (one or more, distinct), which may
#'   include `".file"`, the input each row comes from.
#' @param ... Named aggregates such as `flights = n()` or
#'   `distance = sum(DISTANCE)`; see the Aggregates section.
#' @param where `NULL` (every row), or a condition on columns; see the
#'   Filter section.
#' @return A data frame with one row per group: the key columns in `by`, typed
#'   as described in the Keys section, then the aggregates in the order given.
#'   A group exists if at least one row passes `where`. With
#'   `bad_rows = "skip"`, the attribute `"bad_rows"` is the number of rows
#'   left out (see the Dialects section).
#' @seealso [csv_group_sum()] for the backends, and the simple sums it makes
#'   with this function.
#' @export
#' @examples
#' files <- airontime_sample()
#' min_distance <- 500
#' csv_summarise(files, by = c("MONTH", "UNIQUE_CARRIER"),
#'               flights = n(), distance = sum(DISTANCE),
#'               mean_delay = mean(ARR_DELAY, na.rm = TRUE),
#'               worst = max(ARR_DELAY, na.rm = TRUE),
#'               no_delay = sum(is.na(ARR_DELAY)),
#'               where = CANCELLED == 0 & DISTANCE >= min_distance,
#'               threads = 2)
#' csv_summarise(files, by = ".file", n(), backend = "datatable", threads = 1)
#'
#' # A file of another dialect: semicolons, decimal commas, a title line.
#' path <- tempfile(fileext = ".csv")
#' writeLines(c("Flights of one day", "carrier;distance;delay",
#'              "AA;1234,5;-3", "UA;987,25;NA", "AA;100;12,5", "UA;n/a;0"), path)
#' csv_summarise(path, "carrier", flights = n(), distance = sum(distance),
#'               delay = mean(delay, na.rm = TRUE),
#'               sep = ";", dec = ",", skip = 1, na.strings = c("", "NA", "n/a"),
#'               threads = 1)
#' # The separator found from the file; "n/a" not a number, its row left out
#' # with a warning.
#' csv_summarise(path, "carrier", flights = n(), distance = sum(distance),
#'               sep = "auto", dec = ",", skip = "carrier", bad_rows = "skip",
#'               threads = 1)
#' unlink(path)
csv_summarise <- function(files, by, ..., where = NULL,
                          backend = c("tbb", "fork", "future", "datatable", "base"),
                          threads = NULL, progress = interactive(),
                          sep = ",", dec = ".", quote = "\"", skip = 0, na.strings = c("", "NA"),
                          bad_rows = c("error", "skip"), verbose = FALSE) {
  call <- rlang::current_env()
  backend <- arg_match_input(backend, backends, call = call)
  files <- resolve_files(files, call = call)
  check_column_names(by, "by", call = call)
  threads_given <- threads
  threads <- check_threads(threads, call = call)
  check_flag(progress, "progress", call = call)
  dialect <- csv_dialect(sep = sep, dec = dec, quote = quote, skip = skip, na.strings = na.strings,
                         bad_rows = bad_rows, verbose = verbose, call = call)
  query <- summary_query(files, by, rlang::enquos(..., .ignore_empty = "all"), rlang::enquo(where),
                         call = call, dialect = dialect)
  run_summary(files, query, backend, threads, threads_given, progress, call)
}

# The query every backend runs (the contract with the engine's glue):
# `by`; `aggs`, a data frame of name, fun (one of aggregate_funs), col
# (NA for n()) and na_rm; `where`, NULL or a node tree; `where_expr`, NULL or
# the same condition as R code (where_call()); `dialect`, as csv_dialect()
# makes it.
summary_query <- function(files, by, aggs, where, call, dialect = csv_dialect()) {
  aggs <- translate_aggregates(aggs, by, call)
  tree <- NULL
  if (!rlang::quo_is_null(where)) {
    tree <- translate_where(where, engine_header(files[1], dialect, call = call), files[1], call)
  }
  list(by = by, aggs = aggs, where = tree, where_expr = if (!is.null(tree)) where_call(tree),
       dialect = dialect)
}

# The one place a backend is chosen by name. `threads` is checked;
# `threads_given` is what the user gave (NULL lets each "future" worker use
# its own cores). Every run ends in dialect_report().
run_summary <- function(files, query, backend, threads, threads_given, progress, call) {
  run <- switch(backend,
    tbb = , fork = , future = summary_engine(files, query, backend, threads, threads_given,
                                             progress, call),
    datatable = summary_datatable(files, query, threads, progress, call),
    base = summary_base(files, query, progress, call)
  )
  dialect_report(run, query$dialect, call)
}

# Key (and value) column names: one or more distinct, non-empty strings.
check_column_names <- function(x, arg, call, several = TRUE) {
  if (!several) return(check_column_name(x, arg, call = call))
  if (!is.character(x) || length(x) == 0L || anyNA(x) || !all(nzchar(x))) {
    abort_input(c("{.arg {arg}} must be one or more column names (non-empty strings).",
                  "x" = "Got {.obj_type_friendly {x}}."), call = call)
  }
  if (anyDuplicated(x)) {
    abort_input("{.arg {arg}} names {.val {unique(x[duplicated(x)])}} more than once.", call = call)
  }
}

# ---- Aggregates -------------------------------------------------------------

aggregate_funs <- c("n", "sum", "mean", "min", "max", "nmiss")

aggregate_help <- paste(
  "Aggregates are {.code n()}, {.code sum(col)}, {.code mean(col)}, {.code min(col)},",
  "{.code max(col)} (each with {.code na.rm = TRUE} or {.code FALSE}) and",
  "{.code sum(is.na(col))}."
)

# Quosures of `...` -> the query's `aggs` data frame.
translate_aggregates <- function(quos, by, call) {
  labels <- names(quos)
  if (is.null(labels)) labels <- rep("", length(quos))
  rows <- lapply(seq_along(quos), function(i) {
    expr <- rlang::quo_get_expr(quos[[i]])
    name <- if (nzchar(labels[i])) labels[i] else expr_text(expr)
    shown <- if (nzchar(labels[i])) paste(labels[i], "=", expr_text(expr)) else expr_text(expr)
    agg <- translate_aggregate(expr, rlang::quo_get_env(quos[[i]]), shown, call)
    data.frame(name = name, fun = agg$fun, col = agg$col, na_rm = agg$na_rm,
               stringsAsFactors = FALSE)
  })
  aggs <- if (length(rows) > 0L) {
    do.call(rbind, rows)
  } else {
    data.frame(name = character(), fun = character(), col = character(), na_rm = logical(),
               stringsAsFactors = FALSE)
  }
  clash <- unique(aggs$name[duplicated(aggs$name) | aggs$name %in% by])
  if (length(clash) > 0L) {
    abort_input(c("Each aggregate needs a name of its own, not the name of a key or another aggregate.",
                  "x" = "Used twice: {.val {clash}}."),
                call = call)
  }
  rownames(aggs) <- NULL
  aggs
}

# One aggregate expression -> list(fun, col, na_rm); `shown` is how error
# messages quote it.
translate_aggregate <- function(expr, env, shown, call) {
  fail <- function(...) {
    abort_input(c("Can't compute {.code {shown}}.", ...), call = call)
  }
  if (!is.call(expr) || !is.symbol(expr[[1]])) {
    fail("x" = "It is not a call of an aggregate function.", "i" = aggregate_help)
  }
  fun <- as.character(expr[[1]])
  args <- call_args(expr)
  if (fun == "n") {
    if (length(args) > 0L) fail("x" = "{.code n()} takes no arguments.")
    return(list(fun = "n", col = NA_character_, na_rm = FALSE))
  }
  if (!fun %in% c("sum", "mean", "min", "max")) {
    fail("x" = "{.code {fun}()} is not an aggregate parairline computes.", "i" = aggregate_help)
  }
  arg_names <- rlang::names2(args)
  if (sum(arg_names == "") != 1L || !all(arg_names[arg_names != ""] == "na.rm") ||
      sum(arg_names == "na.rm") > 1L) {
    fail("x" = "{.code {fun}()} takes one column and, optionally, {.code na.rm = TRUE} or {.code FALSE}.")
  }
  na_rm <- FALSE
  if (any(arg_names == "na.rm")) {
    na_rm <- tryCatch(rlang::eval_tidy(args[["na.rm"]], data = list(), env = env),
                      error = function(e) NULL)
    if (!is.logical(na_rm) || length(na_rm) != 1L || is.na(na_rm)) {
      fail("x" = "{.code na.rm} must be {.code TRUE} or {.code FALSE}.")
    }
  }
  x <- args[[which(arg_names == "")]]
  if (fun == "sum" && is.call(x) && identical(x[[1]], quote(is.na))) {
    inner <- call_args(x)
    col <- if (length(inner) == 1L && is.null(names(inner))) aggregate_column(inner[[1]], env)
    if (is.null(col)) fail("x" = "{.code is.na()} takes one column.")
    check_aggregate_column(col, fail)
    return(list(fun = "nmiss", col = col, na_rm = FALSE))
  }
  col <- aggregate_column(x, env)
  if (is.null(col)) {
    fail("x" = "{.code {expr_text(x)}} is not a column.",
         "i" = "An aggregate takes a column by its name, {.code .data$name} or {.code .data[[\"name\"]]}.")
  }
  check_aggregate_column(col, fail)
  list(fun = fun, col = col, na_rm = na_rm)
}

check_aggregate_column <- function(col, fail) {
  if (identical(col, ".file")) {
    fail("x" = "{.code .file} is the input's name, a key for {.arg by}, not a column to aggregate.")
  }
}

# The column an aggregate's argument names, or NULL.
aggregate_column <- function(x, env) {
  x <- strip_parens(x)
  if (is.symbol(x)) {
    name <- as.character(x)
    if (!nzchar(name) || name %in% c(".data", ".env")) return(NULL)
    return(name)
  }
  if (is_pronoun(x, ".data")) return(pronoun_name(x, env))
  NULL
}

# ---- The filter -------------------------------------------------------------

compare_ops <- c("==", "!=", "<", "<=", ">", ">=")
# x OP c is c FLIP(OP) x.
flipped_ops <- c("==" = "==", "!=" = "!=", "<" = ">", "<=" = ">=", ">" = "<", ">=" = "<=")
arithmetic_ops <- c("+", "-", "*", "/", "^", "%%", "%/%")

# (The operators go in as values: cli 3.6 cannot format a literal `{.code <}`.)
where_help <- paste(
  "{.arg where} takes comparisons of a column with a constant ({.code {compare_ops}}),",
  "{.code col %in% c(...)} and {.code is.na(col)}, combined with {.code !}, {.code &}, {.code |}",
  "and parentheses."
)

# The quosure of `where` -> the query's node tree. `header` is the first
# input's column names, which decide what a bare name means.
translate_where <- function(quo, header, first_file, call) {
  ctx <- list(env = rlang::quo_get_env(quo), header = header, first_file = first_file, call = call)
  where_node(rlang::quo_get_expr(quo), ctx)
}

where_node <- function(x, ctx) {
  if (!has_column(x, ctx)) {
    value <- eval_constant(x, ctx)
    where_fail(x, ctx, "x" = "It names no column, so it is the constant {.code {value_text(value)}}, not a condition on rows.")
  }
  if (is.symbol(x) || is_pronoun(x, ".data")) {
    col <- column_name(x, ctx)
    where_fail(x, ctx, "x" = "{.field {col}} is a column, not a condition.",
               "i" = "Compare it with a value, such as {.code {col} == 1}.")
  }
  fun <- if (is.symbol(x[[1]])) as.character(x[[1]]) else ""
  args <- call_args(x)
  if (fun == "(" && length(args) == 1L) return(where_node(args[[1]], ctx))
  if (fun == "!" && length(args) == 1L) return(list(op = "not", arg = where_node(args[[1]], ctx)))
  if (fun %in% c("&", "|") && length(args) == 2L) {
    return(list(op = if (fun == "&") "and" else "or",
                args = list(where_node(args[[1]], ctx), where_node(args[[2]], ctx))))
  }
  if (fun %in% c("&&", "||")) {
    where_fail(x, ctx, "x" = "{.code {fun}} combines single values, not columns.",
               "i" = "Use {.code {substr(fun, 1, 1)}}, which works row by row.")
  }
  if (fun %in% compare_ops && length(args) == 2L) return(where_compare(x, fun, args, ctx))
  if (fun == "%in%" && length(args) == 2L) return(where_in(x, args, ctx))
  if (fun == "is.na" && length(args) == 1L && is.null(names(args))) {
    col <- column_name(args[[1]], ctx)
    if (is.null(col)) {
      where_fail(x, ctx, "x" = "{.code is.na()} takes a column, not {.code {expr_text(args[[1]])}}.")
    }
    return(list(op = "is_na", col = col))
  }
  if (fun %in% arithmetic_ops) {
    where_fail(x, ctx, "x" = "Arithmetic on a column is not a condition.", "i" = where_help)
  }
  what <- if (nzchar(fun)) "{.code {fun}()} is not supported in {.arg where}." else
    "This call is not supported in {.arg where}."
  where_fail(x, ctx, "x" = what, "i" = where_help)
}

where_compare <- function(x, op, args, ctx) {
  cols <- lapply(args, column_name, ctx = ctx)
  if (!is.null(cols[[1]]) && !is.null(cols[[2]])) {
    where_fail(x, ctx, "x" = "It compares two columns, {.field {cols[[1]]}} and {.field {cols[[2]]}}.",
               "i" = "A comparison takes one column and a constant.")
  }
  if (is.null(cols[[1]]) && is.null(cols[[2]])) {
    side <- if (has_column(args[[1]], ctx)) args[[1]] else args[[2]]
    where_fail(side, ctx, "x" = "A comparison's sides must be a column and a constant; this computes with a column.",
               "i" = "Arithmetic and functions of columns are not supported.")
  }
  i <- if (is.null(cols[[1]])) 2L else 1L
  other <- args[[3L - i]]
  if (has_column(other, ctx)) {
    where_fail(other, ctx, "x" = "A comparison's sides must be a column and a constant; this computes with a column.",
               "i" = "Arithmetic and functions of columns are not supported.")
  }
  value <- eval_constant(other, ctx)
  value <- check_constant(value, x, cols[[i]], ctx)
  list(op = "cmp", col = cols[[i]], cmp = if (i == 1L) op else flipped_ops[[op]], value = value)
}

where_in <- function(x, args, ctx) {
  col <- column_name(args[[1]], ctx)
  if (is.null(col) || has_column(args[[2]], ctx)) {
    where_fail(x, ctx, "x" = "{.code %in%} takes a column on its left and constants on its right.")
  }
  values <- eval_constant(args[[2]], ctx)
  values <- check_constant(values, x, col, ctx, several = TRUE)
  list(op = "in", col = col, values = values)
}

# A constant of a comparison: one finite number or one string (several, and
# none, for %in%), returned as a plain double or character vector.
check_constant <- function(value, x, col, ctx, several = FALSE) {
  shown <- value_text(value)
  missing_value <- function() {
    where_fail(x, ctx, "x" = "It compares with {.code NA}, which matches no row.",
               "i" = "Use {.code is.na({col})} for the rows where {.field {col}} is missing.")
  }
  if (is.logical(value) && length(value) > 0L && all(is.na(value))) missing_value()
  if (is.logical(value)) {
    where_fail(x, ctx, "x" = "The constant {.code {shown}} is logical; columns compare with numbers or strings.")
  }
  if (!(is.numeric(value) || is.character(value))) {
    where_fail(x, ctx, "x" = "The constant is {.obj_type_friendly {value}}; columns compare with numbers or strings.")
  }
  if (any(is.na(value) & !is.nan(value))) missing_value()
  if (is.numeric(value) && !all(is.finite(value))) {
    where_fail(x, ctx, "x" = "The constant {.code {shown}} is not a finite number.")
  }
  if (!several && length(value) != 1L) {
    where_fail(x, ctx, "x" = "The constant has {length(value)} values; a comparison takes one.",
               "i" = if (length(value) > 1L) "Use {.code {col} %in% c(...)} to match any of several values.")
  }
  if (is.numeric(value)) as.vector(value, "double") else as.vector(value, "character")
}

# The bullets in `...` are interpolated in the caller's frame.
where_fail <- function(part, ctx, ..., .envir = parent.frame()) {
  env <- new.env(parent = .envir)
  env$where_part <- expr_text(part)
  abort_input(c("Can't use {.code {where_part}} in {.arg where}.", ...), call = ctx$call, .envir = env)
}

# Does `x` refer to a column? Bare names in the header, and .data$x, do;
# .env$x and what follows `$` or `::` do not.
has_column <- function(x, ctx) {
  if (is.symbol(x)) return(is_header_name(as.character(x), ctx))
  if (!is.call(x)) return(FALSE)
  if (is_pronoun(x, ".data")) return(TRUE)
  if (is_pronoun(x, ".env")) return(FALSE)
  head <- x[[1]]
  if (is.symbol(head) && as.character(head) %in% c("::", ":::", "~", "function", "quote")) return(FALSE)
  if (is.symbol(head) && as.character(head) %in% c("$", "@")) return(has_column(x[[2]], ctx))
  if (is.call(head) && has_column(head, ctx)) return(TRUE)
  any(vapply(call_args(x), has_column, logical(1), ctx = ctx))
}

is_header_name <- function(name, ctx) nzchar(name) && name %in% ctx$header

# The column `x` names (a header name, .data$x or .data[["x"]], in
# parentheses or not), or NULL.
column_name <- function(x, ctx) {
  x <- strip_parens(x)
  if (is.symbol(x)) {
    name <- as.character(x)
    return(if (is_header_name(name, ctx)) name)
  }
  if (is_pronoun(x, ".data")) {
    name <- pronoun_name(x, ctx$env)
    if (is.null(name)) where_fail(x, ctx, "x" = "{.code .data[[ ]]} needs a single column name.")
    return(name)
  }
  NULL
}

# Evaluates a part of `where` that names no column, in the caller's
# environment (with the .env pronoun).
eval_constant <- function(x, ctx) {
  tryCatch(
    rlang::eval_tidy(x, data = list(), env = ctx$env),
    error = function(e) {
      names <- setdiff(all.vars(x), c(".env", ".data"))
      unknown <- names[!vapply(names, exists, logical(1), envir = ctx$env)]
      if (length(unknown) > 0L) {
        name <- unknown[1]
        where_fail(x, ctx, "x" = paste("{.code {name}} is neither a column of {.file {ctx$first_file}}",
                                       "nor a variable where {.arg where} was written."))
      }
      where_fail(x, ctx, "x" = "It names no column, and evaluating it failed: {conditionMessage(e)}")
    }
  )
}

# The query's node tree -> the same condition as R code over bare column
# names with the constants inlined, which the reference backends evaluate.
where_call <- function(node) {
  switch(node$op,
    and = call("&", where_call(node$args[[1]]), where_call(node$args[[2]])),
    or = call("|", where_call(node$args[[1]]), where_call(node$args[[2]])),
    not = call("!", where_call(node$arg)),
    is_na = call("is.na", as.name(node$col)),
    cmp = call(node$cmp, as.name(node$col), node$value),
    `in` = call("%in%", as.name(node$col), node$values)
  )
}

# The columns a node tree reads.
where_columns <- function(node) {
  if (is.null(node)) return(character())
  switch(node$op,
    and = , or = unique(c(where_columns(node$args[[1]]), where_columns(node$args[[2]]))),
    not = where_columns(node$arg),
    node$col
  )
}

# ---- Expression helpers -----------------------------------------------------

# A call's arguments, without the empty ones of x[, 1] (which cannot be
# passed around as values).
call_args <- function(x) {
  args <- as.list(x)[-1]
  present <- vapply(seq_along(args), function(i) !rlang::is_missing(args[[i]]), logical(1))
  args[present]
}

strip_parens <- function(x) {
  while (is.call(x) && identical(x[[1]], quote(`(`)) && length(x) == 2L) x <- x[[2]]
  x
}

# .data$x, .data[["x"]], .env$x and so on.
is_pronoun <- function(x, pronoun) {
  is.call(x) && length(x) == 3L &&
    (identical(x[[1]], quote(`$`)) || identical(x[[1]], quote(`[[`))) &&
    identical(x[[2]], as.name(pronoun))
}

# The name in .data$x or .data[[expr]] (expr evaluated in `env`), or NULL.
pronoun_name <- function(x, env) {
  i <- x[[3]]
  if (identical(x[[1]], quote(`[[`))) {
    i <- tryCatch(rlang::eval_tidy(i, data = list(), env = env), error = function(e) NULL)
  } else if (is.symbol(i)) {
    i <- as.character(i)
  }
  if (!is.character(i) || length(i) != 1L || is.na(i) || !nzchar(i)) return(NULL)
  i
}

expr_text <- function(x) {
  paste(trimws(deparse(x, width.cutoff = 500L)), collapse = " ")
}

value_text <- function(value) {
  text <- tryCatch(expr_text(value), error = function(e) "?")
  if (nchar(text) > 60L) text <- paste0(substr(text, 1L, 57L), "...")
  text
}
