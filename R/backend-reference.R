# The two reference backends: serial data.table (what an R user would write
# first) and base R (what a beginner writes). They define the expected answer
# for the C++ backends and show the cost of the obvious approaches.

# Text in the value column that counts as missing.
missing_text <- c("", "NA")

parse_value_column <- function(text, file, value, call) {
  x <- suppressWarnings(as.numeric(text))
  bad <- is.na(x) & !(text %in% missing_text)
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

# Evaluates `read`, a reader's call on file `f`; its errors (an empty file,
# damaged gzip data, no permission) become io errors naming the file.
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

read_reference <- function(f, call, read) {
  tryCatch(read, error = function(e) {
    abort_core_error(core_error_record("io", f, message = conditionMessage(e)), call = call)
  })
}

group_sum_datatable <- function(files, by, value, threads, progress, call) {
  old <- data.table::setDTthreads(threads)
  on.exit(data.table::setDTthreads(old), add = TRUE)
  inputs <- reference_inputs(files, call)
  bar <- progress_files(inputs, progress)
  parts <- lapply(inputs, function(input) {
    f <- input$name
    # Read both columns as text so keys keep their bytes and `NA` is ours to judge.
    dt <- read_reference(f, call, data.table::fread(
      file = if (is.null(input$text)) input$path, text = input$text,
      select = c(by, value), colClasses = "character", na.strings = NULL, showProgress = FALSE
    ))
    if (!all(c(by, value) %in% names(dt))) {
      abort_core_error(core_error_record("parse", f, message = "Column not found."), call = call)
    }
    data.table::setnames(dt, c(by, value), c("key", "text"))
    dt$x <- parse_value_column(dt$text, f, value, call)
    out <- dt[, list(s = sum(x, na.rm = TRUE), n = as.double(.N),
                     m = as.double(sum(is.na(x)))), by = "key"]
    progress_tick(bar)
    out
  })
  all <- data.table::rbindlist(parts)
  if (nrow(all) == 0L) return(list(key = character(), sum = double(), n = double(), missing = double()))
  res <- all[, list(s = sum(s), n = sum(n), m = sum(m)), by = "key"]
  list(key = res$key, sum = res$s, n = res$n, missing = res$m)
}

group_sum_base <- function(files, by, value, progress, call) {
  inputs <- reference_inputs(files, call)
  bar <- progress_files(inputs, progress)
  key <- character()
  total <- n <- missing <- double()
  for (input in inputs) {
    f <- input$name
    d <- read_reference(f, call, if (is.null(input$text)) {
      utils::read.csv(input$path, colClasses = "character", check.names = FALSE, na.strings = character())
    } else {
      utils::read.csv(text = input$text, colClasses = "character", check.names = FALSE, na.strings = character())
    })
    if (!all(c(by, value) %in% names(d))) {
      abort_core_error(core_error_record("parse", f, message = "Column not found."), call = call)
    }
    x <- parse_value_column(d[[value]], f, value, call)
    keys <- d[[by]]
    # One pass per carrier, like the lecture's pandas loop.
    for (k in unique(keys)) {
      rows <- keys == k
      i <- match(k, key)
      if (is.na(i)) {
        key <- c(key, k)
        total <- c(total, 0)
        n <- c(n, 0)
        missing <- c(missing, 0)
        i <- length(key)
      }
      total[i] <- total[i] + sum(x[rows], na.rm = TRUE)
      n[i] <- n[i] + sum(rows)
      missing[i] <- missing[i] + sum(is.na(x[rows]))
    }
    progress_tick(bar)
  }
  list(key = key, sum = total, n = n, missing = missing)
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
utils::globalVariables(c(".N", "x", "s", "n", "m"))
