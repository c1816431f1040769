# CSV dialects (sep, dec, quote, skip, na.strings, line ends, bad rows):
# every backend against data.table::fread() and utils::read.csv() reading
# the same bytes here, in the test, not through the package.

# n() and sum(v) by k of a data frame a reader made, sorted as
# csv_summarise() sorts (C-locale bytes, NA last).
reader_sums <- function(d) {
  d <- as.data.frame(d)
  groups <- sort(unique(d$k), method = "radix", na.last = TRUE)
  rows <- lapply(groups, function(g) if (is.na(g)) which(is.na(d$k)) else which(!is.na(d$k) & d$k == g))
  data.frame(k = groups, n = lengths(rows), s = vapply(rows, function(i) sum(d$v[i]), 0))
}

# The backends, found once for the whole file.
backends <- local_backends()

# Runs `run(backend)` on every backend; each answer must be `expected`.
expect_every_backend <- function(expected, run, approx = "s") {
  for (backend in backends) {
    expect_summary_equal(run(backend), expected, approx = approx, label = backend)
  }
}

test_that("csv_dialect() checks the arguments and builds the query's dialect", {
  expect_identical(csv_dialect(), list(sep = ",", quote = "\"", dec = ".", skip = 0L, skip_to = "",
                                       na_strings = c("", "NA"), bad_rows = "error", verbose = FALSE))
  d <- csv_dialect(sep = "\t", dec = ",", quote = "", skip = "Date", na.strings = c("-", "NULL", "-"),
                   bad_rows = "skip", verbose = TRUE)
  expect_identical(d, list(sep = "\t", quote = "", dec = ",", skip = 0L, skip_to = "Date",
                           na_strings = c("-", "NULL"), bad_rows = "skip", verbose = TRUE))
  expect_identical(csv_dialect(skip = 3)$skip, 3L)
  expect_identical(csv_dialect(skip = 2^40)$skip, 2^40)
  expect_identical(csv_dialect(sep = "auto", dec = ",")$sep, "auto")
  expect_identical(csv_dialect(na.strings = character())$na_strings, character())
  # The engine gets it without `verbose`, in every query.
  q <- engine_query(group_sum_query("k", "v", dialect = d))
  expect_identical(q$dialect, d[setdiff(names(d), "verbose")])
  path <- local_csv("k;v\n")
  q <- summary_query(path, "k", rlang::quos(n()), rlang::quo(NULL), call = NULL, dialect = d)
  expect_identical(q$dialect, d)

  bad <- list(
    list(sep = ";;"), list(sep = ""), list(sep = NA_character_), list(sep = 1), list(sep = c(",", ";")),
    list(sep = "\n"), list(sep = "\r"), list(sep = ",", dec = ","), list(sep = "\""), list(sep = "\u00e9"),
    list(quote = "\n"), list(quote = "''"), list(quote = ";", sep = ";"), list(quote = ".", dec = "."),
    list(dec = ";"), list(dec = NA), list(skip = -1), list(skip = 1.5), list(skip = NA), list(skip = ""),
    list(skip = "a\nb"), list(skip = c(1, 2)), list(skip = TRUE), list(skip = Inf),
    list(na.strings = NA), list(na.strings = c("", NA)), list(na.strings = 1),
    list(bad_rows = "drop"), list(bad_rows = NA), list(verbose = NA), list(verbose = "yes")
  )
  for (args in bad) {
    err <- tryCatch(do.call(csv_dialect, c(args, list(call = quote(f()))), quote = TRUE), error = identity)
    expect_s3_class(err, "parairline_input_error")
    expect_s3_class(err, "parairline_error")
    expect_identical(err$call, quote(f()), label = deparse(args))
  }
})

test_that("dialect argument errors name the function and read well", {
  path <- local_csv("k,v\na,1\n")
  expect_snapshot(error = TRUE, {
    csv_summarise(path, "k", n(), sep = ";;")
    csv_summarise(path, "k", n(), sep = "\n")
    csv_summarise(path, "k", n(), sep = ",", dec = ",")
    csv_group_sum(path, "k", "v", dec = ";")
    csv_group_sum(path, "k", "v", quote = "\r")
    csv_group_sum(path, "k", "v", quote = "|", sep = "|")
    airline_distances(path, skip = -2)
    airline_distances(path, skip = "")
    airline_distances(path, na.strings = c("-", NA))
    airline_distances(path, bad_rows = "drop")
    airline_distances(path, verbose = NA)
  })
})

test_that("sep = \";\" with decimal commas, in values, filters and keys", {
  path <- local_csv(c("k;v;w\n", "a;1,5;x\n", "b;2;y\n", "a;-0,25;\"z;z\"\n", "\"c;d\";1e1;x\n", "b;,5;\n"))
  fr <- data.table::fread(path, sep = ";", dec = ",", na.strings = c("", "NA"))
  rc <- utils::read.csv(path, sep = ";", dec = ",")
  expect_type(fr$v, "double")
  expect_identical(reader_sums(rc), reader_sums(fr))
  expect_every_backend(reader_sums(fr), function(b) {
    csv_summarise(path, "k", n = n(), s = sum(v), sep = ";", dec = ",", backend = b, threads = 2)
  })
  # Filters compare the numbers the decimal commas write; keys are typed with them.
  kept <- fr[fr$v > 0.4 & fr$w != "y", ]
  expect_every_backend(reader_sums(kept), function(b) {
    csv_summarise(path, "k", n = n(), s = sum(v), where = v > 0.4 & w != "y", sep = ";", dec = ",",
                  backend = b, threads = 2)
  })
  by_v <- data.frame(v = sort(fr$v), n = 1L)
  expect_every_backend(by_v, function(b) csv_summarise(path, "v", n = n(), sep = ";", dec = ",", backend = b,
                                                       threads = 2))
  # "1,5" read with a decimal point is text: a parse error naming the line.
  for (backend in backends) {
    err <- tryCatch(csv_summarise(path, "k", s = sum(v), sep = ";", backend = backend, threads = 1),
                    error = identity)
    expect_s3_class(err, "parairline_parse_error")
    expect_identical(err$line, 2, label = backend)
    expect_identical(err$text, "1,5", label = backend)
    # And "1.5" is not a number with decimal commas.
    dot <- local_csv(c("k;v\n", "a;1.5\n"))
    err <- tryCatch(csv_summarise(dot, "k", s = sum(v), sep = ";", dec = ",", backend = backend, threads = 1),
                    error = identity)
    expect_s3_class(err, "parairline_parse_error")
    expect_identical(err$text, "1.5", label = backend)
    expect_identical(csv_summarise(dot, "v", n = n(), sep = ";", dec = ",", backend = backend, threads = 1),
                     data.frame(v = "1.5", n = 1L), label = backend)
  }
  # csv_group_sum() and airline_distances() take the same arguments.
  for (backend in backends) {
    got <- csv_group_sum(path, "k", "v", sep = ";", dec = ",", backend = backend, threads = 2)
    expect_equal(got$sum, reader_sums(fr)$s, tolerance = 1e-15, label = backend)
    got <- airline_distances(path, carrier = "k", distance = "v", sep = ";", dec = ",", backend = backend,
                             threads = 2)
    expect_equal(got$distance, reader_sums(fr)$s, tolerance = 1e-15, label = backend)
  }
})

test_that("tab and pipe separators", {
  for (sep in c("\t", "|")) {
    text <- paste0(paste("k", "v", sep = sep), "\n", "a, b", sep, "1.5\n", "c d", sep, "2\n", "a, b", sep, "-3\n",
                   "\"e", sep, "f\"", sep, "4\n")
    path <- local_csv(text)
    fr <- data.table::fread(path, sep = sep)
    rc <- utils::read.csv(path, sep = sep)
    expect_identical(reader_sums(rc), reader_sums(fr))
    expect_identical(sort(fr$k), c("a, b", "a, b", "c d", paste0("e", sep, "f")))
    expect_every_backend(reader_sums(fr), function(b) {
      csv_summarise(path, "k", n = n(), s = sum(v), sep = sep, backend = b, threads = 2)
    })
  }
})

test_that("quote = \"'\" and quote = \"\"", {
  path <- local_csv(c("k,v\n", "'a,b',1\n", "'it''s',2\n", "\"q\",3\n", "'a,b',4\n"))
  rc <- utils::read.csv(path, quote = "'")
  expect_identical(sort(unique(rc$k)), c("\"q\"", "a,b", "it's"))
  expect_every_backend(reader_sums(rc), function(b) {
    csv_summarise(path, "k", n = n(), s = sum(v), quote = "'", backend = b, threads = 2)
  })
  # No quoting: quotes are data.
  path <- local_csv(c("k,v\n", "\"a,1\n", "say \"hi\",2\n", "\"a,3\n", "'x',4\n"))
  fr <- data.table::fread(path, quote = "")
  rc <- utils::read.csv(path, quote = "")
  expect_identical(reader_sums(rc), reader_sums(fr))
  expect_identical(reader_sums(fr)$k, c("\"a", "'x'", "say \"hi\""))
  expect_every_backend(reader_sums(fr), function(b) {
    csv_summarise(path, "k", n = n(), s = sum(v), quote = "", backend = b, threads = 2)
  })
})

test_that("skip = n and skip = \"text\" drop a preamble", {
  path <- local_csv(c("Report \"Q1\", by region\n", "a,b,c,d\n", "\n", "k,v\n", "a,1\n", "b,2\n", "a,3\n"))
  fr <- data.table::fread(path, skip = 3)
  rc <- utils::read.csv(path, skip = 3)
  expect_identical(reader_sums(rc), reader_sums(fr))
  expect_every_backend(reader_sums(fr), function(b) {
    csv_summarise(path, "k", n = n(), s = sum(v), skip = 3, backend = b, threads = 2)
  })
  fr_text <- data.table::fread(path, skip = "k,v")
  expect_identical(reader_sums(fr_text), reader_sums(fr))
  expect_every_backend(reader_sums(fr), function(b) {
    csv_summarise(path, "k", n = n(), s = sum(v), where = v > 0, skip = "k,v", backend = b, threads = 2)
  })
  # Line numbers count the skipped lines.
  for (backend in backends) {
    err <- tryCatch(csv_summarise(path, "k", s = sum(k), skip = "k,", backend = backend, threads = 1),
                    error = identity)
    expect_s3_class(err, "parairline_parse_error")
    expect_identical(err$line, 5, label = backend)
    expect_error(csv_summarise(path, "k", n(), skip = "no such line", backend = backend, threads = 1),
                 class = "parairline_io_error", label = backend)
    expect_error(csv_summarise(path, "k", n(), skip = 20, backend = backend, threads = 1),
                 class = "parairline_io_error", label = backend)
  }
})

test_that("na.strings: listed texts are missing; empty ones where numbers are read", {
  path <- local_csv(c("k,v,s\n", "a,1,x\n", "a,-,y\n", "b,NULL,\n", "NA,2,-\n", ",3,z\n", "b,,NULL\n"))
  na <- c("-", "NULL")
  fr <- data.table::fread(path, na.strings = na, colClasses = c(k = "character"))
  rc <- utils::read.csv(path, na.strings = na, colClasses = c(k = "character"))
  expect_identical(fr$k, c("a", "a", "b", "NA", "", "b"))
  expect_identical(fr$v, c(1L, NA, NA, 2L, 3L, NA))
  expect_identical(reader_sums(rc), reader_sums(fr))
  want <- reader_sums(fr)
  want$s <- as.double(want$s)
  expect_every_backend(want, function(b) {
    csv_summarise(path, "k", n = n(), s = sum(v), na.strings = na, backend = b, threads = 2)
  })
  # A string comparison sees "" as itself; is.na() and numbers see it missing.
  s <- fr$s
  cases <- list(
    list(quote(s == ""), !is.na(s) & s == ""),
    list(quote(s < "y"), !is.na(s) & s < "y"),
    list(quote(is.na(s)), is.na(s) | s == ""),
    list(quote(!is.na(v)), !is.na(fr$v)),
    list(quote(s %in% c("", "x")), !is.na(s) & s %in% c("", "x"))
  )
  for (case in cases) {
    want <- reader_sums(fr[case[[2]], ])
    expect_every_backend(want, function(b) {
      csv_summarise(path, "k", n = n(), s = sum(v), where = !!case[[1]], na.strings = na, backend = b, threads = 2)
    })
  }
  # Key columns: "NA" is text here; "" is a number key's missing value.
  nums <- local_csv(c("k,v\n", "1,1\n", ",2\n", "-,3\n", "2,4\n"))
  expect_identical(data.table::fread(nums, na.strings = na)$k, c(1L, NA, NA, 2L))
  for (backend in backends) {
    expect_identical(csv_summarise(nums, "k", s = sum(v), na.strings = na, backend = backend, threads = 1),
                     data.frame(k = c(1L, 2L, NA), s = c(1, 4, 5)), label = backend)
    # "" listed: missing as text too.
    expect_identical(csv_summarise(path, "k", n = n(), na.strings = c("", "-"), backend = backend, threads = 1),
                     data.frame(k = c("NA", "a", "b", NA), n = c(1L, 2L, 2L, 1L)), label = backend)
  }
})

test_that("line ends: bare CR, CRLF, and LF mixed with CRLF", {
  rows <- c("k,v", "a,1", "\"b\",2", "a,3", "", "c,4")
  for (eol in list("\r", "\r\n", c("\n", "\r\n", "\r\n", "\n", "\n", "\r\n"))) {
    path <- local_csv(paste0(rows, rep_len(eol, length(rows))))
    fr <- data.table::fread(path, blank.lines.skip = TRUE)
    rc <- utils::read.csv(path)
    expect_identical(reader_sums(rc), reader_sums(fr))
    expect_identical(nrow(fr), 4L)
    expect_every_backend(reader_sums(fr), function(b) {
      csv_summarise(path, "k", n = n(), s = sum(v), where = v > 0, backend = b, threads = 2)
    })
    expect_every_backend(reader_sums(fr), function(b) {
      csv_summarise(path, "k", n = n(), s = sum(v), sep = "auto", skip = "k", backend = b, threads = 2)
    })
  }
  # A bare CR in a file of LF line ends is read right (as read.csv() reads
  # it) or is an error; never a short answer.
  path <- local_csv("k,v\na,1\rb,2\nc,3\n")
  want <- reader_sums(utils::read.csv(path))
  expect_identical(nrow(want), 3L)
  for (backend in backends) {
    got <- tryCatch(csv_summarise(path, "k", n = n(), s = sum(v), backend = backend, threads = 2),
                    parairline_parse_error = function(e) NULL)
    if (!is.null(got)) expect_summary_equal(got, want, approx = "s", label = backend)
  }
})

test_that("bad rows: an error by default, left out and counted with bad_rows = \"skip\"", {
  dir <- withr::local_tempdir()
  good <- c("k,v,c\n", "\"a\nb\",1,0\n", "c,2,0\n", "d,3,1\n")
  path <- local_csv(c(good[1:2], "x,1,0,9\n", good[3], "y,7\n", "z,oops,0\n", "w,5,zz\n", "q,5,zz\n",
                      good[4], "c,4,0\n"), "bad.csv", dir = dir)
  # Lines 4 (4 fields), 6 (2 fields), 7 (v not a number) are bad on their
  # own; 8 and 9 (c not a number) only where the filter compares c.
  want <- reader_sums(utils::read.csv(text = paste(c(good, "c,4,0\n", "w,5,zz\n", "q,5,zz\n"), collapse = "")))
  expect_identical(want$n, c(1L, 2L, 1L, 1L, 1L))
  other <- local_csv(c("v,c,k\n", "1,0,c\n", "2,0\n"), "other.csv", dir = dir)
  clean <- local_csv(c("k,v\n", "a,1\n"), "clean.csv", dir = dir)
  for (backend in backends) {
    err <- tryCatch(csv_summarise(path, "k", n = n(), s = sum(v), backend = backend, threads = 2),
                    error = identity)
    expect_s3_class(err, "parairline_parse_error")
    expect_identical(err$file, path, label = backend)
    expect_identical(err$line, 4, label = backend)

    w <- NULL
    got <- withCallingHandlers(
      csv_summarise(path, "k", n = n(), s = sum(v), bad_rows = "skip", backend = backend, threads = 2),
      parairline_bad_rows_warning = function(c) {
        w <<- c
        invokeRestart("muffleWarning")
      }
    )
    expect_summary_equal(got, want, approx = "s", label = backend)
    expect_identical(attr(got, "bad_rows"), 3, label = backend)
    expect_identical(w$counts, c(3), ignore_attr = TRUE, label = backend)
    expect_identical(names(w$counts), path, label = backend)
    expect_identical(w$lines, stats::setNames(list(c(4, 6, 7)), path), label = backend)
    expect_match(conditionMessage(w), paste0(basename(path), ":4"), fixed = TRUE)

    # With a filter on c: the rows where it compares a non-number are bad
    # (& looks at c only where k != "q" is not FALSE), and so is a kept row
    # whose value to sum is not a number (line 7); not so without sum(v).
    got <- suppressWarnings(csv_summarise(c(path, other), "k", n = n(), s = sum(v), where = k != "q" & c == 0,
                                          bad_rows = "skip", backend = backend, threads = 2))
    expect_identical(attr(got, "bad_rows"), 5, label = backend)
    expect_identical(got$k, c("a\nb", "c"), label = backend)
    expect_identical(got$n, c(1L, 3L), label = backend)
    w <- tryCatch(csv_summarise(c(path, other), "k", n = n(), where = k != "q" & c == 0, bad_rows = "skip",
                                backend = backend, threads = 2), warning = identity)
    expect_s3_class(w, "parairline_bad_rows_warning")
    expect_identical(w$counts, stats::setNames(c(3, 1), c(path, other)), label = backend)
    expect_identical(w$lines, stats::setNames(list(c(4, 6, 8), 3), c(path, other)), label = backend)
    # Counting NA needs no number: "oops" is then fine.
    got <- suppressWarnings(csv_summarise(path, "k", n = n(), m = sum(is.na(v)), bad_rows = "skip",
                                          backend = backend, threads = 2))
    expect_identical(attr(got, "bad_rows"), 2, label = backend)
    expect_identical(sum(got$n), 7L, label = backend)
    # No bad row: the attribute is 0, and no warning.
    expect_no_warning(got <- csv_summarise(clean, "k", n = n(), bad_rows = "skip", backend = backend, threads = 1))
    expect_identical(attr(got, "bad_rows"), 0, label = backend)
    got <- suppressWarnings(csv_summarise(path, "k", n(), bad_rows = "skip", where = c == 0 & k == "zz",
                                          backend = backend, threads = 1))
    expect_identical(attr(got, "bad_rows"), 4, label = backend)
    # csv_group_sum() and airline_distances() keep the attribute.
    got <- suppressWarnings(csv_group_sum(path, "k", "v", bad_rows = "skip", backend = backend, threads = 1))
    expect_identical(attr(got, "bad_rows"), 3, label = backend)
    got <- suppressWarnings(airline_distances(path, carrier = "k", distance = "v", bad_rows = "skip",
                                              backend = backend, threads = 1))
    expect_identical(attr(got, "bad_rows"), 3, label = backend)
    expect_null(attr(airline_distances(clean, carrier = "k", distance = "v", skip = 0, backend = backend,
                                       threads = 1, bad_rows = "error"), "bad_rows"))
  }
})

test_that("bad rows in a compressed file with a dialect", {
  text <- "title\rk;v\r1;2,5\r1;2;3\r2;x\r2;1,25\r"
  path <- local_csv(text, "sc.csv.gz", gzip = TRUE)
  plain <- local_csv("k;v\r1;2,5\r2;1,25\r")
  want <- reader_sums(data.table::fread(plain, sep = ";", dec = ","))
  for (backend in backends) {
    got <- suppressWarnings(csv_summarise(path, "k", n = n(), s = sum(v), sep = ";", dec = ",", skip = 1,
                                          bad_rows = "skip", backend = backend, threads = 2))
    expect_summary_equal(got, want, approx = "s", label = backend)
    expect_identical(attr(got, "bad_rows"), 2, label = backend)
    w <- tryCatch(csv_summarise(path, "k", n = n(), s = sum(v), sep = ";", dec = ",", skip = 1,
                                bad_rows = "skip", backend = backend, threads = 2), warning = identity)
    expect_identical(unname(w$lines), list(c(4, 5)), label = backend)
  }
})

test_that("sep = \"auto\" chooses each file's separator as fread does, and says so", {
  dir <- withr::local_tempdir()
  rows <- list(c("k", "v", "note"), c("a", "1", "x y"), c("b", "2.5", "p.q"), c("a", "-1", "z"))
  paths <- character()
  for (sep in c(",", ";", "\t", "|")) {
    text <- paste0(vapply(rows, paste, "", collapse = sep), "\n", collapse = "")
    path <- local_csv(text, sprintf("sep%d.csv", utf8ToInt(sep)), dir = dir)
    paths <- c(paths, path)
    fr <- data.table::fread(path, sep = "auto")
    expect_identical(names(fr), c("k", "v", "note"))
    expect_every_backend(reader_sums(fr), function(b) {
      csv_summarise(path, "k", n = n(), s = sum(v), sep = "auto", backend = b, threads = 2)
    })
    for (backend in backends) {
      msg <- tryCatch(csv_summarise(path, "k", n = n(), sep = "auto", verbose = TRUE, backend = backend,
                                    threads = 1), message = identity)
      expect_s3_class(msg, "parairline_sep_message")
      expect_match(conditionMessage(msg), encodeString(sep, quote = "\""), fixed = TRUE)
      expect_match(conditionMessage(msg), basename(path), fixed = TRUE)
      # Not verbose, or the separator given: nothing to say.
      expect_no_message(csv_summarise(path, "k", n = n(), sep = "auto", backend = backend, threads = 1))
    }
  }
  # Files of different separators in one call.
  all <- do.call(rbind, lapply(paths, function(p) as.data.frame(data.table::fread(p))))
  expect_every_backend(reader_sums(all), function(b) {
    csv_summarise(paths, "k", n = n(), s = sum(v), sep = "auto", backend = b, threads = 2)
  })
  # Decimal commas: "," is no candidate.
  path <- local_csv(c("k;v\n", "a;1,5\n", "b;2\n"))
  fr <- data.table::fread(path, sep = "auto", dec = ",")
  expect_every_backend(reader_sums(fr), function(b) {
    csv_summarise(path, "k", n = n(), s = sum(v), sep = "auto", dec = ",", backend = b, threads = 2)
  })
})
