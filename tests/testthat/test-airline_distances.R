test_that("every backend gives the simulator's exact totals", {
  dir <- withr::local_tempdir()
  for (seed in 1:3) {
    sim <- airontime_simulate(file.path(dir, seed), months = 1:3, rows_per_file = 1500,
                              seed = seed, threads = 2)
    for (backend in local_backends()) {
      for (threads in 1:2) {
        expect_identical(
          airline_distances(sim$files, backend = backend, threads = threads),
          sim$totals,
          label = sprintf("seed %d, %s, %d threads", seed, backend, threads)
        )
      }
    }
    for (cb in c(64, 1000, 65536)) {
      withr::with_options(list(parairline.chunk_bytes = cb), {
        expect_identical(airline_distances(sim$files, threads = 2), sim$totals)
      })
    }
  }
})

test_that("the bundled sample gives the same table from every backend", {
  files <- airontime_sample()
  ref <- airline_distances(files, backend = "datatable", threads = 1)
  expect_named(ref, c("carrier", "distance", "flights", "missing"))
  expect_type(ref$carrier, "character")
  expect_type(ref$distance, "double")
  expect_type(ref$flights, "double")
  expect_type(ref$missing, "double")
  expect_identical(ref$carrier, sort(ref$carrier, method = "radix"))
  expect_equal(sum(ref$flights), 12 * 300)
  for (backend in local_backends()) {
    expect_identical(airline_distances(files, backend = backend, threads = 2), ref, label = backend)
  }
  expect_identical(airline_distances(), airline_distances(files))
})

test_that("column names are arguments: ASA 2009 names, reordered columns", {
  dir <- withr::local_tempdir()
  sim <- airontime_simulate(dir, months = 1:2, rows_per_file = 800, threads = 2)
  # Rewrite with the ASA 2009 names and a different column order per file.
  asa <- character()
  for (i in seq_along(sim$files)) {
    d <- data.table::fread(sim$files[i], colClasses = "character", na.strings = NULL)
    d <- d[, c("DISTANCE", "ORIGIN", "UNIQUE_CARRIER", "YEAR")[c(i, setdiff(1:4, i))], with = FALSE]
    data.table::setnames(d, c("DISTANCE", "UNIQUE_CARRIER"), c("Distance", "UniqueCarrier"))
    asa[i] <- file.path(dir, sprintf("asa%d.csv", i))
    data.table::fwrite(d, asa[i])
  }
  for (backend in local_backends()) {
    got <- airline_distances(asa, backend = backend, threads = 2,
                             carrier = "UniqueCarrier", distance = "Distance")
    expect_identical(got, sim$totals, label = backend)
    # Without the names: the error says which argument names the column.
    err <- expect_error(airline_distances(asa, backend = backend, threads = 1), class = "parairline_parse_error")
    expect_match(conditionMessage(err), "Column \"UNIQUE_CARRIER\" is not in the header", fixed = TRUE)
    expect_match(conditionMessage(err), "Name the carrier column with `carrier =`", fixed = TRUE)
    expect_identical(err$file, asa[1])
    err <- expect_error(airline_distances(asa, backend = backend, threads = 1, carrier = "UniqueCarrier"),
                        class = "parairline_error")
    expect_match(conditionMessage(err), "Name the distance column with `distance =`", fixed = TRUE)
  }
})

test_that("progress = TRUE gives the same answer", {
  files <- airontime_sample()
  expect_identical(
    suppressMessages(airline_distances(files, threads = 2, progress = TRUE)),
    airline_distances(files, threads = 2)
  )
})

test_that("argument errors name airline_distances() and its own argument names", {
  f <- airontime_sample()[1]
  for (code in list(quote(airline_distances(f, backend = "spark")),
                    quote(airline_distances(f, threads = 0)),
                    quote(airline_distances(f, progress = NA)),
                    quote(airline_distances(f, backend = NA_character_)))) {
    err <- tryCatch(eval(code), error = identity)
    label <- deparse(code)
    expect_s3_class(err, "parairline_input_error")
    expect_s3_class(err, "parairline_error")
    expect_identical(err$call[[1]], quote(airline_distances), label = label)
  }
  err <- tryCatch(airline_distances(f, carrier = ""), error = identity)
  expect_s3_class(err, "parairline_input_error")
  expect_match(conditionMessage(err), "`carrier`", fixed = TRUE)
  err <- tryCatch(airline_distances(f, distance = NA), error = identity)
  expect_match(conditionMessage(err), "`distance`", fixed = TRUE)
  # Bad input found by the core names the user's function too.
  nocol <- local_csv("YEAR,Carrier,Distance\n1990,AA,12\n", "nocol.csv")
  for (backend in setdiff(local_backends(), c("datatable", "base"))) {
    err <- tryCatch(airline_distances(nocol, backend = backend, threads = 1), error = identity)
    expect_s3_class(err, "parairline_parse_error")
    expect_identical(err$call[[1]], quote(airline_distances), label = backend)
  }
})
