# Reliability of the C++ backends: every kind of bad input gives either the
# exact answer or one classed error naming the file (and line), never a crash
# or a silently wrong sum; Ctrl-C stops a run promptly and leaves nothing
# behind. Each check runs on every C++ backend available here. Things that R
# cannot time deterministically are tested without R as well: see
# tools/core-shrink-test.cpp, tools/core-counts-test.cpp and tools/fuzz/.

cpp_backends <- function() setdiff(local_backends(), c("datatable", "base"))

# The error a call raises (failing the test if it returns instead).
error_of <- function(code) {
  err <- tryCatch({
    force(code)
    NULL
  }, error = identity)
  if (is.null(err)) fail("Expected an error, got a result.")
  err
}

# (chunk_bytes, threads): every record split, a few splits, one chunk. Error
# paths cost a classed condition each, so the other backends get two.
configs <- function(backend) {
  if (backend == "tbb") list(c(1, 1), c(5, 2), c(4096, 2)) else list(c(5, 2), c(4096, 1))
}

# A classed core error naming `file`, and `line` where given.
expect_core_error <- function(err, class, file, line = NULL, label = NULL) {
  expect_s3_class(err, class)
  expect_s3_class(err, "parairline_error")
  expect_identical(err$file, file, label = label)
  if (!is.null(line)) expect_identical(err$line, line, label = label)
}

# Runs `code` (a string of R) in a fresh R process with this library path, so
# a crash fails the test instead of ending the test run. Returns stdout lines.
run_in_child <- function(code, timeout = 600) {
  skip_if_not_installed("processx")
  skip_if_loaded_from_source()
  script <- withr::local_tempfile(fileext = ".R")
  writeLines(code, script)
  res <- processx::run(file.path(R.home("bin"), "Rscript"), c("--vanilla", script),
                       env = c("current", R_LIBS = paste(.libPaths(), collapse = .Platform$path.sep)),
                       error_on_status = FALSE, timeout = timeout)
  if (!identical(res$status, 0L)) {
    fail(paste0("The child R process failed (status ", res$status, "):\n", res$stderr))
  }
  strsplit(res$stdout, "\n", fixed = TRUE)[[1]]
}

# Child R processes load the installed package, not one from load_all().
skip_if_loaded_from_source <- function() {
  skip_if(exists(".__DEVTOOLS__", envir = asNamespace("parairline"), inherits = FALSE),
          "needs parairline installed, not loaded with load_all()")
}

skip_if_valgrind <- function() {
  skip_if(nzchar(Sys.getenv("PARAIRLINE_VALGRIND")), "too slow under valgrind (tools/valgrind.sh)")
}

empty_frame <- function(by = "K") {
  out <- data.frame(K = character(), sum = double(), n = double(), missing = double())
  names(out)[1] <- by
  out
}

test_that("missing paths and directories are classed errors naming them", {
  dir <- withr::local_tempdir()
  nowhere <- file.path(dir, "no-such-file.csv")
  for (backend in cpp_backends()) {
    err <- error_of(csv_group_sum(nowhere, "K", "V", backend = backend, threads = 1))
    expect_s3_class(err, "parairline_io_error")
    expect_s3_class(err, "parairline_error")
    expect_match(conditionMessage(err), "no-such-file.csv", fixed = TRUE)
    err <- error_of(csv_group_sum(dir, "K", "V", backend = backend, threads = 1))
    expect_s3_class(err, "parairline_io_error")
    expect_match(conditionMessage(err), basename(dir), fixed = TRUE)
  }
})

test_that("empty files fail, header-only files give zero rows", {
  dir <- withr::local_tempdir()
  empty <- local_csv("", "empty.csv", dir = dir)
  header_only <- local_csv("K,V\n", "header-only.csv", dir = dir)
  header_crlf <- local_csv("\xEF\xBB\xBFK,V\r\n", "header-crlf.csv", dir = dir)
  for (backend in cpp_backends()) {
    for (threads in 1:2) {
      err <- error_of(csv_group_sum(empty, "K", "V", backend = backend, threads = threads))
      expect_core_error(err, "parairline_io_error", empty, label = backend)
      expect_match(conditionMessage(err), "empty")
      expect_identical(csv_group_sum(c(header_only, header_crlf), "K", "V", backend = backend,
                                     threads = threads), empty_frame())
    }
  }
})

test_that("missing and duplicated columns name the column and list the header", {
  dir <- withr::local_tempdir()
  f <- local_csv("YEAR,Carrier,Distance\n1990,AA,12\n", "nocol.csv", dir = dir)
  dup <- local_csv("K,V,K\nA,1,B\n", "dup.csv", dir = dir)
  dup_other <- local_csv("X,K,X,V\n1,A,2,3\n", "dup-other.csv", dir = dir)
  for (backend in cpp_backends()) {
    for (args in list(c("K", "Distance"), c("Carrier", "V"))) {
      err <- error_of(csv_group_sum(f, args[1], args[2], backend = backend, threads = 2))
      expect_core_error(err, "parairline_parse_error", f, line = 1)
      missing_col <- setdiff(args, c("Carrier", "Distance"))
      expect_match(conditionMessage(err), sprintf('Column "%s" is not in the header', missing_col))
      expect_match(conditionMessage(err), '"YEAR", "Carrier", "Distance"', fixed = TRUE)
    }
    err <- error_of(csv_group_sum(dup, "K", "V", backend = backend, threads = 2))
    expect_core_error(err, "parairline_parse_error", dup, line = 1)
    expect_match(conditionMessage(err), '"K" appears 2 times')
    # A repeated column we do not read is no ambiguity.
    expect_identical(csv_group_sum(dup_other, "K", "V", backend = backend, threads = 2),
                     data.frame(K = "A", sum = 3, n = 1, missing = 0))
  }
})

test_that("ragged rows, open quotes and bad numbers name file, line and column", {
  dir <- withr::local_tempdir()
  cases <- list(
    list(text = "K,V\nA,1\n\"b\nc\",2\nB,2,3\nC,4\n", line = 5, column = NA_real_, text_field = ""),
    list(text = "K,V\nA,1\nB,\"2\n", line = 3, column = NA_real_, text_field = ""),
    list(text = "K,V\nA,1\nB,2\nC,12a\nD,1e999\n", line = 4, column = 2, text_field = "12a")
  )
  for (i in seq_along(cases)) {
    case <- cases[[i]]
    f <- local_csv(case$text, sprintf("bad-%d.csv", i), dir = dir)
    for (backend in cpp_backends()) {
      for (config in configs(backend)) {
        err <- withr::with_options(list(parairline.chunk_bytes = config[1]),
          error_of(csv_group_sum(f, "K", "V", backend = backend, threads = config[2]))
        )
        label <- sprintf("case %d, %s, chunk_bytes = %g, threads = %g", i, backend, config[1], config[2])
        expect_core_error(err, "parairline_parse_error", f, line = case$line, label = label)
        expect_identical(err$column, case$column, label = label)
        expect_identical(err$text, case$text_field, label = label)
      }
    }
  }
})

test_that("random binary bytes give the same answer or classed error everywhere, never a crash", {
  skip_on_cran()
  skip_if_valgrind()
  # In a child process: a crash there fails this test instead of the run.
  out <- run_in_child(c(
    "library(parairline)",
    "set.seed(20240229)",
    "dir <- tempfile(); dir.create(dir)",
    sprintf("backends <- c(%s)", paste0('"', cpp_backends(), '"', collapse = ", ")),
    "outcome <- function(f, backend, threads, cb) {",
    "  r <- tryCatch(withr::with_options(list(parairline.chunk_bytes = cb),",
    "    csv_group_sum(f, 'K', 'V', backend = backend, threads = threads)), error = identity)",
    "  if (inherits(r, 'parairline_error')) return(paste('error', class(r)[1], r$line, r$column))",
    "  if (inherits(r, 'error')) return(paste('UNCLASSED', conditionMessage(r)))",
    "  paste('ok', nrow(r), sum(r$n), paste(format(r$sum, digits = 17), collapse = ' '))",
    "}",
    "alphabet <- as.raw(c(0:255, rep(c(0x2c, 0x0a, 0x22, 0x30:0x39), 8)))",
    "for (i in 1:10) {",
    "  n <- sample(c(10, 200, 5000), 1)",
    "  body <- sample(if (i %% 2) as.raw(0:255) else alphabet, n, replace = TRUE)",
    "  head <- if (i %% 3 == 0) raw() else charToRaw('K,V\\n')",
    "  f <- file.path(dir, sprintf('bin-%02d.csv', i))",
    "  writeBin(c(head, body), f)",
    "  seen <- character()",
    "  for (backend in backends) for (config in if (backend == 'tbb') list(c(1, 1), c(13, 2), c(4096, 2)) else list(c(13, 2)))",
    "    seen <- c(seen, outcome(f, backend, config[2], config[1]))",
    "  cat(i, length(unique(seen)), unique(seen)[1], '\\n', sep = '\\t')",
    "}"
  ))
  expect_length(out, 10)
  fields <- strsplit(out, "\t", fixed = TRUE)
  same <- vapply(fields, function(x) x[2], "")
  what <- vapply(fields, function(x) x[3], "")
  expect_identical(same, rep("1", 10), label = paste(out, collapse = "\n"))
  expect_false(any(startsWith(what, "UNCLASSED")), label = paste(what, collapse = "\n"))
})

test_that("NUL bytes in a key are a classed error, not a truncated key", {
  dir <- withr::local_tempdir()
  f <- file.path(dir, "nul.csv")
  writeBin(c(charToRaw("K,V\nA,1\nA"), as.raw(0), charToRaw("B,2\n")), f)
  for (backend in cpp_backends()) {
    err <- error_of(csv_group_sum(f, "K", "V", backend = backend, threads = 2))
    expect_core_error(err, "parairline_parse_error", f, line = 3)
    expect_identical(err$column, 1)
  }
})

test_that("keys are kept as bytes: valid UTF-8 and invalid UTF-8 alike", {
  dir <- withr::local_tempdir()
  f <- file.path(dir, "bytes.csv")
  bad <- as.raw(c(0xff, 0xfe))
  bad2 <- as.raw(c(0xc3, 0x28))
  zurich <- charToRaw("Z\u00fcrich")
  writeBin(c(charToRaw("K,V\n"), bad, charToRaw(",1\n"), zurich, charToRaw(",2\n"),
             bad2, charToRaw(",3\n"), bad, charToRaw(",4\nA,5\n")), f)
  for (backend in cpp_backends()) {
    got <- tryCatch(csv_group_sum(f, "K", "V", backend = backend, threads = 2), error = identity)
    if (inherits(got, "error")) {
      fail(paste0(backend, ": ", conditionMessage(got)))
      next
    }
    keys <- lapply(got$K, charToRaw)
    expect_setequal(keys, list(charToRaw("A"), bad, bad2, zurich))
    expect_identical(got$sum[match(list(bad), keys)], 5)
    expect_identical(got$n[match(list(bad), keys)], 2)
    expect_identical(got$sum[match(list(zurich), keys)], 2)
  }
})

test_that("a 20 MB quoted field is read whole, whatever the chunking", {
  skip_if_valgrind()
  dir <- withr::local_tempdir()
  f <- file.path(dir, "big-field.csv")
  con <- file(f, "wb")
  writeBin(charToRaw("K,X,V\nA,\""), con)
  # Commas, newlines and doubled quotes inside: only quote tracking finds its end.
  writeBin(charToRaw(strrep("ab,\n\"\"cd", 20 * 2^20 / 8)), con)
  writeBin(charToRaw("\",1\nB,x,2\n"), con)
  close(con)
  key <- file.path(dir, "big-key.csv")
  con <- file(key, "wb")
  writeBin(charToRaw("V,K\n3,\""), con)
  writeBin(charToRaw(strrep("k", 20 * 2^20)), con)
  writeBin(charToRaw("\"\n4,a\n"), con)
  close(con)
  for (backend in cpp_backends()) {
    for (cb in if (backend == "tbb") c(4 * 2^20, 2^20) else 4 * 2^20) {
      withr::local_options(parairline.chunk_bytes = cb)
      expect_identical(csv_group_sum(f, "K", "V", backend = backend, threads = 2),
                       data.frame(K = c("A", "B"), sum = c(1, 2), n = c(1, 1), missing = c(0, 0)))
      got <- csv_group_sum(key, "K", "V", backend = backend, threads = 2)
      expect_identical(nchar(got$K), c(1L, 20L * 1048576L))
      expect_identical(got$sum, c(4, 3))
    }
  }
})

test_that("truncated and corrupt gzip files are io errors naming the file", {
  dir <- withr::local_tempdir()
  gz <- local_csv(paste0("K,V\n", strrep("A,1\nB,2\n", 5000)), "ok.csv.gz", dir = dir, gzip = TRUE)
  raw <- readBin(gz, "raw", file.size(gz))
  truncated <- file.path(dir, "truncated.csv.gz")
  writeBin(raw[seq_len(length(raw) %/% 2)], truncated)
  corrupt <- file.path(dir, "corrupt.csv.gz")
  flip <- seq(40, length(raw) - 20, by = 7)
  raw[flip] <- xor(raw[flip], as.raw(0xa5))
  writeBin(raw, corrupt)
  header_only_gz <- file.path(dir, "short.csv.gz")
  writeBin(readBin(gz, "raw", 12), header_only_gz)  # the gzip header and no data
  for (backend in cpp_backends()) {
    expect_identical(csv_group_sum(gz, "K", "V", backend = backend, threads = 2),
                     data.frame(K = c("A", "B"), sum = c(5000, 10000), n = c(5000, 5000), missing = c(0, 0)))
    for (f in c(truncated, corrupt, header_only_gz)) {
      err <- error_of(csv_group_sum(f, "K", "V", backend = backend, threads = 2))
      expect_core_error(err, "parairline_io_error", f, label = paste(backend, basename(f)))
      # zlib's own text starts with the path; the message names it once.
      n_paths <- lengths(regmatches(conditionMessage(err), gregexpr(f, conditionMessage(err), fixed = TRUE)))
      expect_identical(n_paths, 1L, label = paste(backend, basename(f), "path count"))
    }
  }
})

test_that("a file that changes after planning is an error or the planned snapshot, never a short sum", {
  # Deterministic: plan, change the file, then scan (the steps of the future
  # backend, which the other backends share through the core's FileSource).
  dir <- withr::local_tempdir()
  text <- paste0("K,V\n", strrep("A,1\nB,2\n", 2000))
  f <- local_csv(text, "shrinks.csv", dir = dir)
  p <- cpp_plan(f, sum_query("K", "V"), 1000)
  writeBin(charToRaw(substr(text, 1, 9000)), f)
  frames <- list(cpp_run_tasks(p$plan, seq_along(p$task_bytes) - 1, 2L)$frames)
  res <- cpp_reduce_frames(p$plan, frames, 2L)
  expect_identical(res$error$kind, "io")
  expect_identical(res$error$file, f)
  expect_match(res$error$message, "changed while being read")
  err <- error_of(abort_core_error(res$error))
  expect_core_error(err, "parairline_io_error", f)

  # Rows appended after planning are not read: the answer is the snapshot.
  g <- local_csv(text, "grows.csv", dir = dir)
  p <- cpp_plan(g, sum_query("K", "V"), 1000)
  cat("A,100\nC,1\n", file = g, append = TRUE)
  res <- cpp_reduce_frames(p$plan, list(cpp_run_tasks(p$plan, seq_along(p$task_bytes) - 1, 2L)$frames), 2L)
  expect_null(res$error)
  expect_identical(res$keys[[1]], c("A", "B"))
  expect_identical(res$columns[[1]], c(2000, 4000))

  # Rewritten in place, longer: reading the planned bytes of the new content
  # would cut its last record ("B,200" read as "B,20").
  h <- local_csv("K,V\nA,1\nB,2\n", "rewritten.csv", dir = dir)
  p <- cpp_plan(h, sum_query("K", "V"), 4)
  writeBin(charToRaw("K,V\nA,1\nB,200\n"), h)
  res <- cpp_reduce_frames(p$plan, list(cpp_run_tasks(p$plan, seq_along(p$task_bytes) - 1, 2L)$frames), 2L)
  expect_identical(res$error$kind, "io", label = paste("rewritten file: got sums", toString(unlist(res$columns[[1]]))))
  expect_identical(res$error$file, h)
})

test_that("a file cut short while workers read it is an error, never a short sum", {
  skip_if_valgrind()
  dir <- withr::local_tempdir()
  # The thread and fork backends, with the file cut short from the main
  # thread while workers run (at the first progress tick, after ~100 ms).
  # Whether that lands before the last read depends on timing, so assert only
  # what always holds: the exact full answer or an io error naming the file.
  big <- local_csv(paste0("K,V\n", strrep("A,1\nB,2\n", 2e5)), "big.csv", dir = dir)
  for (backend in intersect(cpp_backends(), c("tbb", "fork"))) {
    writeBin(charToRaw(paste0("K,V\n", strrep("A,1\nB,2\n", 2e5))), big)
    cut_short <- function(done, total) {
      if (file.size(big) > 100) writeBin(charToRaw("K,V\nA,1\n"), big)
    }
    res <- if (backend == "tbb") {
      cpp_summarise_tbb(big, sum_query("K", "V"), 1L, chunk_bytes = 16, progress = cut_short)
    } else {
      cpp_summarise_fork(big, sum_query("K", "V"), 1L, rescan_threads = 1L, chunk_bytes = 16, progress = cut_short)
    }
    if (is.null(res$error)) {
      expect_identical(res$columns[[1]], c(2e5, 4e5), label = backend)
    } else {
      expect_identical(res$error$kind, "io", label = backend)
      expect_identical(res$error$file, big, label = backend)
      expect_match(res$error$message, "changed while being read")
    }
  }
})

test_that("CRLF line ends with a BOM work, and a file listed twice is summed twice", {
  dir <- withr::local_tempdir()
  crlf <- local_csv("\xEF\xBB\xBF\"K\",\"V\"\r\nA,1\r\n\"B\",\"2.5\"\r\n\r\nA,NA\r\n", "crlf.csv", dir = dir)
  once <- data.frame(K = c("A", "B"), sum = c(1, 2.5), n = c(2, 1), missing = c(1, 0))
  twice <- data.frame(K = c("A", "B"), sum = c(2, 5), n = c(4, 2), missing = c(2, 0))
  expect_same_everywhere(crlf, "K", "V", once, chunk_bytes = c(1, 3, 4096))
  expect_same_everywhere(c(crlf, crlf), "K", "V", twice, chunk_bytes = c(1, 4096))
})

test_that("new error messages read well", {
  dir <- withr::local_tempdir()
  f <- function(name, text) local_csv(text, name, dir = dir)
  gz <- local_csv(paste0("K,V\n", strrep("A,1\n", 3000)), "ok.csv.gz", dir = dir, gzip = TRUE)
  raw <- readBin(gz, "raw", file.size(gz))
  writeBin(raw[seq_len(length(raw) %/% 2)], file.path(dir, "truncated.csv.gz"))
  nul <- file.path(dir, "nul.csv")
  writeBin(c(charToRaw("K,V\nA"), as.raw(0), charToRaw("B,1\n")), nul)
  text <- paste0("K,V\n", strrep("A,1\n", 500))
  shrinks <- f("shrinks.csv", text)
  p <- cpp_plan(shrinks, sum_query("K", "V"), 100)
  writeBin(charToRaw("K,V\n"), shrinks)
  changed <- cpp_reduce_frames(p$plan, list(cpp_run_tasks(p$plan, seq_along(p$task_bytes) - 1, 1L)$frames), 1L)
  rewritten <- f("rewritten.csv", "K,V\nA,1\nB,2\n")
  p <- cpp_plan(rewritten, sum_query("K", "V"), 4)
  writeBin(charToRaw("K,V\nA,1\nB,200\n"), rewritten)
  longer <- cpp_reduce_frames(p$plan, list(cpp_run_tasks(p$plan, seq_along(p$task_bytes) - 1, 1L)$frames), 1L)
  empty_dir <- file.path(dir, "empty")
  dir.create(empty_dir)
  expect_snapshot(error = TRUE, {
    csv_group_sum(empty_dir, "K", "V")
    csv_group_sum(file.path(dir, "truncated.csv.gz"), "K", "V")
    csv_group_sum(nul, "K", "V")
    csv_group_sum(f("huge.csv", "K,V\nA,1e999\n"), "K", "V")
    csv_group_sum(f("open-header.csv", "\"K,V\nA,1\n"), "K", "V")
    abort_core_error(changed$error, call = quote(csv_group_sum()))
    abort_core_error(longer$error, call = quote(csv_group_sum()))
  }, transform = function(x) scrub_paths(x, dir))
})

# Ctrl-C: a child R process runs a long call; we send it SIGINT once the call
# is under way. The child catches the interrupt, times it, counts its open
# file descriptors, threads and child processes, and makes one more call.
interrupt_child <- function(backend, data, threads) {
  c(
    "library(parairline)",
    sprintf('data <- "%s"; backend <- "%s"; threads <- %dL', data, backend, threads),
    "small <- airontime_sample()[1]",
    "kids <- function() {",
    "  me <- Sys.getpid(); n <- 0L",
    "  for (s in Sys.glob('/proc/[0-9]*/stat')) {",
    "    line <- tryCatch(suppressWarnings(readLines(s, n = 1L, warn = FALSE)), error = function(e) '')",
    "    if (length(line) && nzchar(line) &&",
    "        strsplit(sub('^.*\\\\) ', '', line), ' ', fixed = TRUE)[[1]][2] == me) n <- n + 1L",
    "  }",
    "  n",
    "}",
    "fds <- function() length(dir('/proc/self/fd'))",
    "threads_now <- function() length(dir('/proc/self/task'))",
    "want <- airline_distances(small, backend = backend, threads = threads)",
    "invisible(csv_group_sum(data, 'K', 'V', backend = backend, threads = threads))",
    "baseline_threads <- threads_now()",
    "fds0 <- fds()",
    "options(parairline.chunk_bytes = 16)",
    "cat('started\\n'); flush(stdout())",
    "status <- tryCatch({",
    "  csv_group_sum(data, 'K', 'V', backend = backend, threads = threads)",
    "  'finished'",
    "}, interrupt = function(e) 'interrupted')",
    "caught <- as.numeric(Sys.time())",
    "options(parairline.chunk_bytes = NULL)",
    "for (i in 1:50) if (threads_now() > baseline_threads) Sys.sleep(0.1)",
    "again <- identical(airline_distances(small, backend = backend, threads = threads), want)",
    "cat('result', status, format(caught, digits = 17), fds0, fds(), baseline_threads, threads_now(),",
    "    kids(), again, '\\n')"
  )
}

test_that("Ctrl-C stops a run within a fraction of a second and leaves nothing behind", {
  skip_on_os("windows")
  skip_on_cran()
  skip_if_valgrind()
  skip_if_not_installed("processx")
  skip_if(!dir.exists("/proc/self/fd"), "needs /proc")
  skip_if_loaded_from_source()
  dir <- withr::local_tempdir()
  # 8M rows in 16-byte chunks: about 2M tasks, several seconds of work (1M
  # rows took 0.6 s, so Ctrl-C after 0.5 s sometimes came too late).
  data <- local_csv(paste0("K,V\n", strrep("A,1\nB,2\n", 4e6)), "long.csv", dir = dir)
  for (backend in cpp_backends()) {
    script <- file.path(dir, paste0("interrupt-", backend, ".R"))
    writeLines(interrupt_child(backend, data, 2L), script)
    p <- processx::process$new(file.path(R.home("bin"), "Rscript"), c("--vanilla", script),
                               env = c("current", R_LIBS = paste(.libPaths(), collapse = .Platform$path.sep)),
                               stdout = "|", stderr = "|")
    withr::defer(p$kill())
    lines <- character()
    deadline <- Sys.time() + 30
    while (!"started" %in% lines && p$is_alive() && Sys.time() < deadline) {
      p$poll_io(1000)
      lines <- c(lines, p$read_output_lines())
    }
    expect_true("started" %in% lines, label = paste(backend, "child started"))
    Sys.sleep(0.5)  # the call is under way: workers are scanning
    sent <- as.numeric(Sys.time())
    p$interrupt()
    p$wait(30000)
    lines <- c(lines, p$read_all_output_lines())
    result <- grep("^result ", lines, value = TRUE)
    expect_length(result, 1)
    if (length(result) != 1) {
      fail(paste(c(lines, p$read_all_error_lines()), collapse = "\n"))
      next
    }
    r <- strsplit(trimws(result), " ", fixed = TRUE)[[1]]
    label <- paste(backend, result)
    expect_identical(r[2], "interrupted", label = label)
    # A hang bound, not a timing: about 0.1 s is usual (the main thread polls
    # every 100 ms), finishing the queued work would take several seconds;
    # generous for a loaded machine, more so under the sanitizers.
    bound <- if (nzchar(Sys.getenv("PARAIRLINE_SANITIZE"))) 5 else 3
    expect_lt(as.numeric(r[3]) - sent, bound, label = label)
    expect_identical(r[5], r[4], label = paste(label, "(open fds)"))
    # TBB keeps idle workers for a while after a call (a second or so here):
    # at most threads - 1 of them beyond what a finished call left.
    expect_lte(as.numeric(r[7]), as.numeric(r[6]) + 1, label = paste(label, "(threads)"))
    expect_identical(r[8], "0", label = paste(label, "(child processes)"))
    expect_identical(r[9], "TRUE", label = paste(label, "(next call)"))
    expect_identical(p$get_exit_status(), 0L)
  }
})
