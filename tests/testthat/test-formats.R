# Compressed inputs as published: every format, recognised by its first
# bytes, gives the plain file's exact answer on every backend; a cut or
# damaged stream is a classed error naming the file, never a short sum.

sim_compress <- c(gzip = "gz", bzip2 = "bz2", xz = "xz", zstd = "zst", zip = "zip")

# One month per format (and one plain), with the exact totals. 10,000 rows
# (2.2 MB) make several bzip2 and zstd blocks, so a cut stream still has
# whole blocks to read before it ends.
local_mixed_files <- function(env = parent.frame()) {
  dir <- withr::local_tempdir(.local_envir = env)
  formats <- intersect(names(sim_compress), cpp_supported_formats())
  compress <- c("none", unname(sim_compress[formats]))
  files <- character()
  totals <- NULL
  for (i in seq_along(compress)) {
    sim <- airontime_simulate(dir, months = i, rows_per_file = 1e4, threads = 1, compress = compress[i])
    files <- c(files, sim$files)
    totals <- rbind(totals, sim$totals)
  }
  want <- stats::aggregate(cbind(distance, flights, missing) ~ carrier, data = totals, FUN = sum)
  want <- want[order(want$carrier, method = "radix"), ]
  rownames(want) <- NULL
  list(files = files, want = want, compress = compress, dir = dir)
}

test_that("a mix of every format and plain files gives the exact totals on every backend", {
  mixed <- local_mixed_files()
  expect_true(length(mixed$compress) >= 2)
  expect_match(basename(mixed$files), "^airOT1990\\d\\d\\.(csv|csv\\.gz|csv\\.bz2|csv\\.xz|csv\\.zst|zip)$")
  for (backend in local_backends()) {
    got <- airline_distances(mixed$files, backend = backend, threads = 2)
    expect_equal(got, mixed$want, tolerance = 1e-12, label = backend)
  }
  # The C++ backends agree bit for bit, chunk size or not.
  expect_same_everywhere(mixed$files, "UNIQUE_CARRIER", "DISTANCE",
                         csv_group_sum(mixed$files, "UNIQUE_CARRIER", "DISTANCE", threads = 1),
                         chunk_bytes = c(64, 2^20))
})

test_that("a zip built like a BTS download (a CSV and a readme) is read in one call", {
  skip_if_not("zip" %in% cpp_supported_formats())
  dir <- withr::local_tempdir()
  sim <- airontime_simulate(dir, months = 1, rows_per_file = 300, threads = 1, compress = "zip")
  expect_setequal(utils::unzip(sim$files, list = TRUE)$Name, c("airOT199001.csv", "readme.html"))
  expect_equal(airline_distances(sim$files, threads = 2), sim$totals)
  # A member's error names archive:member and the line.
  bad <- file.path(dir, "bad.zip")
  csv <- local_csv("K,V\nA,1\nB,x\n", "month.CSV", dir = withr::local_tempdir())
  withr::with_dir(dirname(csv), utils::zip(bad, basename(csv), flags = "-q"))
  for (backend in intersect(local_backends(), c("tbb", "fork", "future"))) {
    err <- tryCatch(csv_group_sum(bad, "K", "V", backend = backend, threads = 2), error = identity)
    expect_s3_class(err, "parairline_parse_error")
    expect_identical(err$file, paste0(bad, ":month.CSV"), label = backend)
    expect_identical(err$line, 3, label = backend)
  }
})

test_that("a cut or damaged stream is a classed error naming the file, never a short sum", {
  mixed <- local_mixed_files()
  for (i in seq_along(mixed$files)[-1]) {
    f <- mixed$files[i]
    bytes <- readBin(f, "raw", file.size(f))
    cut <- file.path(mixed$dir, paste0("cut-", basename(f)))
    writeBin(bytes[seq_len((length(bytes) * 2) %/% 3)], cut)
    damaged <- file.path(mixed$dir, paste0("damaged-", basename(f)))
    middle <- length(bytes) %/% 2 + 0:31
    bytes[middle] <- as.raw(bitwXor(as.integer(bytes[middle]), 0x5aL))
    writeBin(bytes, damaged)
    for (bad in c(cut, damaged)) {
      # The C++ backends (R's own decoders, which the references use, may
      # stop early without a word).
      for (backend in intersect(local_backends(), c("tbb", "fork", "future"))) {
        err <- tryCatch(airline_distances(bad, backend = backend, threads = 2), error = identity)
        label <- paste(backend, basename(bad))
        expect_s3_class(err, "parairline_error")
        if (inherits(err, "parairline_error")) {
          expect_true(startsWith(err$file, bad), label = label)
          # A cut stream names the last line read (a cut zip has lost its directory).
          if (bad == cut && !grepl("zip$", bad)) expect_gt(err$line, 1, label = label)
        }
      }
    }
  }
})

test_that("an archive without a CSV member is an error naming it", {
  skip_if_not("zip" %in% cpp_supported_formats())
  dir <- withr::local_tempdir()
  notes <- file.path(dir, "notes.txt")
  writeLines("no data here", notes)
  zip <- file.path(dir, "notes.zip")
  withr::with_dir(dir, utils::zip(zip, "notes.txt", flags = "-q"))
  for (backend in local_backends()) {
    err <- tryCatch(airline_distances(zip, backend = backend, threads = 1), error = identity)
    expect_s3_class(err, "parairline_io_error")
    expect_match(conditionMessage(err), "no member whose name ends in", label = backend)
  }
})

test_that("directories and globs pick up every CSV file, compressed ones too, sorted", {
  mixed <- local_mixed_files()
  writeLines("not data", file.path(mixed$dir, "notes.txt"))
  sorted <- sort(mixed$files, method = "radix")
  for (backend in intersect(local_backends(), c("tbb", "datatable"))) {
    expect_equal(airline_distances(mixed$dir, backend = backend, threads = 2), mixed$want, tolerance = 1e-12)
    expect_equal(airline_distances(file.path(mixed$dir, "airOT1990*"), backend = backend, threads = 2),
                 mixed$want, tolerance = 1e-12)
  }
  # Mixed with a plain path, in place: the first month twice.
  twice <- airline_distances(c(mixed$files[1], mixed$dir), threads = 2)
  once <- airline_distances(mixed$files[1], threads = 2)
  extra <- once$flights[match(twice$carrier, once$carrier)]
  extra[is.na(extra)] <- 0
  expect_identical(twice$flights, mixed$want$flights + extra)
  expect_identical(parairline:::resolve_files(mixed$dir, call = NULL), sorted)
  # Nothing found says what was looked for.
  empty <- withr::local_tempdir()
  err <- tryCatch(airline_distances(empty), error = identity)
  expect_s3_class(err, "parairline_io_error")
  expect_match(conditionMessage(err), "has no CSV file")
  err <- tryCatch(airline_distances(file.path(empty, "airOT*.csv")), error = identity)
  expect_s3_class(err, "parairline_io_error")
  expect_match(conditionMessage(err), "No file matches the pattern")
})
