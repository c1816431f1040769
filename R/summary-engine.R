# The C++ backends behind csv_summarise(): the query as the engine takes it,
# one run on the chosen backend, and the engine's exact accumulators turned
# into the summary's columns. The engine keeps, per group, the row count and
# per value column the exact sum, the missing count, the minimum and the
# maximum; every aggregate is one of those or a ratio of two.

summary_engine <- function(files, query, backend, threads, threads_given, progress, call) {
  eq <- engine_query(query)
  res <- switch(backend,
    tbb = summary_tbb(files, eq, threads, progress, call = call),
    fork = summary_fork(files, eq, threads, progress, call = call),
    # NULL lets each cluster worker use its own cores.
    future = summary_future(files, eq, if (is.null(threads_given)) NULL else threads, progress, call = call)
  )
  dialect_run(engine_frame(res, query), res$bad_rows, engine_seps(res$seps, files))
}

# The engine gives one separator per input, in the order of `files` (a zip
# archive's members each have one); unnamed, they are named by file when
# each file is one input.
engine_seps <- function(seps, files) {
  if (is.null(seps) || !is.null(names(seps))) return(seps)
  if (length(seps) == length(files)) names(seps) <- files
  seps
}

# The value columns the aggregates read, each once, with what they need.
engine_values <- function(aggs) {
  cols <- unique(aggs$col[aggs$fun != "n"])
  needs <- function(funs) {
    vapply(cols, function(col) any(aggs$fun[aggs$col %in% col] %in% funs), logical(1), USE.NAMES = FALSE)
  }
  list(name = cols, numbers = needs(c("sum", "mean", "min", "max")), minmax = needs(c("min", "max")))
}

# The query as the engine reads it (src/summary_r.h): the filter tree
# flattened, children before parents, the root last; numbers as decimal text;
# the dialect as csv_dialect() made it, less what only R uses.
engine_query <- function(query) {
  values <- engine_values(query$aggs)
  list(keys = query$by, values = values, filter = flatten_filter(query$where),
       dialect = engine_dialect(query$dialect), aggs = engine_aggs(query$aggs, values$name))
}

# The aggregates the engine's result columns are, each naming its value
# column by index (from 0; -1 for n()).
engine_aggs <- function(aggs, cols) {
  value <- match(aggs$col, cols) - 1L
  value[is.na(value)] <- -1L
  list(fun = as.character(aggs$fun), value = as.integer(value), na_rm = as.logical(aggs$na_rm))
}

flatten_filter <- function(where) {
  nodes <- list()
  add <- function(node) {
    out <- list(op = node$op, cmp = "==", col = "", a = -1L, b = -1L, nums = character(), strs = character())
    if (node$op %in% c("and", "or")) {
      out$a <- add(node$args[[1]])
      out$b <- add(node$args[[2]])
    } else if (node$op == "not") {
      out$a <- add(node$arg)
    } else {
      out$col <- node$col
      constants <- if (node$op == "cmp") node$value else node$values
      if (node$op == "cmp") out$cmp <- node$cmp
      if (node$op != "is_na") {
        text <- is.character(constants)
        out$op <- paste0(if (node$op == "cmp") "cmp" else "in", if (text) "_str" else "_num")
        if (text) out$strs <- constants else out$nums <- decimal_text(constants)
      }
    }
    nodes[[length(nodes) + 1L]] <<- out
    length(nodes) - 1L
  }
  if (!is.null(where)) add(where)
  nodes
}

# The shortest decimal text that reads back as the same double, so that
# `x > 0.1` compares with the decimal 0.1 the user wrote.
decimal_text <- function(x) {
  vapply(x, function(v) {
    for (digits in 15:17) {
      s <- formatC(v, digits = digits, format = "g", width = 1)
      if (as.numeric(s) == v) break
    }
    s
  }, character(1), USE.NAMES = FALSE)
}

# The engine's result as a data frame: the typed keys, then one column per
# aggregate, made in C++ (src/summary_r.h) on the run's threads.
engine_frame <- function(res, query) {
  out <- c(stats::setNames(res$keys, query$by), stats::setNames(res$columns, query$aggs$name))
  structure(out, class = "data.frame", row.names = .set_row_names(length(res$keys[[1L]])))
}

# The column names of a file (of its first CSV member if a zip archive), its
# header found and split as `dialect` says (NULL: the default dialect).
engine_header <- function(path, dialect = NULL, call = rlang::caller_env()) {
  res <- cpp_header(path.expand(path), engine_dialect(dialect))
  if (!is.null(res$error)) abort_core_error(res$error, call = call)
  res$names
}
