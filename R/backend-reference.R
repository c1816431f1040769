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
read_reference <- function(f, call, read) {
  tryCatch(read, error = function(e) {
    abort_core_error(core_error_record("io", f, message = conditionMessage(e)), call = call)
  })
}

group_sum_datatable <- function(files, by, value, threads, progress, call) {
  old <- data.table::setDTthreads(threads)
  on.exit(data.table::setDTthreads(old), add = TRUE)
  bar <- progress_files(files, progress)
  parts <- lapply(files, function(f) {
    # Read both columns as text so keys keep their bytes and `NA` is ours to judge.
    dt <- read_reference(f, call, data.table::fread(
      f, select = c(by, value), colClasses = "character", na.strings = NULL, showProgress = FALSE
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
  bar <- progress_files(files, progress)
  key <- character()
  total <- n <- missing <- double()
  for (f in files) {
    d <- read_reference(f, call, utils::read.csv(
      f, colClasses = "character", check.names = FALSE, na.strings = character()
    ))
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
