# The C++ core on awkward but valid files: every chunk size and thread count
# gives the same answer as data.table (or as a known answer where data.table
# reads the file differently).

test_that("quoted commas, doubled quotes and newlines inside quotes", {
  path <- local_csv(c(
    '"K","X","V",\n',
    '"AA","x,y",2475.00,\n',
    '"a,b","multi\nline\n,,field",1.5,\n',
    '"q""x","""",7,\n',
    '"AA","",,\n',
    '"","empty key",4,\n'
  ))
  # An empty key is a missing one (NA), sorted last.
  expected <- data.frame(K = c("AA", "a,b", "q\"x", NA), sum = c(2475, 1.5, 7, 4),
                         n = c(2, 1, 1, 1), missing = c(1, 0, 0, 0))
  expect_same_everywhere(path, "K", "V", expected)
})

test_that("CRLF, a BOM, no final newline, blank lines, header-only files", {
  a <- local_csv("\xEF\xBB\xBFK,V\r\nA,1\r\nB,2.5\r\n\r\nA,NA\r\n", "crlf.csv")
  b <- local_csv("K,V\nA,1\nB,2", "nofinal.csv", dir = dirname(a))
  c <- local_csv("K,V\n", "header-only.csv", dir = dirname(a))
  d <- local_csv("V,K", "header-only-no-newline.csv", dir = dirname(a))
  expected <- data.frame(K = c("A", "B"), sum = c(2, 4.5), n = c(3, 2), missing = c(1, 0))
  expect_same_everywhere(c(a, b, c, d), "K", "V", expected)
  # data.table stops at a blank line (a "footer"), so compare it without one.
  a2 <- local_csv("\xEF\xBB\xBFK,V\r\nA,1\r\nB,2.5\r\nA,NA\r\n", "crlf2.csv", dir = dirname(a))
  ref <- csv_group_sum(c(a2, b, c, d), "K", "V", backend = "datatable", threads = 1)
  expect_identical(ref, expected)
  empty <- data.frame(K = character(), sum = double(), n = double(), missing = double())
  expect_same_everywhere(c(c, d), "K", "V", empty, chunk_bytes = 1)
})

test_that("files with different column orders and gzip files", {
  dir <- withr::local_tempdir()
  sim <- airontime_simulate(dir, months = 1:2, rows_per_file = 700, threads = 2)
  gz <- file.path(dir, "m1.csv.gz")
  con <- gzfile(gz, "wb")
  writeLines(readLines(sim$files[1]), con)
  close(con)
  files <- c(gz, sim$files[2])
  expect_identical(airline_distances(files, threads = 2), sim$totals)
  if (requireNamespace("R.utils", quietly = TRUE)) {  # fread needs it for .gz
    expect_identical(airline_distances(files, backend = "datatable", threads = 1), sim$totals)
  }
  withr::with_options(list(parairline.chunk_bytes = 100), {
    expect_identical(airline_distances(files, threads = 2), sim$totals)
  })
})

test_that("sums are exact decimal sums rounded once, whatever the chunking", {
  path <- local_csv(c("K,V\n", rep("A,0.1\n", 10), "B,1e16\n", "B,1\n", "B,-1e16\n",
                      "C,1e300\n", "C,2.5\n", "C,-1e300\n", "D,0.1\n", "D,0.2\n"))
  expected <- data.frame(K = c("A", "B", "C", "D"), sum = c(1, 1, 2.5, 0.3),
                         n = c(10, 3, 3, 2), missing = c(0, 0, 0, 0))
  expect_same_everywhere(path, "K", "V", expected)
  # Naive double addition gets B and C wrong; we do not.
  expect_false(1e16 + 1 - 1e16 == 1)
})

test_that("the same file listed twice is summed twice", {
  f <- airontime_sample()[1]
  once <- airline_distances(f, threads = 1)
  twice <- airline_distances(c(f, f), threads = 2)
  expect_identical(twice$distance, 2 * once$distance)
  expect_identical(twice$flights, 2 * once$flights)
})

test_that("bad input gives classed errors naming the file, line and column", {
  dir <- withr::local_tempdir()
  bad_number <- local_csv("K,V\nA,1\nB,2\nC,12a\nD,x\n", "bad-number.csv", dir = dir)
  for (cb in c(1, 5, 4096)) {
    for (threads in 1:2) {
      err <- withr::with_options(list(parairline.chunk_bytes = cb),
        tryCatch(csv_group_sum(bad_number, "K", "V", threads = threads), error = identity)
      )
      expect_s3_class(err, "parairline_parse_error")
      expect_s3_class(err, "parairline_error")
      expect_identical(err$file, bad_number)
      expect_identical(err$line, 4)
      expect_identical(err$column, 2)
      expect_identical(err$text, "12a")
    }
  }
  ragged <- local_csv("K,V\n\"a\nb\",1\nB,2,3\n", "ragged.csv", dir = dir)
  err <- tryCatch(csv_group_sum(ragged, "K", "V", threads = 2), error = identity)
  expect_s3_class(err, "parairline_parse_error")
  expect_identical(err$line, 4)

  expect_error(csv_group_sum(local_csv("K,V\nA,\"1\n", "unterminated.csv", dir = dir), "K", "V"),
               class = "parairline_parse_error")
  expect_error(csv_group_sum(local_csv("", "empty.csv", dir = dir), "K", "V"),
               class = "parairline_io_error")
  expect_error(csv_group_sum(local_csv("A,B\n1,2\n", "nocol.csv", dir = dir), "K", "B"),
               class = "parairline_parse_error")
  expect_error(csv_group_sum(local_csv("K,V,K\n1,2,3\n", "dup.csv", dir = dir), "K", "V"),
               class = "parairline_parse_error")
  nul <- file.path(dir, "nul.csv")
  writeBin(as.raw(c(charToRaw("K,V\nA"), 0, charToRaw("B,1\n"))), nul)
  expect_error(csv_group_sum(nul, "K", "V"), class = "parairline_parse_error")
})

test_that("corrupt and truncated gzip files are errors naming the file", {
  dir <- withr::local_tempdir()
  gz <- local_csv(paste0("K,V\n", strrep("A,1\nB,2\n", 2000)), "ok.csv.gz", dir = dir, gzip = TRUE)
  raw <- readBin(gz, "raw", file.size(gz))
  truncated <- file.path(dir, "truncated.csv.gz")
  writeBin(raw[seq_len(length(raw) - 20)], truncated)
  corrupt <- file.path(dir, "corrupt.csv.gz")
  flip <- 30:(length(raw) - 10)
  raw[flip] <- xor(raw[flip], as.raw(0x5a))
  writeBin(raw, corrupt)
  for (f in c(truncated, corrupt)) {
    err <- tryCatch(csv_group_sum(f, "K", "V", threads = 2), error = identity)
    expect_s3_class(err, "parairline_io_error")
    expect_identical(err$file, f)
  }
})

test_that("error messages read well", {
  dir <- withr::local_tempdir()
  f <- function(name, text) local_csv(text, name, dir = dir)
  expect_snapshot(error = TRUE, {
    csv_group_sum(f("bad-number.csv", "K,V\nA,1\nC,12a\n"), "K", "V")
    csv_group_sum(f("ragged.csv", "K,V\nA,1\nB,2,3\n"), "K", "V")
    csv_group_sum(f("unterminated.csv", "K,V\nA,1\nB,\"2\n"), "K", "V")
    csv_group_sum(f("stray.csv", "K,V\nA\"b,1\n"), "K", "V")
    csv_group_sum(f("empty.csv", ""), "K", "V")
    airline_distances(f("nocol.csv", "YEAR,Carrier,Distance\n1990,AA,12\n"))
    csv_group_sum(f("dup.csv", "K,V,K\n1,2,3\n"), "K", "V")
  }, transform = function(x) scrub_paths(x, dir))
})
