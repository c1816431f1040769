# The future backend under the plans users run: sequential here, and real
# worker processes (multisession, and cluster workers on sockets). Every
# result must be bitwise that of the tbb backend. Each test restores the plan.

skip_if_not_installed("future", "1.30.0")

# Sets a plan for the rest of the calling test, then restores the old one
# (which also shuts down the workers).
local_plan <- function(..., .local_envir = parent.frame()) {
  old <- future::plan(...)
  withr::defer(future::plan(old), envir = .local_envir)
}

# Worker processes load the package from the library, so they cannot run
# code loaded from source (with load_all()): they would run whatever copy is
# installed.
skip_if_no_workers <- function() {
  skip_on_cran()
  installed <- find.package("parairline", lib.loc = .libPaths(), quiet = TRUE)
  loaded <- getNamespaceInfo("parairline", "path")
  if (length(installed) == 0L || normalizePath(installed[1]) != normalizePath(loaded)) {
    skip("worker processes load the installed package, not the one under test")
  }
}

# Runs the backend with a chosen number of groups, so that small test files
# still make more groups than workers.
future_sum <- function(files, by, value, n_groups, threads = 1L, progress = FALSE) {
  query <- group_sum_query(by, value)
  job <- future_job(files, engine_query(query), call = NULL)
  res <- run_future_job(job, threads, progress, call = NULL, n_groups = n_groups)
  group_sum_frame(engine_frame(res, query), query)
}

# Quoted commas and newlines in keys and in a long text column, so that with
# small chunks many chunk borders fall inside quotes.
awkward_csv <- function(dir, rows = 300) {
  keys <- rep(c("AA", "B,B", "C\nC", "", "q\"\"x"), length.out = rows)
  values <- format(seq(0.01, by = 1.37, length.out = rows), nsmall = 2, trim = TRUE)
  values[seq(7, rows, by = 50)] <- ""
  local_csv(c('"K","NOTE","V",\n',
              sprintf('"%s","note %d,\n""quoted"", \nline",%s,\n', keys, seq_len(rows), values)),
            "awkward.csv", dir = dir)
}

tbb_sum <- function(files, by, value, chunk_bytes = 4096) {
  withr::with_options(list(parairline.chunk_bytes = chunk_bytes),
    csv_group_sum(files, by, value, backend = "tbb", threads = 2)
  )
}

test_that("split_tasks makes contiguous groups of about equal bytes", {
  expect_identical(split_tasks(double(), 4), list())
  expect_identical(split_tasks(c(5, 5, 5), 10), list(0, 1, 2))
  expect_identical(split_tasks(c(0, 0, 0, 0), 2), list(c(0, 1), c(2, 3)))
  expect_identical(split_tasks(c(100, 1, 1, 1, 1), 2), list(0, c(1, 2, 3, 4)))
  bytes <- c(rep(4e6, 30), 1.5e6, 4e6, 2e5, rep(4e6, 10))
  for (n in c(1, 2, 3, 7, 43)) {
    g <- split_tasks(bytes, n)
    expect_identical(unlist(g), seq_along(bytes) - 1)
    expect_lte(length(g), n)
    sizes <- vapply(g, function(ids) sum(bytes[ids + 1]), 0)
    expect_lte(max(sizes), sum(bytes) / n + max(bytes))
  }
})

test_that("groups: one per worker for small data, up to 4 per worker for big", {
  local_plan(future::sequential)
  expect_identical(future_group_count(rep(1e6, 10)), 1L)
  expect_identical(future_group_count(rep(4 * 1024^2, 1000)), 4L)
  expect_identical(future_group_count(double()), 0L)
})

test_that("plan(sequential) runs here, gives tbb's answer and leaves the plan alone", {
  local_plan(future::sequential)
  before <- future::plan("list")
  dir <- withr::local_tempdir()
  sim <- airontime_simulate(dir, months = 1:3, rows_per_file = 2000, threads = 2)
  expect_identical(airline_distances(sim$files, backend = "future", threads = 2), sim$totals)
  expect_identical(airline_distances(sim$files, backend = "future"), sim$totals)
  path <- awkward_csv(dir)
  for (cb in c(64, 4096)) {
    withr::with_options(list(parairline.chunk_bytes = cb), {
      expect_identical(future_sum(path, "K", "V", n_groups = 5, threads = 2), tbb_sum(path, "K", "V"))
      expect_identical(future_sum(path, "K", "V", n_groups = 3, threads = NULL), tbb_sum(path, "K", "V"))
    })
  }
  expect_identical(future::plan("list"), before)
})

test_that("multisession workers give tbb's answer, errors keep their classes", {
  skip_if_no_workers()
  local_plan(future::multisession, workers = 2)
  before <- future::plan("list")
  dir <- withr::local_tempdir()
  sim <- airontime_simulate(dir, months = 1:4, rows_per_file = 3000, threads = 2)
  files <- sim$files

  expect_identical(airline_distances(files, backend = "future", threads = 1), sim$totals)
  withr::with_options(list(parairline.chunk_bytes = 5000), {
    expect_identical(future_sum(files, "UNIQUE_CARRIER", "DISTANCE", n_groups = 7),
                     tbb_sum(files, "UNIQUE_CARRIER", "DISTANCE"))
  })
  path <- awkward_csv(dir)
  withr::with_options(list(parairline.chunk_bytes = 64), {
    expect_identical(future_sum(path, "K", "V", n_groups = 5), tbb_sum(path, "K", "V", 64))
    expect_identical(
      suppressMessages(csv_group_sum(c(path, path), "K", "V", backend = "future",
                                     threads = 1, progress = TRUE)),
      tbb_sum(c(path, path), "K", "V", 64)
    )
  })

  # A parse error found on a worker is raised here like tbb's.
  bad <- local_csv("K,V\nA,1\nB,2\nC,12a\nD,x\n", "bad-number.csv", dir = dir)
  for (cb in c(5, 4096)) {
    err <- withr::with_options(list(parairline.chunk_bytes = cb),
      tryCatch(csv_group_sum(c(path, bad), "K", "V", backend = "future", threads = 1),
               error = identity)
    )
    expect_s3_class(err, "parairline_parse_error")
    expect_identical(err$file, bad)
    expect_identical(err$line, 4)
    expect_identical(err$column, 2)
    expect_identical(err$text, "12a")
  }

  # A worker that cannot read a file (here: moved after planning) names the
  # file and its host.
  job <- future_job(files, sum_query("UNIQUE_CARRIER", "DISTANCE"), call = NULL)
  file.rename(files[3], paste0(files[3], ".moved"))
  err <- tryCatch(run_future_job(job, 1L, FALSE, call = NULL), error = identity)
  file.rename(paste0(files[3], ".moved"), files[3])
  expect_s3_class(err, "parairline_io_error")
  expect_identical(err$file, files[3])
  expect_match(conditionMessage(err), Sys.info()[["nodename"]], fixed = TRUE)
  expect_match(conditionMessage(err), "shared filesystem", fixed = TRUE)

  # Any other failure on a worker is a worker error.
  job$plan[1:4] <- as.raw(0)
  expect_error(run_future_job(job, 1L, FALSE, call = NULL), class = "parairline_worker_error")

  expect_identical(future::plan("list"), before)
})

test_that("cluster workers on sockets give tbb's answer", {
  skip_if_no_workers()
  # "localhost" workers are started directly, without SSH.
  local_plan(future::cluster, workers = c("localhost", "localhost"))
  dir <- withr::local_tempdir()
  sim <- airontime_simulate(dir, months = 1:3, rows_per_file = 3000, threads = 2)
  expect_identical(airline_distances(sim$files, backend = "future", threads = 1), sim$totals)
  path <- awkward_csv(dir)
  withr::with_options(list(parairline.chunk_bytes = 64), {
    expect_identical(future_sum(path, "K", "V", n_groups = 6), tbb_sum(path, "K", "V", 64))
  })
})

test_that("the unreadable-file error reads well", {
  local_plan(future::sequential)
  dir <- withr::local_tempdir()
  path <- local_csv("K,V\nA,1\n", "gone.csv", dir = dir)
  job <- future_job(path, sum_query("K", "V"), call = NULL)
  unlink(path)
  expect_snapshot(error = TRUE, run_future_job(job, 1L, FALSE, call = NULL),
    transform = function(x) {
      x <- gsub(Sys.info()[["nodename"]], "<host>", scrub_paths(x, dir), fixed = TRUE)
      x
    })
})

test_that("a failure of the future framework itself is a worker error naming the user's function", {
  local_plan(future::sequential)
  withr::local_options(future.globals.maxSize = 10)
  err <- tryCatch(airline_distances(airontime_sample()[1], backend = "future", threads = 1),
                  error = identity)
  expect_s3_class(err, "parairline_worker_error")
  expect_s3_class(err, "parairline_error")
  expect_identical(err$call[[1]], quote(airline_distances))
  expect_match(conditionMessage(err$parent), "future.globals.maxSize", fixed = TRUE)
})
