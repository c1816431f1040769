# Backends that run here, and helpers that run one expectation through all of
# them (tests use at most 2 threads or workers).

local_backends <- function() {
  b <- c("tbb", "datatable", "base")
  if (.Platform$OS.type != "windows" && backend_ready("fork")) b <- c(b, "fork")
  # It runs under the current future plan: sequential unless a test sets one.
  if (requireNamespace("future", quietly = TRUE) && backend_ready("future")) b <- c(b, "future")
  b
}

backend_ready <- function(backend) {
  f <- system.file("extdata", "airOT199001.csv", package = "parairline")
  ok <- tryCatch({
    csv_group_sum(f, "UNIQUE_CARRIER", "DISTANCE", backend = backend, threads = 1)
    TRUE
  }, parairline_input_error = function(e) FALSE)
  ok
}

# Writes `text` (one string, written as bytes) to a file in a temp dir that
# lives as long as the calling test.
local_csv <- function(text, name = "data.csv", dir = withr::local_tempdir(.local_envir = parent.frame()),
                      gzip = FALSE) {
  path <- file.path(dir, name)
  con <- if (gzip) gzfile(path, "wb") else file(path, "wb")
  writeBin(charToRaw(paste(text, collapse = "")), con)
  close(con)
  path
}

# The C++ result must be identical for every thread count and chunk size.
expect_same_everywhere <- function(files, by, value, expected,
                                   chunk_bytes = c(1, 7, 64, 4096),
                                   backends = setdiff(local_backends(), c("datatable", "base"))) {
  for (backend in backends) {
    for (cb in chunk_bytes) {
      for (threads in 1:2) {
        got <- withr::with_options(list(parairline.chunk_bytes = cb),
          csv_group_sum(files, by, value, backend = backend, threads = threads)
        )
        expect_identical(got, expected,
                         label = sprintf("%s, chunk_bytes = %g, threads = %d", backend, cb, threads))
      }
    }
  }
}

# Replaces temp paths in snapshots.
scrub_paths <- function(lines, dir) {
  lines <- gsub(normalizePath(dir, mustWork = FALSE), "<tmp>", lines, fixed = TRUE)
  gsub(dir, "<tmp>", lines, fixed = TRUE)
}

# Compares two csv_summarise() results: the same names, column types and
# rows; keys and every other column identical, except the columns named in
# `approx` (sums and means), which may differ by 1e-12 relative, as the C++
# backends sum exactly and the references in double precision. NA and NaN
# must match exactly everywhere.
expect_summary_equal <- function(object, expected, approx = character(), label = NULL) {
  act <- quasi_label(rlang::enquo(object), label, arg = "object")
  got <- act$val
  problem <- summary_difference(got, expected, approx)
  expect(is.null(problem), sprintf("%s differs from the expected summary: %s", act$lab, problem))
  invisible(got)
}

summary_difference <- function(got, expected, approx) {
  if (!is.data.frame(got)) return("it is not a data frame")
  if (!identical(names(got), names(expected))) {
    return(sprintf("names (%s) vs (%s)", toString(names(got)), toString(names(expected))))
  }
  if (!identical(attr(got, "row.names"), attr(expected, "row.names"))) {
    return(sprintf("%d rows (or row names not 1..n) vs %d", nrow(got), nrow(expected)))
  }
  for (col in names(expected)) {
    a <- got[[col]]
    b <- expected[[col]]
    if (!identical(typeof(a), typeof(b))) return(sprintf("column %s is %s, not %s", col, typeof(a), typeof(b)))
    if (col %in% approx) {
      same <- (is.na(a) == is.na(b)) & (is.nan(a) == is.nan(b))
      both <- !is.na(a) & !is.na(b)
      same[both] <- abs(a[both] - b[both]) <= 1e-12 * pmax(abs(a[both]), abs(b[both]))
    } else {
      same <- vapply(seq_along(a), function(i) identical(a[i], b[i]), logical(1))
    }
    if (!all(same)) {
      i <- which(!same)[1]
      return(sprintf("column %s, row %d: %s vs %s", col, i,
                     format(a[i], digits = 17), format(b[i], digits = 17)))
    }
  }
  NULL
}

# csv_group_sum()'s query as the engine takes it, for tests that call the
# glue directly.
sum_query <- function(by, value) engine_query(group_sum_query(by, value))
