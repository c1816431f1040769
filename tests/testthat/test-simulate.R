header <- paste0(
  '"YEAR","MONTH","DAY_OF_MONTH","DAY_OF_WEEK","FL_DATE","UNIQUE_CARRIER","TAIL_NUM",',
  '"FL_NUM","ORIGIN_AIRPORT_ID","ORIGIN","ORIGIN_STATE_ABR","DEST_AIRPORT_ID","DEST",',
  '"DEST_STATE_ABR","CRS_DEP_TIME","DEP_TIME","DEP_DELAY","DEP_DELAY_NEW","DEP_DEL15",',
  '"DEP_DELAY_GROUP","TAXI_OUT","WHEELS_OFF","WHEELS_ON","TAXI_IN","CRS_ARR_TIME",',
  '"ARR_TIME","ARR_DELAY","ARR_DELAY_NEW","ARR_DEL15","ARR_DELAY_GROUP","CANCELLED",',
  '"CANCELLATION_CODE","DIVERTED","CRS_ELAPSED_TIME","ACTUAL_ELAPSED_TIME","AIR_TIME",',
  '"FLIGHTS","DISTANCE","DISTANCE_GROUP","CARRIER_DELAY","WEATHER_DELAY","NAS_DELAY",',
  '"SECURITY_DELAY","LATE_AIRCRAFT_DELAY",'
)

read_bytes <- function(f) readBin(f, "raw", file.size(f))

# The answer computed from the files alone, the way an R user would.
totals_fread <- function(files) {
  d <- do.call(rbind, lapply(files, function(f) {
    as.data.frame(data.table::fread(f, select = c("UNIQUE_CARRIER", "DISTANCE"),
                                    colClasses = c(UNIQUE_CARRIER = "character"),
                                    showProgress = FALSE))
  }))
  key <- sort(unique(d$UNIQUE_CARRIER), method = "radix")
  g <- factor(d$UNIQUE_CARRIER, levels = key)
  data.frame(
    carrier = key,
    distance = vapply(split(d$DISTANCE, g), sum, 1, na.rm = TRUE, USE.NAMES = FALSE),
    flights = as.double(tabulate(g, length(key))),
    missing = vapply(split(is.na(d$DISTANCE), g), sum, 1, USE.NAMES = FALSE),
    stringsAsFactors = FALSE
  )
}

test_that("files have the AirOnTime names, header and line layout", {
  dir <- withr::local_tempdir()
  sim <- airontime_simulate(file.path(dir, "new", "sub"), years = c(1990, 2012),
                            months = c(2, 1), rows_per_file = 500, threads = 2)
  expect_equal(basename(sim$files),
               c("airOT199001.csv", "airOT199002.csv", "airOT201201.csv", "airOT201202.csv"))
  expect_true(all(file.exists(sim$files)))

  bytes <- read_bytes(sim$files[3])
  expect_false(any(bytes == as.raw(13L)))
  lines <- readLines(sim$files[3])
  expect_identical(lines[1], header)
  expect_length(lines, 501L)
  data <- lines[-1]
  expect_true(all(endsWith(data, ",")))
  fields <- strsplit(paste0(data, "x"), ",", fixed = TRUE)
  expect_true(all(lengths(fields) == 45L))
  expect_match(data[1], '^2012,1,1,7,2012-01-01,"[^"]+","N[0-9]+[A-Z0-9]+","[0-9]+",[0-9]{5},"[A-Z]{3}","[A-Z]{2}",')
  # FLIGHTS, DISTANCE and its group (or two empty fields), the five delay causes.
  expect_true(all(grepl(",1\\.00,([0-9]+\\.00,[0-9]+|,),(([0-9]+\\.00)?,){5}$", data)))
})

test_that("columns hold valid dates, codes and distances", {
  dir <- withr::local_tempdir()
  sim <- airontime_simulate(dir, years = 1990, months = 2, rows_per_file = 3000, seed = 7,
                            threads = 1)
  d <- data.table::fread(sim$files, colClasses = "character", na.strings = NULL)
  date <- as.Date(d$FL_DATE)
  expect_false(anyNA(date))
  expect_true(all(format(date, "%Y-%m") == "1990-02"))
  expect_identical(as.integer(d$DAY_OF_MONTH), as.integer(format(date, "%d")))
  expect_identical(as.integer(d$DAY_OF_WEEK), as.integer(format(date, "%u")))
  expect_false(is.unsorted(date))
  expect_true("PA (1)" %in% d$UNIQUE_CARRIER)
  expect_true(all(d$UNIQUE_CARRIER %in%
                    c("AA", "AS", "CO", "DL", "EA", "HP", "NW", "PA (1)", "PI", "TW", "UA",
                      "US", "WN")))
  expect_true(all(d$ORIGIN != d$DEST))

  dist <- d$DISTANCE[nzchar(d$DISTANCE)]
  expect_true(all(grepl("^[0-9]+\\.00$", dist)))
  miles <- as.numeric(dist)
  expect_true(all(miles >= 80 & miles < 6000))
  group <- as.integer(d$DISTANCE_GROUP[nzchar(d$DISTANCE)])
  expect_identical(group, pmin(11L, as.integer(miles %/% 250) + 1L))

  cancelled <- d$CANCELLED == "1.00"
  expect_true(any(cancelled))
  expect_true(mean(cancelled) < 0.06)
  expect_true(all(d$CANCELLATION_CODE[cancelled] %in% c("A", "B", "C")))
  expect_true(all(d$CANCELLATION_CODE[!cancelled] == ""))
  expect_true(all(d$DEP_TIME[cancelled] == "" & d$DEP_DELAY[cancelled] == ""))
  expect_true(all(grepl("^[0-9]{4}$", d$CRS_DEP_TIME)))
})

test_that("the same seed gives the same bytes for any thread count", {
  dir <- withr::local_tempdir()
  a <- airontime_simulate(file.path(dir, "a"), months = 1:3, rows_per_file = 800,
                          seed = 42, threads = 1)
  b <- airontime_simulate(file.path(dir, "b"), months = 1:3, rows_per_file = 800,
                          seed = 42, threads = 2)
  c <- airontime_simulate(file.path(dir, "c"), months = 1:3, rows_per_file = 800,
                          seed = 43, threads = 2)
  # A month's stream does not depend on which other months are written.
  d <- airontime_simulate(file.path(dir, "d"), months = 2, rows_per_file = 800,
                          seed = 42, threads = 1)
  for (i in 1:3) expect_identical(read_bytes(a$files[i]), read_bytes(b$files[i]))
  expect_identical(a$totals, b$totals)
  expect_false(identical(read_bytes(a$files[1]), read_bytes(c$files[1])))
  expect_identical(read_bytes(a$files[2]), read_bytes(d$files[1]))
  expect_identical(
    read_bytes(airontime_simulate(file.path(dir, "e"), months = 2, rows_per_file = 800,
                                  seed = 42L, threads = 1)$files),
    read_bytes(d$files)
  )
})

test_that("returned totals are exact and have the shape of airline_distances()", {
  dir <- withr::local_tempdir()
  sim <- airontime_simulate(dir, years = c(1990, 2005), months = c(1, 7),
                            rows_per_file = 2500, seed = 3, threads = 2)
  expect_s3_class(sim$totals, "data.frame")
  expect_named(sim$totals, c("carrier", "distance", "flights", "missing"))
  expect_type(sim$totals$carrier, "character")
  expect_type(sim$totals$distance, "double")
  expect_type(sim$totals$flights, "double")
  expect_type(sim$totals$missing, "double")
  expect_identical(sim$totals, totals_fread(sim$files))
  expect_identical(sum(sim$totals$flights), 4 * 2500)
  expect_true(sum(sim$totals$missing) > 0)
  expect_identical(sim$totals$carrier, sort(sim$totals$carrier, method = "radix"))
})

test_that("rows_per_file is respected, zero included", {
  dir <- withr::local_tempdir()
  sim <- airontime_simulate(dir, months = 1:2, rows_per_file = 37, threads = 2)
  expect_identical(vapply(sim$files, function(f) length(readLines(f)), 1L, USE.NAMES = FALSE),
                   c(38L, 38L))
  expect_identical(sum(sim$totals$flights), 74)

  empty <- airontime_simulate(file.path(dir, "empty"), months = 5, rows_per_file = 0,
                              threads = 1)
  expect_identical(readLines(empty$files), header)
  expect_identical(nrow(empty$totals), 0L)
  expect_named(empty$totals, c("carrier", "distance", "flights", "missing"))
})

test_that("bad arguments are input errors", {
  dir <- withr::local_tempdir()
  expect_error(airontime_simulate(c(dir, dir)), class = "parairline_input_error")
  expect_error(airontime_simulate(NA_character_), class = "parairline_input_error")
  expect_error(airontime_simulate(1), class = "parairline_input_error")
  expect_error(airontime_simulate(dir, years = 1986), class = "parairline_input_error")
  expect_error(airontime_simulate(dir, years = 1990.5), class = "parairline_input_error")
  expect_error(airontime_simulate(dir, years = NA), class = "parairline_input_error")
  expect_error(airontime_simulate(dir, years = numeric()), class = "parairline_input_error")
  expect_error(airontime_simulate(dir, months = 0:1), class = "parairline_input_error")
  expect_error(airontime_simulate(dir, months = "1"), class = "parairline_input_error")
  expect_error(airontime_simulate(dir, rows_per_file = -1), class = "parairline_input_error")
  expect_error(airontime_simulate(dir, rows_per_file = 1.5), class = "parairline_input_error")
  expect_error(airontime_simulate(dir, rows_per_file = c(1, 2)),
               class = "parairline_input_error")
  expect_error(airontime_simulate(dir, seed = NA), class = "parairline_input_error")
  expect_error(airontime_simulate(dir, seed = "a"), class = "parairline_input_error")
  expect_error(airontime_simulate(dir, threads = 0), class = "parairline_input_error")
  expect_length(list.files(dir), 0L)
  expect_snapshot(error = TRUE, airontime_simulate(dir, months = c(1, 13)))
})

test_that("a file that cannot be written is an I/O error naming it", {
  dir <- withr::local_tempdir()
  # A directory where the March file should go: fopen() fails in the worker.
  dir.create(file.path(dir, "airOT199003.csv"))
  err <- expect_error(
    airontime_simulate(dir, months = 1:4, rows_per_file = 10, threads = 2),
    class = "parairline_io_error"
  )
  expect_s3_class(err, "parairline_error")
  expect_match(err$file, "airOT199003.csv", fixed = TRUE)
  expect_true(dir.exists(file.path(dir, "airOT199003.csv")))

  file <- file.path(dir, "plain")
  writeLines("x", file)
  expect_error(airontime_simulate(file.path(file, "sub"), rows_per_file = 1),
               class = "parairline_io_error")
})

test_that("airontime_sample() returns the 12 bundled monthly files", {
  files <- airontime_sample()
  expect_length(files, 12L)
  expect_true(all(file.exists(files)))
  expect_identical(basename(files), sprintf("airOT1990%02d.csv", 1:12))
  expect_identical(readLines(files[1], n = 1), header)
  expect_lt(sum(file.size(files)), 2 * 1024^2)
})

test_that("the bundled sample is what tools/make-sample.R makes", {
  skip_on_cran()
  dir <- withr::local_tempdir()
  # Keep in step with tools/make-sample.R.
  sim <- airontime_simulate(dir, years = 1990, months = 1:12, rows_per_file = 300,
                            seed = 1990, threads = 2)
  sample <- airontime_sample()
  for (i in seq_along(sample)) {
    expect_identical(read_bytes(sim$files[i]), read_bytes(sample[i]))
  }
  expect_identical(sim$totals, totals_fread(sample))
  expect_true(sum(sim$totals$missing) > 0)
})
