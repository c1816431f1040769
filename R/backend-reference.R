# The two reference backends: serial data.table (what an R user would write
# first) and base R (what a beginner writes). They define the expected answer
# for the C++ backends and show the cost of the obvious approaches.

# Text that counts as missing, in keys and values.
missing_text <- c("", "NA")

# What a number looks like, in keys and values (the C++ core's grammar).
integer_pattern <- "^[-+]?[0-9]+$"
number_pattern <- "^[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?$"

# Text of a value column -> double; a text that is not a finite number is a
# parse error naming the file.
parse_value_column <- function(text, file, value, call) {
  missing <- is.na(text) | text %in% missing_text
  ok <- !missing & grepl(number_pattern, text, useBytes = TRUE)
  x <- rep(NA_real_, length(text))
  x[ok] <- as.numeric(text[ok])
  bad <- !missing & (!ok | !is.finite(x))
  if (any(bad)) {
    i <- which(bad)[1]
    abort_core_error(core_error_record(
      "parse", file, text = text[i],
      message = sprintf("Value %s in column %s is not a number.",
                        encodeString(text[i], quote = "\""), value)
    ), call = call)
  }
  x
}

# What the reference backends read: one input per plain or compressed file,
# one per CSV member of a zip archive (named "archive.zip:member.csv", as the
# C++ core names them). `text` is NULL for a plain file (read from `path`),
# else the decompressed bytes, read through R's own connections: gzfile()
# reads gzip, bzip2 and xz; unz() a zip member; zstd, which R cannot read,
# through the zstd program.
reference_inputs <- function(files, call) {
  inputs <- list()
  for (f in files) {
    format <- file_format(f)
    if (format == "plain") {
      inputs[[length(inputs) + 1L]] <- list(name = f, path = f, text = NULL)
    } else if (format == "zip") {
      members <- read_reference(f, call, utils::unzip(f, list = TRUE)$Name)
      members <- members[grepl("\\.csv$", members, ignore.case = TRUE)]
      if (length(members) == 0L) {
        abort_core_error(core_error_record("io", f, message = "The zip archive has no member whose name ends in \".csv\"."),
                         call = call)
      }
      for (m in members) {
        name <- paste0(f, ":", m)
        inputs[[length(inputs) + 1L]] <- list(name = name, path = f,
                                              text = read_reference(name, call, connection_text(unz(f, m))))
      }
    } else {
      con <- if (format == "zstd") {
        if (!nzchar(Sys.which("zstd"))) {
          abort_input(c("The reference backends read zstd files with the {.code zstd} program, which is not installed.",
                        "i" = "In file {.file {f}}; the C++ backends read it themselves."),
                      class = "parairline_io_error", call = call)
        }
        pipe(paste("zstd -dc --", shQuote(f)))
      } else {
        gzfile(f)
      }
      inputs[[length(inputs) + 1L]] <- list(name = f, path = f, text = read_reference(f, call, connection_text(con)))
    }
  }
  inputs
}

# The format by the first bytes, as the C++ core decides it.
file_format <- function(path) {
  magic <- readBin(path, "raw", 6L)
  starts <- function(bytes) length(magic) >= length(bytes) && all(magic[seq_along(bytes)] == as.raw(bytes))
  if (starts(c(0x1f, 0x8b))) return("gzip")
  if (starts(c(0x42, 0x5a, 0x68))) return("bzip2")
  if (starts(c(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00))) return("xz")
  if (starts(c(0x28, 0xb5, 0x2f, 0xfd))) return("zstd")
  if (starts(c(0x50, 0x4b, 0x03, 0x04)) || starts(c(0x50, 0x4b, 0x05, 0x06))) return("zip")
  "plain"
}

# All of a connection's bytes as one string; a stream that is cut or damaged
# is an error (R's decoders warn and stop early, which would be a short read).
connection_text <- function(con) {
  on.exit(close(con))
  chunks <- list()
  withCallingHandlers({
    open(con, "rb")
    while (length(chunk <- readBin(con, "raw", 16 * 1024^2)) > 0L) chunks[[length(chunks) + 1L]] <- chunk
  }, warning = function(w) stop(conditionMessage(w), call. = FALSE))
  rawToChar(do.call(c, chunks))
}

# Evaluates `read`, a reader's call on file `f`; its errors (an empty file,
# damaged gzip data, no permission) become io errors naming the file.
read_reference <- function(f, call, read) {
  tryCatch(read, error = function(e) {
    abort_core_error(core_error_record("io", f, message = conditionMessage(e)), call = call)
  })
}

# Strings to sort by their bytes: order(method = "radix") sorts strings in
# C-locale order, but stops at a non-ASCII string of unknown encoding, which
# is what read.csv() gives.
as_bytes <- function(x) {
  if (is.character(x)) Encoding(x) <- "bytes"
  x
}

# The reference summaries. Both read every input with every column as text,
# remember the text of every row's keys (the key types come from all rows,
# the ones `where` drops too), keep the rows `where` selects, and aggregate
# them; a value that is not a number is a parse error only in a kept row, as
# a reader who filters first would meet it. Reading text and converting it
# here, rather than taking the readers' own column types, keeps the answer
# the C++ core's: fread() reads "NaN" and "Inf" as numbers, dates as IDate,
# a column with one quoted "NA" as text, and some decimals 1 ulp off
# ("2.658283e-02"); read.csv() reads "T" as TRUE.

summary_datatable <- function(files, query, threads, progress, call) {
  old <- data.table::setDTthreads(threads)
  on.exit(data.table::setDTthreads(old), add = TRUE)
  cols <- summary_columns(query)
  inputs <- reference_inputs(files, call)
  bar <- progress_files(inputs, progress)
  cond <- query$where_expr
  parts <- lapply(inputs, function(input) {
    f <- input$name
    needed <- unique(c(cols$keys, cols$values, cols$where))
    # fread() reads an empty file as no columns, with a warning.
    if (if (is.null(input$text)) file.size(input$path) == 0 else !nzchar(input$text)) {
      abort_core_error(core_error_record("io", f, message = "The file is empty, so it has no header line."),
                       call = call)
    }
    dt <- read_reference(f, call, quiet_reader_warnings(data.table::fread(
      file = if (is.null(input$text)) input$path, text = input$text,
      select = if (length(needed) > 0L) needed, colClasses = "character",
      header = TRUE, na.strings = missing_text, strip.white = FALSE, showProgress = FALSE
    )))
    check_reference_columns(names(dt), needed, f, call)
    # fread keeps a quoted field's doubled quotes doubled (data.table issue
    # #4779); in a CSV file they stand for one.
    for (col in names(dt)) {
      if (is.character(dt[[col]])) data.table::set(dt, j = col, value = gsub("\"\"", "\"", dt[[col]], fixed = TRUE))
    }
    if (".file" %in% query$by) data.table::set(dt, j = ".file", value = rep(f, nrow(dt)))
    rows <- seq_len(nrow(dt))
    if (!is.null(cond)) {
      filter <- data.table::setDT(where_data(dt, cols, f, call))
      rows <- with_c_collation(filter[eval(cond), which = TRUE])
    }
    kept <- dt[rows, query$by, with = FALSE]
    for (i in seq_along(cols$values)) {
      data.table::set(kept, j = value_names(cols$values)[i],
                      value = value_column(dt[[cols$values[i]]][rows], f, cols$values[i], cols, call))
    }
    progress_tick(bar)
    list(keys = as.list(dt)[query$by], rows = rows, data = kept)
  })
  data <- data.table::rbindlist(lapply(parts, `[[`, "data"))
  keys <- typed_keys(parts, query$by)
  for (k in query$by) data.table::set(data, j = k, value = keys[[k]])

  if (nrow(data) == 0L) return(summary_frame(keys, empty_aggregates(query$aggs), query))
  aggs <- lapply(seq_len(nrow(query$aggs)), function(i) aggregate_code(query$aggs[i, ], cols))
  names(aggs) <- query$aggs$name
  j <- as.call(c(as.name("list"), aggs))
  res <- eval(bquote(data[, .(j), keyby = .(query$by)]))
  summary_frame(as.list(res)[query$by], as.list(res)[query$aggs$name], query)
}

summary_base <- function(files, query, progress, call) {
  cols <- summary_columns(query)
  inputs <- reference_inputs(files, call)
  bar <- progress_files(inputs, progress)
  parts <- list()
  for (input in inputs) {
    f <- input$name
    needed <- unique(c(cols$keys, cols$values, cols$where))
    d <- read_reference(f, call, quiet_reader_warnings(if (is.null(input$text)) {
      utils::read.csv(input$path, colClasses = "character", check.names = FALSE, na.strings = missing_text)
    } else {
      utils::read.csv(text = input$text, colClasses = "character", check.names = FALSE,
                      na.strings = missing_text)
    }))
    check_reference_columns(names(d), needed, f, call)
    if (".file" %in% query$by) d$.file <- rep(f, nrow(d))
    rows <- seq_len(nrow(d))
    if (!is.null(query$where_expr)) {
      keep <- with_c_collation(eval(query$where_expr, where_data(d, cols, f, call), baseenv()))
      rows <- which(keep)
    }
    values <- lapply(cols$values, function(v) value_column(d[[v]][rows], f, v, cols, call))
    names(values) <- cols$values
    parts[[length(parts) + 1L]] <- list(keys = as.list(d)[query$by], rows = rows, values = values)
    progress_tick(bar)
  }
  keys <- typed_keys(parts, query$by)
  values <- lapply(cols$values, function(v) unlist(lapply(parts, function(p) p$values[[v]])))
  names(values) <- cols$values

  # Sort the rows by the keys; a group starts wherever a key changes.
  o <- do.call(order, c(lapply(unname(keys), as_bytes), list(na.last = TRUE, method = "radix")))
  keys <- lapply(keys, `[`, o)
  values <- lapply(values, `[`, o)
  n <- length(o)
  changed <- rep(FALSE, max(n - 1L, 0L))
  for (k in keys) {
    a <- k[-1]
    b <- k[-n]
    same <- ifelse(is.na(a) | is.na(b), is.na(a) & is.na(b), a == b)
    changed <- changed | !same
  }
  starts <- if (n > 0L) c(TRUE, changed) else logical()
  group <- factor(cumsum(starts), levels = seq_len(sum(starts)))

  results <- lapply(seq_len(nrow(query$aggs)), function(i) {
    fun <- query$aggs$fun[i]
    na_rm <- query$aggs$na_rm[i]
    if (fun == "n") return(as.integer(table(group)))
    by_group <- split(values[[query$aggs$col[i]]], group)
    switch(fun,
      nmiss = vapply(by_group, function(x) sum(is.na(x)), integer(1)),
      sum = vapply(by_group, sum, double(1), na.rm = na_rm),
      mean = vapply(by_group, mean, double(1), na.rm = na_rm),
      min = vapply(by_group, min_or_na, double(1), na.rm = na_rm),
      max = vapply(by_group, max_or_na, double(1), na.rm = na_rm)
    )
  })
  names(results) <- query$aggs$name
  summary_frame(lapply(keys, `[`, starts), results, query)
}

# The columns a query reads: keys (but not ".file"), values (`numbers` are
# those sum(), mean(), min() or max() read; the others are only counted by
# sum(is.na())), filter columns (`where_numbers`: those compared with numbers
# only).
summary_columns <- function(query) {
  aggs <- query$aggs
  list(keys = setdiff(query$by, ".file"),
       values = unique(aggs$col[!is.na(aggs$col)]),
       numbers = unique(aggs$col[aggs$fun %in% c("sum", "mean", "min", "max")]),
       where = where_columns(query$where),
       where_numbers = setdiff(compared_columns(query$where, "double"),
                               compared_columns(query$where, "character")))
}

# The columns the filter compares with constants of a type.
compared_columns <- function(node, type) {
  if (is.null(node)) return(character())
  switch(node$op,
    and = , or = unique(c(compared_columns(node$args[[1]], type), compared_columns(node$args[[2]], type))),
    not = compared_columns(node$arg, type),
    cmp = if (typeof(node$value) == type) node$col else character(),
    `in` = if (typeof(node$values) == type) node$col else character(),
    character()
  )
}

# Names the value columns take beside the keys (a column may be both).
value_names <- function(values) {
  if (length(values) == 0L) character() else paste0(".v", seq_along(values))
}

# One aggregate as data.table code over the renamed value columns.
aggregate_code <- function(agg, cols) {
  x <- as.name(value_names(cols$values)[match(agg$col, cols$values)])
  switch(agg$fun,
    n = quote(.N),
    nmiss = call("sum", call("is.na", x)),
    sum = call("sum", x, na.rm = agg$na_rm),
    mean = call("mean", x, na.rm = agg$na_rm),
    min = call("min_or_na", x, na.rm = agg$na_rm),
    max = call("max_or_na", x, na.rm = agg$na_rm)
  )
}

empty_aggregates <- function(aggs) {
  out <- lapply(aggs$fun, function(fun) if (fun %in% c("n", "nmiss")) integer() else double())
  names(out) <- aggs$name
  out
}

# min() and max() without R's Inf (and warning) for no values.
min_or_na <- function(x, na.rm = FALSE) {
  if (na.rm) x <- x[!is.na(x)]
  if (length(x) == 0L || anyNA(x)) return(NA_real_)
  min(x)
}

max_or_na <- function(x, na.rm = FALSE) {
  if (na.rm) x <- x[!is.na(x)]
  if (length(x) == 0L || anyNA(x)) return(NA_real_)
  max(x)
}

# A value column's text -> double, or a parse error naming the file. A
# column only counted by sum(is.na()) need not hold numbers: it becomes NA
# where missing, 0 elsewhere.
value_column <- function(text, file, col, cols, call) {
  if (col %in% cols$numbers) return(parse_value_column(text, file, col, call))
  ifelse(is.na(text) | text %in% missing_text, NA_real_, 0)
}

# The filter's columns, as the C++ core compares them: a column compared
# with numbers holds numbers (a field that is not one is a parse error, as
# in the core: comparing text with a number has no right answer); any other
# column (compared with strings, or only tested by is.na()) is its text. ""
# and "NA" are missing, quoted or not.
where_data <- function(d, cols, file, call) {
  out <- lapply(cols$where, function(col) {
    text <- d[[col]]
    text[text %in% missing_text] <- NA_character_
    if (!col %in% cols$where_numbers) return(text)
    parse_value_column(text, file, col, call)
  })
  names(out) <- cols$where
  out
}

# Strings compare byte by byte, whatever the session's locale.
with_c_collation <- function(code) {
  old <- Sys.getlocale("LC_COLLATE")
  if (!identical(old, "C")) {
    Sys.setlocale("LC_COLLATE", "C")
    on.exit(Sys.setlocale("LC_COLLATE", old), add = TRUE)
  }
  code
}

# Readers warn about columns they cannot find (our error to raise) and a last
# line without its newline (which is fine).
quiet_reader_warnings <- function(code) {
  withCallingHandlers(code, warning = function(w) {
    if (grepl("not found|not all columns named|incomplete final line", conditionMessage(w))) {
      invokeRestart("muffleWarning")
    }
  })
}

check_reference_columns <- function(have, needed, file, call) {
  missing <- setdiff(needed, have)
  if (length(missing) > 0L) {
    abort_core_error(core_error_record(
      "parse", file, line = 1,
      message = sprintf("Column %s is not in the header.", encodeString(missing[1], quote = "\""))
    ), call = call)
  }
}

# The kept rows' keys, each column typed from the text of every row of every
# input (".file" stays text).
typed_keys <- function(parts, by) {
  sizes <- vapply(parts, function(p) length(p$keys[[1]]), integer(1))
  offsets <- cumsum(c(0L, sizes))[seq_along(parts)]
  kept <- unlist(Map(function(p, offset) p$rows + offset, parts, offsets), use.names = FALSE)
  if (is.null(kept)) kept <- integer()
  out <- lapply(by, function(k) {
    text <- as.character(unlist(lapply(parts, function(p) p$keys[[k]]), use.names = FALSE))
    if (k == ".file") text[kept] else type_keys(text)[kept]
  })
  names(out) <- by
  out
}

#' Type a key column from its text
#'
#' `""` and `"NA"` are missing. The column is integer when every other value
#' is a whole number within +-2147483647, double when every one is a decimal
#' number, and character otherwise (also when every value is missing).
#' @param x A character vector: every value of the key column.
#' @return `x` as integer, double or character.
#' @noRd
type_keys <- function(x) {
  x[x %in% missing_text] <- NA_character_
  present <- x[!is.na(x)]
  if (length(present) == 0L) return(x)
  if (all(grepl(integer_pattern, present, useBytes = TRUE))) {
    v <- as.numeric(x)
    if (all(abs(v[!is.na(v)]) <= 2147483647)) return(as.integer(v))
  }
  if (all(grepl(number_pattern, present, useBytes = TRUE))) {
    v <- as.numeric(x)
    if (all(is.finite(v[!is.na(x)]))) {
      v[!is.na(v) & v == 0] <- 0  # -0 and 0 are one key
      return(v)
    }
  }
  x
}

# Every backend's result ends here: keys, then the aggregates in the order
# asked for, with their types, sorted by the keys (numbers numerically,
# strings in C-locale byte order, NA last), row names 1..n.
summary_frame <- function(keys, results, query) {
  for (i in seq_along(results)) {
    fun <- query$aggs$fun[i]
    results[[i]] <- if (fun %in% c("n", "nmiss")) as.integer(results[[i]]) else as.double(results[[i]])
  }
  cols <- c(lapply(keys, unname), lapply(results, unname))
  names(cols) <- c(query$by, query$aggs$name)
  sort_summary(list2DF(cols, nrow = length(keys[[1]])), query$by)
}

sort_summary <- function(out, by) {
  o <- do.call(order, c(lapply(unname(as.list(out)[by]), as_bytes), list(na.last = TRUE, method = "radix")))
  out <- out[o, , drop = FALSE]
  row.names(out) <- NULL
  out
}

progress_files <- function(files, progress) {
  if (!progress) return(NULL)
  cli::cli_progress_bar("Reading files", total = length(files), .envir = parent.frame())
}

progress_tick <- function(bar) {
  if (!is.null(bar)) cli::cli_progress_update(id = bar, .envir = parent.frame())
}

# data.table's non-standard evaluation inside this package.
.datatable.aware <- TRUE
utils::globalVariables(".N")
