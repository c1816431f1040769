# The fork backend: the C++ core in forked worker processes. It must agree
# with the TBB backend bit for bit, raise the same classed errors, report dead
# workers clearly and never leave a child, zombie or file descriptor behind.
# At most 3 workers; fork does not exist on Windows.

sum_both <- function(files, by, value, workers, chunk_bytes = 4 * 1024^2) {
  withr::with_options(list(parairline.chunk_bytes = chunk_bytes), list(
    tbb = csv_group_sum(files, by, value, backend = "tbb", threads = min(workers, 2)),
    fork = csv_group_sum(files, by, value, backend = "fork", threads = workers)
  ))
}

test_that("fork is identical to tbb on simulated data, after tbb threads exist", {
  skip_on_os("windows")
  dir <- withr::local_tempdir()
  sim <- airontime_simulate(dir, months = 1:3, rows_per_file = 2000, threads = 2)
  # The tbb calls in sum_both() start TBB threads in this process first, so
  # the workers are forked from a process that has them.
  for (workers in 1:3) {
    for (cb in c(4 * 1024^2, 20000)) {
      for (by in c("UNIQUE_CARRIER", "ORIGIN")) {
        got <- sum_both(sim$files, by, "DISTANCE", workers, cb)
        expect_identical(got$fork, got$tbb,
                         label = sprintf("fork, by = %s, chunk_bytes = %g, workers = %d", by, cb, workers))
      }
    }
    expect_identical(airline_distances(sim$files, backend = "fork", threads = workers), sim$totals)
  }
  expect_identical(csv_group_sum(sim$files, "UNIQUE_CARRIER", "DISTANCE", backend = "fork",
                                 threads = 2, progress = TRUE),
                   sum_both(sim$files, "UNIQUE_CARRIER", "DISTANCE", 2)$tbb)
})

test_that("fork is identical to tbb on awkward files", {
  skip_on_os("windows")
  dir <- withr::local_tempdir()
  quoted <- local_csv(c(
    '"K","X","V",\n',
    '"AA","x,y",2475.00,\n',
    '"a,b","multi\nline\n,,field",1.5,\n',
    '"q""x","""",7,\n',
    '"AA","",,\n',
    '"","empty key",4,\n'
  ), "quoted.csv", dir = dir)
  crlf <- local_csv("\xEF\xBB\xBFV,K\r\n1,A\r\n2.5,B\r\n\r\nNA,A\r\n", "crlf.csv", dir = dir)
  header_only <- local_csv("K,V\n", "header-only.csv", dir = dir)
  gz <- local_csv(paste0("K,V\n", strrep("\"A\",1\nB,\"2\"\n", 500)), "gz.csv.gz", dir = dir, gzip = TRUE)
  long <- local_csv(c("K,V\n", rep('"k\n1",0.1\n"k,2",1e16\nk3,-1e16\n', 60)), "long.csv", dir = dir)
  for (files in list(quoted, c(crlf, header_only), header_only, c(gz, long, quoted))) {
    for (cb in c(1, 7, 4096)) {
      for (workers in if (cb == 7) 1:3 else 2) {
        got <- sum_both(files, "K", "V", workers, cb)
        expect_identical(got$fork, got$tbb,
                         label = sprintf("fork on %s, chunk_bytes = %g, workers = %d",
                                         paste(basename(files), collapse = "+"), cb, workers))
      }
    }
  }
})

test_that("bad input gives the same classed error through fork as through tbb", {
  skip_on_os("windows")
  dir <- withr::local_tempdir()
  f <- function(name, text) local_csv(text, name, dir = dir)
  good <- f("good.csv", c("K,V\n", rep("A,1\nB,2\n", 200)))
  bad <- list(
    f("bad-number.csv", "K,V\nA,1\nB,2\nC,12a\nD,x\n"),
    f("ragged.csv", "K,V\n\"a\nb\",1\nB,2,3\n"),
    f("unterminated.csv", "K,V\nA,\"1\n"),
    c(good, f("late.csv", c("K,V\n", rep("A,1\n", 100), "A,x\n", rep("A,1\n", 100)))),
    c(f("first.csv", "K,V\nA,x\n"), good, f("second.csv", "K,V\nA,y\n")),
    f("nocol.csv", "A,B\n1,2\n"),
    f("empty.csv", "")
  )
  catch <- function(backend, workers) {
    tryCatch(csv_group_sum(files, "K", "V", backend = backend, threads = workers), error = identity)
  }
  for (files in bad) {
    # Many tiny chunks on 2 workers, and one chunk per file on 1.
    for (cb in c(5, 4096)) {
      withr::local_options(parairline.chunk_bytes = cb)
      workers <- if (cb == 5) 2 else 1
      ref <- catch("tbb", 2)
      got <- catch("fork", workers)
      label <- sprintf("fork on %s, chunk_bytes = %g, workers = %d",
                       paste(basename(files), collapse = "+"), cb, workers)
      expect_s3_class(ref, "parairline_error")
      expect_identical(class(got), class(ref), label = label)
      expect_identical(conditionMessage(got), conditionMessage(ref), label = label)
      for (field in c("file", "line", "column", "text")) {
        expect_identical(got[[field]], ref[[field]], label = paste(label, field))
      }
    }
  }
})

test_that("many fork runs leave no children, zombies or file descriptors", {
  skip_on_os("windows")
  dir <- withr::local_tempdir()
  ok <- local_csv(c("K,V\n", rep("A,1\n\"B\",2\n", 200)), "ok.csv", dir = dir)
  bad <- local_csv("K,V\nA,1\nB,x\n", "bad.csv", dir = dir)
  expect_no_leftovers(withr::with_options(list(parairline.chunk_bytes = 100), {
    for (i in 1:10) {
      csv_group_sum(ok, "K", "V", backend = "fork", threads = 1 + i %% 2)
      try(csv_group_sum(bad, "K", "V", backend = "fork", threads = 2), silent = TRUE)
    }
  }))
})

test_that("a crashed worker gives a worker error and no leftovers", {
  skip_on_os("windows")
  withr::local_options(parairline.chunk_bytes = 64)
  files <- local_csv(c("K,V\n", rep("A,1\nB,2\n", 100)))
  run <- function(crash, workers = 2) {
    withr::with_envvar(c(PARAIRLINE_TEST_CRASH_WORKER = crash),
                       csv_group_sum(files, "K", "V", backend = "fork", threads = workers))
  }
  expect_no_leftovers({
    expect_error(run("2"), "[Ww]orker 2 \\(pid [0-9]+\\) was killed by signal 9",
                 class = "parairline_worker_error")
    expect_error(run("1:exit"), "[Ww]orker 1 \\(pid [0-9]+\\) exited with status 3",
                 class = "parairline_worker_error")
    expect_error(run("2:truncate"),
                 "[Ww]orker 2 \\(pid [0-9]+\\) sent a damaged or cut result",
                 class = "parairline_worker_error")
    expect_error(run("1", workers = 1), "[Ww]orker 1 .*killed", class = "parairline_worker_error")
  })
  # Pids vary, and so do signal names across platforms.
  expect_snapshot(error = TRUE, run("2"), transform = function(x) {
    gsub("signal 9 \\([^)]*\\)", "signal 9 (<name>)", gsub("pid [0-9]+", "pid <pid>", x))
  })
  # The variable is read in the children only: unset, all is well again.
  expect_identical(run(""), csv_group_sum(files, "K", "V", backend = "tbb", threads = 2))
})

test_that("Ctrl-C stops the workers and returns an interrupt promptly", {
  skip_on_os("windows")
  skip_on_cran()
  skip_if(Sys.which("kill") == "" || !dir.exists("/proc/self/fd"))
  files <- airontime_sample()
  withr::local_envvar(PARAIRLINE_TEST_CRASH_WORKER = "1:hang")  # worker 1 sleeps 10 s
  expect_no_leftovers({
    system(sprintf("(sleep 0.5; kill -INT %d) >/dev/null 2>&1 &", Sys.getpid()))
    t0 <- Sys.time()
    got <- tryCatch(csv_group_sum(files, "UNIQUE_CARRIER", "DISTANCE", backend = "fork", threads = 2),
                    interrupt = function(e) "interrupted")
    elapsed <- as.double(difftime(Sys.time(), t0, units = "secs"))
    expect_identical(got, "interrupted")
    # A hang bound, not a timing: the hung worker alone would take 10 s.
    expect_lt(elapsed, 8)
  })
})

test_that("fork warns in RStudio (once per session outside tests)", {
  skip_on_os("windows")
  withr::local_envvar(RSTUDIO = "1")
  withr::local_options(rlib_warning_verbosity = "verbose")
  f <- airontime_sample()[1]
  expect_warning(got <- csv_group_sum(f, "UNIQUE_CARRIER", "DISTANCE", backend = "fork", threads = 2),
                 class = "parairline_fork_warning")
  expect_identical(got, csv_group_sum(f, "UNIQUE_CARRIER", "DISTANCE", backend = "tbb", threads = 2))
})

test_that("fork is refused on Windows with a pointer to tbb", {
  skip_on_os(c("mac", "linux", "solaris"))
  f <- airontime_sample()[1]
  expect_error(csv_group_sum(f, "UNIQUE_CARRIER", "DISTANCE", backend = "fork"),
               "tbb", class = "parairline_input_error")
})
