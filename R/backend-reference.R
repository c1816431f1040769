# The two reference backends: serial data.table (what an R user would write
# first) and base R (what a beginner writes). They define the expected answer
# for the C++ backends and show the cost of the obvious approaches.

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

# The reference summaries. Both read every input with every column as text
# (reference_read()), make of each input its rows' keys, the rows `where`
# keeps and their values (reference_part()), type the keys from all rows,
# the ones `where` drops too, and aggregate the kept rows. A value that is
# not a number is a problem only in a kept row, as a reader who filters
# first would meet it. Reading text and converting it here, rather than
# taking the readers' own column types, keeps the answer the C++ core's:
# fread() reads "NaN" and "Inf" as numbers, dates as IDate, a column with one
# quoted "NA" as text, and some decimals 1 ulp off ("2.658283e-02");
# read.csv() reads "T" as TRUE.

summary_datatable <- function(files, query, threads, progress, call) {
  old <- data.table::setDTthreads(threads)
  on.exit(data.table::setDTthreads(old), add = TRUE)
  cols <- summary_columns(query)
  inputs <- reference_inputs(files, call)
  bar <- progress_files(inputs, progress)
  parts <- lapply(inputs, function(input) {
    part <- reference_part(input, query, cols, "fread", call)
    progress_tick(bar)
    part
  })
  keys <- typed_keys(parts, query$by, query$dialect)
  values <- kept_values(parts, cols$values)
  names(values) <- value_names(cols$values)
  data <- data.table::as.data.table(c(keys, values))
  if (nrow(data) == 0L) {
    frame <- summary_frame(keys, empty_aggregates(query$aggs), query)
  } else {
    aggs <- lapply(seq_len(nrow(query$aggs)), function(i) aggregate_code(query$aggs[i, ], cols))
    names(aggs) <- query$aggs$name
    j <- as.call(c(as.name("list"), aggs))
    res <- eval(bquote(data[, .(j), keyby = .(query$by)]))
    frame <- summary_frame(as.list(res)[query$by], as.list(res)[query$aggs$name], query)
  }
  dialect_run(frame, reference_bad_rows(parts), reference_seps(parts))
}

summary_base <- function(files, query, progress, call) {
  cols <- summary_columns(query)
  inputs <- reference_inputs(files, call)
  bar <- progress_files(inputs, progress)
  parts <- list()
  for (input in inputs) {
    parts[[length(parts) + 1L]] <- reference_part(input, query, cols, "read.csv", call)
    progress_tick(bar)
  }
  keys <- typed_keys(parts, query$by, query$dialect)
  values <- kept_values(parts, cols$values)

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
  frame <- summary_frame(lapply(keys, `[`, starts), results, query)
  dialect_run(frame, reference_bad_rows(parts), reference_seps(parts))
}

# One input as the references summarise it: list(name, sep; keys, the text
# of each key of every row that is not bad (".file" the input's name); rows,
# those of them `where` keeps; values, per value column the kept rows'
# numbers (a column only counted by sum(is.na()) is NA where missing, else
# 0); bad, the rows left out: list(count, lines)). A bad row has the wrong
# number of fields, a field `where` compares with a number that is not one,
# or, in a kept row, a value to sum that is not one; with bad_rows = "error"
# the first of them (by line) is a parse error.
reference_part <- function(input, query, cols, reader, call) {
  dialect <- query$dialect
  f <- input$name
  needed <- unique(c(cols$keys, cols$values, cols$where))
  read <- reference_read(input, needed, dialect, reader, call)
  d <- read$data
  n <- length(read$lines)
  keep <- rep(TRUE, n)
  failed <- rep(NA_character_, n)  # per bad row, the column that made it bad
  in_filter <- rep(FALSE, n)
  if (!is.null(query$where)) {
    truth <- with_c_collation(filter_truth(query$where, d, dialect))
    keep <- truth$value == truth_codes[["yes"]]
    in_filter <- truth$value == truth_codes[["fail"]]
    failed[in_filter] <- truth$col[in_filter]
  }
  values <- list()
  for (v in cols$values) {
    if (v %in% cols$numbers) {
      p <- parse_numbers(d[[v]], dialect)
      failed[keep & is.na(failed) & p$bad] <- v
      values[[v]] <- p$x
    } else {
      values[[v]] <- ifelse(na_number(d[[v]], dialect), NA_real_, 0)
    }
  }
  bad <- !is.na(failed)
  # The rows of the wrong width were never read: only their lines are known.
  lines <- c(read$bad$lines, read$lines[bad])
  if (length(lines) > 0L && dialect$bad_rows == "error") {
    i <- which.min(lines)
    if (i <= length(read$bad$lines)) {
      err <- core_error_record("parse", f, line = lines[i], message = read$bad$messages[i])
    } else {
      j <- which(bad)[i - length(read$bad$lines)]
      text <- d[[failed[j]]][j]
      err <- core_error_record("parse", f, line = lines[i], text = text, message = paste0(
        sprintf("Value %s in column %s is not a number.", encodeString(text, quote = "\""), failed[j]),
        if (in_filter[j]) " The filter compares it with a number."
      ))
    }
    abort_core_error(err, call = call)
  }
  good <- !bad
  keep <- keep & good
  keys <- lapply(query$by, function(k) if (k == ".file") rep(f, sum(good)) else d[[k]][good])
  names(keys) <- query$by
  list(name = f, sep = read$sep, keys = keys, rows = which(keep[good]),
       values = lapply(values, `[`, keep),
       bad = list(count = length(lines), lines = utils::head(sort(lines), 5L)))
}

# The kept rows' values of every part, per value column.
kept_values <- function(parts, value_cols) {
  out <- lapply(value_cols, function(v) unlist(lapply(parts, function(p) p$values[[v]]), use.names = FALSE))
  names(out) <- value_cols
  out
}

# The rows left out, per input that has any, as the engine reports them.
reference_bad_rows <- function(parts) {
  parts <- Filter(function(p) p$bad$count > 0L, parts)
  list(file = vapply(parts, `[[`, "", "name"),
       count = vapply(parts, function(p) as.double(p$bad$count), 0),
       lines = lapply(parts, function(p) as.double(p$bad$lines)))
}

reference_seps <- function(parts) {
  stats::setNames(vapply(parts, `[[`, "", "sep"), vapply(parts, `[[`, "", "name"))
}

# ---- Reading ----------------------------------------------------------------

# One input read with fread() or read.csv(), as the dialect says, every
# needed column as text: list(data, a list of the columns; lines, the
# physical line each row starts on; bad, the rows of the wrong width (their
# lines and messages), which are not in `data`; sep, the separator used).
# The readers do not say which rows have the wrong number of fields
# (read.csv() pads short rows and wraps long ones; fread() stops early with
# a warning), so count.fields() counts them first, with the same separator,
# quote and skip, and such rows are cut out of the text the readers get. The
# rows they read must then be the rows counted: any other number (line ends
# the two read differently) is an error, never a short answer.
reference_read <- function(input, needed, dialect, reader, call) {
  f <- input$name
  if (if (is.null(input$text)) file.size(input$path) == 0 else !nzchar(input$text)) {
    abort_core_error(core_error_record("io", f, message = "The file is empty, so it has no header line."),
                     call = call)
  }
  skip <- reference_skip(input, dialect, call)
  sep <- reference_sep(input, skip, dialect)
  rec <- reference_records(input, skip, sep, dialect, call)
  cut <- rec$bad
  text <- input$text
  if (any(cut)) {
    text <- drop_lines(input_text(input, call), unlist(Map(seq, skip + rec$start[cut], skip + rec$end[cut])))
  }
  source <- list(path = if (is.null(text)) input$path, text = text)
  d <- read_reference(f, call, quiet_reader_warnings(
    if (reader == "fread") {
      fread_text(source, needed, sep, skip, dialect)
    } else {
      read_csv_text(source, sep, skip, dialect)
    }
  ))
  check_reference_columns(names(d), needed, f, call)
  expected <- sum(!cut)
  if (nrow(d) != expected) {
    abort_core_error(core_error_record("parse", f, message = sprintf(
      "%s read %d rows where the file has %d of the header's %d fields; does it mix line ends?",
      if (reader == "fread") "data.table::fread()" else "utils::read.csv()", nrow(d), expected, rec$ncol
    )), call = call)
  }
  data <- lapply(needed, function(col) as.character(d[[col]]))
  names(data) <- needed
  list(data = data, lines = skip + rec$start[!cut], sep = sep,
       bad = list(lines = skip + rec$start[cut],
                  messages = sprintf("The row has %d fields but the header has %d.", rec$count[cut], rec$ncol)))
}

# fread() of a file or text, every needed column as character.
fread_text <- function(source, needed, sep, skip, dialect) {
  d <- data.table::fread(
    file = source$path, text = source$text, sep = sep, quote = dialect$quote, dec = dialect$dec,
    # (Not skip = skip_to, which fread() finds in a file of bare CR line ends
    # but then starts reading at the file's first line.)
    skip = skip,
    select = if (length(needed) > 0L) needed, colClasses = "character", header = TRUE,
    na.strings = fread_na_strings(dialect$na_strings), strip.white = FALSE, fill = FALSE,
    blank.lines.skip = TRUE, showProgress = FALSE
  )
  # fread keeps a quoted field's doubled quotes doubled (data.table issue
  # #4779); in a CSV file they stand for one.
  if (nzchar(dialect$quote)) {
    twice <- strrep(dialect$quote, 2L)
    for (col in names(d)) {
      if (is.character(d[[col]])) {
        data.table::set(d, j = col, value = gsub(twice, dialect$quote, d[[col]], fixed = TRUE))
      }
    }
  }
  d
}

# fread() refuses na.strings with spaces at either end; R applies them all
# afterwards anyway (na_text()).
fread_na_strings <- function(x) x[!grepl("^[[:space:]]|[[:space:]]$", x)]

read_csv_text <- function(source, sep, skip, dialect) {
  args <- list(sep = sep, quote = dialect$quote, dec = dialect$dec, skip = skip, header = TRUE,
               colClasses = "character", check.names = FALSE, na.strings = dialect$na_strings,
               strip.white = FALSE, blank.lines.skip = TRUE, comment.char = "")
  if (is.null(source$text)) {
    do.call(utils::read.csv, c(list(source$path), args))
  } else {
    do.call(utils::read.csv, c(list(text = source$text), args))
  }
}

# The lines before the header: `skip`, or those before the first line that
# contains `skip_to`.
reference_skip <- function(input, dialect, call) {
  if (!nzchar(dialect$skip_to)) return(dialect$skip)
  con <- input_connection(input)
  on.exit(close(con))
  seen <- 0
  repeat {
    lines <- suppressWarnings(readLines(con, n = 10000L, warn = FALSE))
    if (length(lines) == 0L) break
    hit <- which(grepl(dialect$skip_to, lines, fixed = TRUE, useBytes = TRUE))
    if (length(hit) > 0L) return(seen + hit[1] - 1)
    seen <- seen + length(lines)
  }
  abort_core_error(core_error_record("io", input$name, message = sprintf(
    "No line contains %s, the text `skip` looks for the header with.", encodeString(dialect$skip_to, quote = "\"")
  )), call = call)
}

# The separator: the one given, or for sep = "auto" the engine's choice
# (choose_sep()), which both references then pass to their reader.
# read.csv() has no "auto"; fread()'s own differs: it also tries " " and
# ":", takes the largest block of lines alike (a bad row among the first
# lines can make it choose another separator) and may even choose the
# decimal mark, which it then refuses.
reference_sep <- function(input, skip, dialect) {
  if (!identical(dialect$sep, "auto")) return(dialect$sep)
  con <- input_connection(input)
  on.exit(close(con))
  lines <- suppressWarnings(readLines(con, n = skip + 1000, warn = FALSE))
  records <- sniff_records(lines[seq_along(lines) > skip], dialect$quote)
  if (length(records) > 0L) records[1] <- sub("^\xef\xbb\xbf", "", records[1], useBytes = TRUE)
  choose_sep(records, dialect$quote, dialect$dec)
}

# The records after the skipped lines, from count.fields() per physical
# line (NA on the lines of a record that goes on, its count on its last
# line, 0 on a blank line): list(start, end, count) of each data record
# (line numbers after the skipped ones), ncol, the header's fields, and bad,
# the records of another width.
reference_records <- function(input, skip, sep, dialect, call) {
  count <- suppressWarnings(if (is.null(input$text)) {
    utils::count.fields(input$path, sep = sep, quote = dialect$quote, skip = skip,
                        blank.lines.skip = FALSE, comment.char = "")
  } else {
    con <- input_connection(input)
    on.exit(close(con))
    utils::count.fields(con, sep = sep, quote = dialect$quote, skip = skip,
                        blank.lines.skip = FALSE, comment.char = "")
  })
  ends <- which(!is.na(count) & count > 0L)
  nonblank <- which(is.na(count) | count > 0L)
  starts <- nonblank[findInterval(c(0L, ends[-length(ends)]), nonblank) + 1L]
  if (length(nonblank) == 0L) {
    abort_core_error(core_error_record("io", input$name, message = if (skip > 0) {
      "There is no header line after the lines skipped."
    } else {
      "The file has no header line."
    }), call = call)
  }
  # count.fields() ends a quoted field that is never closed at the end of
  # the file as if it were closed: an odd number of quotes tells.
  open <- nonblank[nonblank > max(c(0L, ends))]
  if (length(open) > 0L || quote_left_open(input, skip, dialect$quote)) {
    line <- skip + if (length(open) > 0L) open[1] else starts[length(starts)]
    abort_core_error(core_error_record("parse", input$name, line = line, message =
      "A quoted field is not closed before the end of the file (a stray quote may have opened it)."),
      call = call)
  }
  ncol <- count[ends[1]]
  data <- seq_along(ends)[-1]
  list(start = starts[data], end = ends[data], count = count[ends[data]], ncol = ncol,
       bad = count[ends[data]] != ncol)
}

# Is the number of quotes after the first `skip` lines odd? (A quote
# anywhere opens or closes quoting.)
quote_left_open <- function(input, skip, quote) {
  if (!nzchar(quote)) return(FALSE)
  q <- charToRaw(quote)
  n <- 0
  if (is.null(input$text)) {
    con <- file(input$path, "rb")
    on.exit(close(con))
    while (length(chunk <- readBin(con, "raw", 16 * 1024^2)) > 0L) n <- n + sum(chunk == q)
  } else {
    n <- sum(charToRaw(input$text) == q)
  }
  if (skip > 0) {
    con2 <- input_connection(input)
    pre <- suppressWarnings(readLines(con2, n = skip, warn = FALSE))
    close(con2)
    n <- n - sum(vapply(pre, function(l) sum(charToRaw(l) == q), 0))
  }
  n %% 2 == 1
}

# A connection to an input's bytes, to read lines from.
input_connection <- function(input) {
  if (is.null(input$text)) file(input$path, "rb") else rawConnection(charToRaw(input$text))
}

input_text <- function(input, call) {
  if (!is.null(input$text)) return(input$text)
  read_reference(input$name, call, connection_text(file(input$path)))
}

# The text without the physical lines numbered `drop` (a line ends at LF,
# CRLF or a bare CR, as count.fields() and readLines() see it).
drop_lines <- function(text, drop) {
  lines <- regmatches(text, gregexpr("[^\r\n]*(\r\n|\r|\n)|[^\r\n]+$", text, perl = TRUE))[[1]]
  paste(lines[-drop], collapse = "")
}

# ---- The filter -------------------------------------------------------------

# The truth of a condition for a row, as eval_filter() in src/core/query.h
# has it: R's three values, and "fail" where a field compared with a number
# is not one.
truth_codes <- c(no = 0L, yes = 1L, na = 2L, fail = 3L)

# The filter's node tree over the columns' text `d`: list(value, per row a
# truth code; col, the column whose field failed, else NA). As in the
# engine, `&` and `|` look at their right side only where the left one
# does not decide, so a row fails only on a comparison it gets to; a
# comparison with a missing field is NA (%in% is FALSE); a missing field is
# one in na.strings, or empty except in a comparison with strings.
filter_truth <- function(node, d, dialect) {
  no <- truth_codes[["no"]]
  yes <- truth_codes[["yes"]]
  na <- truth_codes[["na"]]
  fail <- truth_codes[["fail"]]
  if (node$op %in% c("and", "or")) {
    x <- filter_truth(node$args[[1]], d, dialect)
    y <- filter_truth(node$args[[2]], d, dialect)
    decides <- if (node$op == "and") no else yes
    by_x <- x$value == decides | x$value == fail
    by_y <- !by_x & (y$value == decides | y$value == fail)
    value <- ifelse(x$value == na | y$value == na, na, if (node$op == "and") yes else no)
    value[by_y] <- y$value[by_y]
    value[by_x] <- x$value[by_x]
    col <- ifelse(by_x, x$col, ifelse(by_y, y$col, NA_character_))
    return(list(value = as.integer(value), col = col))
  }
  if (node$op == "not") {
    x <- filter_truth(node$arg, d, dialect)
    value <- x$value
    value[x$value == yes] <- no
    value[x$value == no] <- yes
    return(list(value = value, col = x$col))
  }
  text <- d[[node$col]]
  col <- rep(NA_character_, length(text))
  if (node$op == "is_na") return(list(value = ifelse(na_number(text, dialect), yes, no), col = col))
  constants <- if (node$op == "cmp") node$value else node$values
  failed <- rep(FALSE, length(text))
  if (is.numeric(constants)) {
    p <- parse_numbers(text, dialect)
    x <- p$x
    missing <- p$missing
    failed <- p$bad
  } else {
    x <- text
    missing <- na_text(text, dialect)
  }
  holds <- if (node$op == "cmp") do.call(node$cmp, list(x, constants)) else x %in% constants
  value <- ifelse(!is.na(holds) & holds, yes, no)
  value[missing] <- if (node$op == "in") no else na
  value[failed] <- fail
  col[failed] <- node$col
  list(value = as.integer(value), col = col)
}

# The columns a query reads: keys (but not ".file"), values (`numbers` are
# those sum(), mean(), min() or max() read; the others are only counted by
# sum(is.na())), filter columns.
summary_columns <- function(query) {
  aggs <- query$aggs
  list(keys = setdiff(query$by, ".file"),
       values = unique(aggs$col[!is.na(aggs$col)]),
       numbers = unique(aggs$col[aggs$fun %in% c("sum", "mean", "min", "max")]),
       where = where_columns(query$where))
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
# input but the bad ones (".file" stays text).
typed_keys <- function(parts, by, dialect = csv_dialect()) {
  sizes <- vapply(parts, function(p) length(p$keys[[1]]), integer(1))
  offsets <- cumsum(c(0L, sizes))[seq_along(parts)]
  kept <- unlist(Map(function(p, offset) p$rows + offset, parts, offsets), use.names = FALSE)
  if (is.null(kept)) kept <- integer()
  out <- lapply(by, function(k) {
    text <- as.character(unlist(lapply(parts, function(p) p$keys[[k]]), use.names = FALSE))
    if (k == ".file") text[kept] else type_keys(text, dialect)[kept]
  })
  names(out) <- by
  out
}

#' Type a key column from its text
#'
#' Texts in na.strings are missing. The column is integer when every other
#' value that is not empty is a whole number within +-2147483647, double
#' when every one is a decimal number (with the dialect's decimal mark), and
#' character otherwise (also when every value is missing or empty). An empty
#' text is missing in a number column, and itself in a character column
#' unless na.strings lists it.
#' @param x A character vector: every value of the key column.
#' @param dialect As csv_dialect() makes it.
#' @return `x` as integer, double or character.
#' @noRd
type_keys <- function(x, dialect = csv_dialect()) {
  x[na_text(x, dialect)] <- NA_character_
  empty <- !is.na(x) & x == ""
  present <- x[!is.na(x) & !empty]
  if (length(present) == 0L) return(x)
  if (all(grepl(integer_pattern, present, useBytes = TRUE))) {
    v <- rep(NA_real_, length(x))
    v[!is.na(x) & !empty] <- as.numeric(present)
    if (all(abs(v[!is.na(v)]) <= 2147483647)) return(as.integer(v))
  }
  if (all(grepl(number_pattern(dialect$dec), present, useBytes = TRUE))) {
    p <- parse_numbers(x, dialect)
    if (!any(p$bad)) {
      v <- p$x
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
