test_that("csv_group_sum groups by any column and names the key column after it", {
  path <- local_csv(c("state,x,v\n", "NY,1,2.5\n", "CA,2,\n", "NY,3,NA\n", "CA,4,-1.25\n", "TX,5,1e2\n"))
  got <- csv_group_sum(path, by = "state", value = "v", threads = 1)
  expect_identical(got, data.frame(
    state = c("CA", "NY", "TX"), sum = c(-1.25, 2.5, 100), n = c(2, 2, 1), missing = c(1, 1, 0)
  ))
  for (backend in local_backends()) {
    expect_identical(csv_group_sum(path, "state", "v", backend = backend, threads = 2), got, label = backend)
  }
})

test_that("arguments are checked with clear errors", {
  f <- airontime_sample()[1]
  expect_error(csv_group_sum(character(), "A", "B"), class = "parairline_input_error")
  expect_error(csv_group_sum(1, "A", "B"), class = "parairline_input_error")
  expect_error(csv_group_sum(NA_character_, "A", "B"), class = "parairline_input_error")
  expect_error(csv_group_sum(f, "A", "B", backend = "spark"), class = "parairline_input_error")
  expect_error(csv_group_sum(f, "A", "B", threads = 0), class = "parairline_input_error")
  expect_error(csv_group_sum(f, "A", "B", threads = 1.5), class = "parairline_input_error")
  expect_error(csv_group_sum(f, c("A", "A"), "B"), class = "parairline_input_error")
  expect_error(csv_group_sum(f, "A", c("B", "B")), class = "parairline_input_error")
  expect_error(airline_distances(f, carrier = c("A", "B")), class = "parairline_input_error")
  expect_error(csv_group_sum(f, "A", ""), class = "parairline_input_error")
  expect_error(csv_group_sum(f, "A", "B", progress = NA), class = "parairline_input_error")
  expect_error(csv_group_sum(c(f, "no/such/file.csv", "nor/this.csv"), "A", "B"),
               class = "parairline_io_error")
  expect_error(csv_group_sum(tempdir(), "A", "B"), class = "parairline_io_error")
  withr::with_options(list(parairline.chunk_bytes = -1), {
    expect_error(csv_group_sum(f, "UNIQUE_CARRIER", "DISTANCE"), class = "parairline_input_error")
  })
})

test_that("argument errors read well", {
  f <- airontime_sample()[1]
  expect_snapshot(error = TRUE, {
    csv_group_sum(character(), "A", "B")
    csv_group_sum(1, "A", "B")
    airline_distances(f, backend = "spark")
    airline_distances(f, threads = 0)
    csv_group_sum(c(f, "no/such/file.csv", "nor/this.csv"), "A", "B")
  }, transform = function(x) gsub(dirname(f), "<extdata>", x, fixed = TRUE))
})

test_that("a bad chunk-size option is an input error naming the user's function", {
  f <- airontime_sample()[1]
  withr::local_options(parairline.chunk_bytes = -1)
  for (backend in setdiff(local_backends(), c("datatable", "base"))) {
    err <- tryCatch(csv_group_sum(f, "UNIQUE_CARRIER", "DISTANCE", backend = backend, threads = 1),
                    error = identity)
    expect_s3_class(err, "parairline_input_error")
    expect_s3_class(err, "parairline_error")
    expect_identical(err$call[[1]], quote(csv_group_sum), label = backend)
    err <- tryCatch(airline_distances(f, backend = backend, threads = 1), error = identity)
    expect_s3_class(err, "parairline_input_error")
    expect_identical(err$call[[1]], quote(airline_distances), label = backend)
  }
  expect_snapshot(error = TRUE, airline_distances(f, threads = 1))
})

test_that("a chunk-size option beyond 2^53 bytes (or Inf) is one chunk per file", {
  f <- airontime_sample()[1:2]
  expected <- csv_group_sum(f, "UNIQUE_CARRIER", "DISTANCE", threads = 2)
  for (cb in c(2^53, 1e30, Inf)) {
    withr::with_options(list(parairline.chunk_bytes = cb), {
      expect_identical(chunk_bytes_option(call = NULL), 2^53)
      expect_identical(csv_group_sum(f, "UNIQUE_CARRIER", "DISTANCE", threads = 2), expected)
    })
  }
})

test_that("the reference backends' reader errors are classed and name the file", {
  dir <- withr::local_tempdir()
  empty <- local_csv("", "empty.csv", dir = dir)
  nocol <- local_csv("A,B\n1,2\n", "nocol.csv", dir = dir)
  bad <- local_csv("K,V\nA,1\nB,x\n", "bad.csv", dir = dir)
  # read.csv() stops on a file with no lines; fread() warns and reads nothing.
  err <- tryCatch(csv_group_sum(empty, "K", "V", backend = "base"), error = identity)
  expect_s3_class(err, "parairline_io_error")
  expect_s3_class(err, "parairline_error")
  expect_identical(err$file, empty)
  expect_identical(err$call[[1]], quote(csv_group_sum))
  for (backend in c("datatable", "base")) {
    err <- suppressWarnings(tryCatch(airline_distances(nocol, backend = backend, threads = 1),
                                     error = identity))
    expect_s3_class(err, "parairline_parse_error")
    expect_identical(err$file, nocol, label = backend)
    expect_identical(err$call[[1]], quote(airline_distances), label = backend)
    err <- tryCatch(csv_group_sum(bad, "K", "V", backend = backend, threads = 1), error = identity)
    expect_s3_class(err, "parairline_parse_error")
    expect_identical(err$text, "x", label = backend)
  }
})
