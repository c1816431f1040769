# csv_summarise(): the translation of `...` and `where` into the query, the
# typing and sorting of keys, and the answers of every backend.

# The query csv_summarise() would run, for a file whose header is `header`.
query_for <- function(header, by, ..., where = NULL) {
  path <- local_csv(paste0(paste(header, collapse = ","), "\n"))
  summary_query(path, by, rlang::enquos(..., .ignore_empty = "all"), rlang::enquo(where), call = NULL)
}

aggs_frame <- function(name, fun, col, na_rm) {
  data.frame(name = name, fun = fun, col = col, na_rm = na_rm, stringsAsFactors = FALSE)
}

test_that("every aggregate gives base R's answer, NA rules included, on every backend", {
  path <- local_csv(c("k,v\n", "a,1\n", "a,\n", "b,2.5\n", "b,-1\n", "c,NA\n"))
  expected <- data.frame(
    k = c("a", "b", "c"),
    n = c(2L, 2L, 1L),
    s = c(NA, 1.5, NA), s_rm = c(1, 1.5, 0),
    m = c(NA, 0.75, NA), m_rm = c(1, 0.75, NaN),
    lo = c(NA, -1, NA), lo_rm = c(1, -1, NA),
    hi = c(NA, 2.5, NA), hi_rm = c(1, 2.5, NA),
    miss = c(1L, 0L, 1L)
  )
  for (backend in local_backends()) {
    got <- csv_summarise(path, "k", n = n(), s = sum(v), s_rm = sum(v, na.rm = TRUE),
                         m = mean(v), m_rm = mean(v, na.rm = TRUE),
                         lo = min(v), lo_rm = min(v, na.rm = TRUE),
                         hi = max(v), hi_rm = max(v, na.rm = TRUE),
                         miss = sum(is.na(v)), backend = backend, threads = 2)
    expect_identical(got, expected, label = backend)
  }
})

test_that("aggregates translate into the query", {
  rm_all <- TRUE
  q <- query_for(c("A", "B", "C"), c("A", ".file"), n(), sum(B), m = mean(.data$C, na.rm = rm_all),
                 lo = min(.data[["B"]]), hi = max(B, na.rm = FALSE), gaps = sum(is.na(C)))
  expect_identical(q$by, c("A", ".file"))
  expect_identical(q$aggs, aggs_frame(
    c("n()", "sum(B)", "m", "lo", "hi", "gaps"),
    c("n", "sum", "mean", "min", "max", "nmiss"),
    c(NA, "B", "C", "B", "B", "C"),
    c(FALSE, FALSE, TRUE, FALSE, FALSE, FALSE)
  ))
  expect_null(q$where)
  expect_null(q$where_expr)
  col <- "C"
  expect_identical(query_for("C", "C", x = sum(.data[[col]], na.rm = TRUE))$aggs,
                   aggs_frame("x", "sum", "C", TRUE))
  # No aggregate at all: the distinct keys.
  expect_identical(nrow(query_for("A", "A")$aggs), 0L)
})

test_that("where translates into the node tree and the R call", {
  h <- c("A", "B", "S", "min_distance")
  q <- query_for(h, "A", n(), where = A == 1)
  expect_identical(q$where, list(op = "cmp", col = "A", cmp = "==", value = 1))
  expect_identical(q$where_expr, quote(A == 1))
  # The constant on the left flips the operator; integers become doubles.
  flips <- list(quote(1L < A), quote(1 <= A), quote(1 > A), quote(1 >= A), quote(1 == A), quote(1 != A))
  ops <- c(">", ">=", "<", "<=", "==", "!=")
  for (i in seq_along(flips)) {
    q <- query_for(h, "A", where = !!flips[[i]])
    expect_identical(q$where, list(op = "cmp", col = "A", cmp = ops[i], value = 1))
  }
  q <- query_for(h, "A", where = S %in% c("x", "y") & !is.na(B) | (A >= -2.5))
  expect_identical(q$where, list(op = "or", args = list(
    list(op = "and", args = list(
      list(op = "in", col = "S", values = c("x", "y")),
      list(op = "not", arg = list(op = "is_na", col = "B"))
    )),
    list(op = "cmp", col = "A", cmp = ">=", value = -2.5)
  )))
  expect_identical(q$where_expr, bquote(S %in% .(c("x", "y")) & !is.na(B) | A >= .(-2.5)))
  expect_identical(query_for(h, "A", where = A %in% 1:3)$where$values, c(1, 2, 3))
  expect_identical(query_for(h, "A", where = S != "NA")$where$value, "NA")
})

test_that("where masks data as dplyr does: columns first, then the caller's variables", {
  h <- c("DISTANCE", "CANCELLED", "min_distance")
  min_distance <- 500
  limit <- 100
  col <- "DISTANCE"
  # A name of the caller's that is no column is a constant, computed first.
  q <- query_for(h, "CANCELLED", where = DISTANCE >= 2 * limit + 1)
  expect_identical(q$where, list(op = "cmp", col = "DISTANCE", cmp = ">=", value = 201))
  # A column wins over a variable of the same name; .env and .data choose.
  expect_error(query_for(h, "CANCELLED", where = DISTANCE >= min_distance),
               "two columns", class = "parairline_input_error")
  q <- query_for(h[1:2], "CANCELLED", where = DISTANCE >= min_distance)
  expect_identical(q$where_expr, quote(DISTANCE >= 500))
  q <- query_for(h, "CANCELLED", where = DISTANCE >= .env$min_distance)
  expect_identical(q$where_expr, quote(DISTANCE >= 500))
  q <- query_for(h, "CANCELLED", where = .data[[col]] < .env[["limit"]] & .data$CANCELLED == 0)
  expect_identical(q$where_expr, quote(DISTANCE < 100 & CANCELLED == 0))
  # .data forces a column even when the first file's header lacks it.
  q <- query_for(h, "CANCELLED", where = .data$ELSEWHERE > 1)
  expect_identical(q$where, list(op = "cmp", col = "ELSEWHERE", cmp = ">", value = 1))
  # Variables are found where the condition was written.
  in_function <- function(lim) query_for(h, "CANCELLED", where = DISTANCE > lim)
  expect_identical(in_function(7)$where$value, 7)
})

test_that("the filter gives the same rows on every backend", {
  path <- local_csv(c(
    "k,d,c,s\r\n", "a,100,0,x\r\n", "a,600,0,\"y\"\r\n", "a,700,1,z\r\n", "b,,0,x\r\n",
    "b,900,NA,y\r\n", "\"c\",50,0,\r\n", "c,2000,0,\"B\"\r\n"
  ))
  min_distance <- 500
  check <- function(where, expected) {
    where <- rlang::enquo(where)
    for (backend in local_backends()) {
      got <- csv_summarise(path, "k", n = n(), d = sum(d), where = !!where, backend = backend, threads = 2)
      expect_identical(got, expected, label = paste(backend, rlang::as_label(where)))
    }
  }
  check(c == 0 & d >= min_distance, data.frame(k = c("a", "c"), n = 1L, d = c(600, 2000)))
  # NA drops the row, also under !.
  check(!(c == 0), data.frame(k = "a", n = 1L, d = 700))
  check(is.na(d) | is.na(c), data.frame(k = "b", n = 2L, d = NA_real_))
  check(s %in% c("x", "z") | s > "a", data.frame(k = c("a", "b"), n = c(3L, 2L), d = c(1400, NA)))
  # Strings compare as bytes: "B" < "a" < "x".
  check(s < "a", data.frame(k = "c", n = 1L, d = 2000))
  check(!is.na(s) & s >= "a" & d < 800, data.frame(k = "a", n = 3L, d = 1400))
  check(k == "zz", data.frame(k = character(), n = integer(), d = double()))
})

test_that("unsupported aggregates and filters are input errors quoting the part", {
  path <- local_csv(c("k,v,w,s\n", "a,1,2,x\n"))
  bad_aggs <- rlang::exprs(
    median(v), sum(v * 2), sum(v, TRUE), mean(x = v), n(v), sum(v, na.rm = NA),
    5, base::sum(v), sum(is.na(v * 2)), sum(.file), sum(.env$v)
  )
  for (agg in bad_aggs) {
    err <- tryCatch(csv_summarise(path, "k", !!agg, backend = "base"), error = identity)
    expect_s3_class(err, "parairline_input_error")
    expect_s3_class(err, "parairline_error")
    expect_identical(err$call[[1]], quote(csv_summarise))
    expect_match(conditionMessage(err), expr_text(agg), fixed = TRUE, label = expr_text(agg))
  }
  lim <- 3
  bad_where <- rlang::exprs(
    v > w, v * 2 > 1, abs(v) > 1, v == NA, v != NA_real_, v == TRUE, v > Inf, v == c(1, 2),
    v > 1 && w < 2, v > 1 || w < 2, grepl("a", s), v, TRUE, lim > 2, nope > 1, v %in% c(1, NA),
    1 %in% v, v == Sys.Date(), v == list(1), is.na(v + 1), v == factor("a"), -v > 1,
    v %in% w, s == NULL
  )
  for (where in bad_where) {
    err <- tryCatch(csv_summarise(path, "k", n(), where = !!where, backend = "base"), error = identity)
    expect_s3_class(err, "parairline_input_error")
    expect_identical(err$call[[1]], quote(csv_summarise))
  }
  # The quoted part is the smallest one that cannot be done.
  err <- tryCatch(csv_summarise(path, "k", n(), where = s == "x" & (v * 2 > 1)), error = identity)
  expect_match(conditionMessage(err), "`v * 2`", fixed = TRUE)
  err <- tryCatch(csv_summarise(path, "k", n(), where = s == "x" | grepl("a", s)), error = identity)
  expect_match(conditionMessage(err), "`grepl(\"a\", s)`", fixed = TRUE)
})

test_that("argument and translation errors read well", {
  path <- local_csv(c("k,v,w,s\n", "a,1,2,x\n"))
  lim <- 3
  expect_snapshot(error = TRUE, {
    csv_summarise(path, character(), n())
    csv_summarise(path, c("k", "k"), n())
    csv_summarise(path, NA, n())
    csv_summarise(path, "k", n(), backend = "spark")
    csv_summarise(path, "k", worst = median(v))
    csv_summarise(path, "k", sum(v * 2))
    csv_summarise(path, "k", sum(v, TRUE))
    csv_summarise(path, "k", mean(v, na.rm = "yes"))
    csv_summarise(path, "k", n(), n())
    csv_summarise(path, "k", k = n())
    csv_summarise(path, "k", sum(.file))
    csv_summarise(path, "k", n(), where = v > w)
    csv_summarise(path, "k", n(), where = v * 2 > 1)
    csv_summarise(path, "k", n(), where = v == NA)
    csv_summarise(path, "k", n(), where = v == TRUE)
    csv_summarise(path, "k", n(), where = v > -Inf)
    csv_summarise(path, "k", n(), where = v == c(1, 2))
    csv_summarise(path, "k", n(), where = v > 1 && w < 2)
    csv_summarise(path, "k", n(), where = grepl("a", s))
    csv_summarise(path, "k", n(), where = v)
    csv_summarise(path, "k", n(), where = lim > 2)
    csv_summarise(path, "k", n(), where = nope > 1)
    csv_summarise(path, "k", n(), where = v > nope + 1)
    csv_summarise(path, "k", n(), where = v > stop("no limit"))
    csv_summarise(path, "k", n(), where = v %in% c(1, NA))
    csv_summarise(path, "k", n(), where = v == Sys.Date())
    csv_summarise(path, "k", n(), where = is.na(v + 1))
  }, transform = function(x) scrub_paths(x, dirname(path)))
})

test_that("type_keys() types a key column from its text", {
  expect_identical(type_keys(c("1", "02", "-3", "+4", "-0")), c(1L, 2L, -3L, 4L, 0L))
  expect_identical(type_keys(c("1", "2.5")), c(1, 2.5))
  expect_identical(type_keys(c("1e3", ".5", "5.", "-2E-1", "+.25")), c(1000, 0.5, 5, -0.2, 0.25))
  expect_identical(type_keys(c("a", "1")), c("a", "1"))
  expect_identical(type_keys(c("", "NA", NA, "1")), c(NA, NA, NA, 1L))
  expect_identical(type_keys(c("", "NA", NA)), rep(NA_character_, 3))
  expect_identical(type_keys(character()), character())
  expect_identical(type_keys(c("x", "", "NA")), c("x", NA, NA))
  # int32 range: +-2147483647; beyond it, double.
  expect_identical(type_keys(c("2147483647", "-2147483647")), c(2147483647L, -2147483647L))
  expect_identical(type_keys(c("2147483648", "1")), c(2147483648, 1))
  expect_identical(type_keys(c("-2147483648", "1")), c(-2147483648, 1))
  expect_identical(type_keys("123456789012345678901234567890"), 123456789012345678901234567890)
  # Not finite, not numbers at all: text.
  expect_identical(type_keys(c("1e999", "1")), c("1e999", "1"))
  for (text in list(c("TRUE", "FALSE"), "1990-01-01", " 1", "1 ", "Inf", "NaN", "0x1A", "1e", ".", "-", "1.2.3")) {
    expect_identical(type_keys(text), text)
  }
  # -0 and 0 are one key.
  expect_identical(1 / type_keys(c("-0.0", "0.5"))[1], Inf)
})

test_that("keys are typed over all files and all rows, grouped by value and sorted", {
  dir <- withr::local_tempdir()
  a <- local_csv(c("k,n,d,v\n", "01,10,1.50,1\n", "1,9,2,2\n", "NA,,\"\",3\n", "b,-1,-0.5,4\n"), "a.csv", dir = dir)
  b <- local_csv(c("v,d,n,k\n", "5,1.5,+10,\"B\"\n", "6,1e1,NA,a\n", "7,,9,\"\"\n"), "b.csv", dir = dir)
  expected <- data.frame(
    n = c(-1L, 9L, 10L, NA), d = c(-0.5, NA, 1.5, NA), s = c(4, 9, 6, 9)
  )
  for (backend in local_backends()) {
    got <- csv_summarise(c(a, b), "n", d = min(d), s = sum(v), backend = backend, threads = 2)
    expect_identical(got, expected, label = backend)
    # 1.5 and 1.50 are one key; 1e1 is 10. Doubles sort numerically, NA last.
    got <- csv_summarise(c(a, b), "d", s = sum(v), backend = backend, threads = 2)
    expect_identical(got, data.frame(d = c(-0.5, 1.5, 2, 10, NA), s = c(4, 6, 2, 6, 10)), label = backend)
    # Text keys in C-locale byte order: "01" and "1" differ, "B" < "a" < "b", NA last.
    got <- csv_summarise(c(a, b), "k", s = sum(v), backend = backend, threads = 2)
    expect_identical(got, data.frame(k = c("01", "1", "B", "a", "b", NA), s = c(1, 2, 5, 6, 4, 10)),
                     label = backend)
    # Several keys: the first key first.
    got <- csv_summarise(c(a, b), c("n", "k"), s = sum(v), backend = backend, threads = 2)
    expect_identical(got, data.frame(n = c(-1L, 9L, 9L, 10L, 10L, NA, NA), k = c("b", "1", NA, "01", "B", "a", NA),
                                     s = c(4, 2, 7, 1, 5, 6, 3)), label = backend)
  }
})

test_that("rows the filter drops still type the keys", {
  path <- local_csv(c("k,c\n", "1,0\n", "2,0\n", "x,1\n", "10,0\n"))
  for (backend in local_backends()) {
    got <- csv_summarise(path, "k", n = n(), where = c == 0, backend = backend, threads = 2)
    expect_identical(got, data.frame(k = c("1", "10", "2"), n = 1L), label = backend)
    got <- csv_summarise(path, "k", n = n(), where = c == 1, backend = backend, threads = 2)
    expect_identical(got, data.frame(k = "x", n = 1L), label = backend)
    # Nothing kept: no rows, the columns typed all the same.
    got <- csv_summarise(path, "k", n = n(), where = c == 5, backend = backend, threads = 2)
    expect_identical(got, data.frame(k = character(), n = integer()), label = backend)
  }
})

test_that("a key column compared with numbers is filtered as numbers", {
  path <- local_csv(c("m,v\n", "01,1\n", "2,2\n", "10,3\n", ",4\n"))
  for (backend in local_backends()) {
    got <- csv_summarise(path, "m", s = sum(v), where = m >= 2 & m < 10.5, backend = backend, threads = 2)
    expect_identical(got, data.frame(m = c(2L, 10L), s = c(2, 3)), label = backend)
    got <- csv_summarise(path, "m", s = sum(v), where = m == 1, backend = backend, threads = 2)
    expect_identical(got, data.frame(m = 1L, s = 1), label = backend)
  }
})

test_that(".file is each input's name and may be any of the keys", {
  dir <- withr::local_tempdir()
  a <- local_csv(c("k,v\n", "x,1\n", "y,2\n"), "a.csv", dir = dir)
  b <- local_csv(c("v,k\n", "3,x\n"), "b.csv.gz", dir = dir, gzip = TRUE)
  for (backend in local_backends()) {
    got <- csv_summarise(c(b, a, a), c("k", ".file"), n = n(), s = sum(v), backend = backend, threads = 2)
    expect_identical(got, data.frame(k = c("x", "x", "y"), .file = c(a, b, a), n = c(2L, 1L, 2L),
                                     s = c(2, 3, 4)), label = backend)
    got <- csv_summarise(dir, ".file", n = n(), backend = backend, threads = 2)
    expect_identical(got, data.frame(.file = file.path(dir, c("a.csv", "b.csv.gz")), n = c(2L, 1L)),
                     label = backend)
  }
})

test_that(".file names a zip archive's members as archive.zip:member.csv", {
  skip_if_not("zip" %in% cpp_supported_formats())
  dir <- withr::local_tempdir()
  sim <- airontime_simulate(dir, months = 1:2, rows_per_file = 50, threads = 1, compress = "zip")
  for (backend in local_backends()) {
    got <- csv_summarise(sim$files, ".file", n = n(), backend = backend, threads = 2)
    expect_identical(got$.file, paste0(sim$files, ":", sub("\\.zip$", ".csv", basename(sim$files))),
                     label = backend)
    expect_identical(got$n, c(50L, 50L))
  }
})

test_that("the reference backends' errors are classed and name the file", {
  dir <- withr::local_tempdir()
  good <- local_csv(c("k,v,c\n", "a,1,0\n"), "good.csv", dir = dir)
  nocol <- local_csv(c("k,w,c\n", "a,1,0\n"), "nocol.csv", dir = dir)
  bad <- local_csv(c("k,v,c\n", "a,1,0\n", "b,x,1\n", "c,1e999,1\n"), "bad.csv", dir = dir)
  for (backend in c("datatable", "base")) {
    err <- tryCatch(csv_summarise(c(good, nocol), "k", s = sum(v), backend = backend, threads = 1),
                    error = identity)
    expect_s3_class(err, "parairline_parse_error")
    expect_identical(err$file, nocol, label = backend)
    expect_identical(err$call[[1]], quote(csv_summarise))
    err <- tryCatch(csv_summarise(good, "k", n(), where = w > 1, backend = backend, threads = 1),
                    error = identity)
    expect_s3_class(err, "parairline_input_error")
    err <- tryCatch(csv_summarise(c(good, nocol), "k", n(), where = .data$v > 1, backend = backend, threads = 1),
                    error = identity)
    expect_s3_class(err, "parairline_parse_error")
    expect_identical(err$file, nocol, label = backend)
    err <- tryCatch(csv_summarise(bad, "k", s = max(v), backend = backend, threads = 1), error = identity)
    expect_s3_class(err, "parairline_parse_error")
    expect_identical(err$text, "x", label = backend)
    # A value is checked where it is aggregated: in the rows the filter keeps.
    expect_identical(csv_summarise(bad, "k", s = max(v), where = c == 0, backend = backend, threads = 1),
                     data.frame(k = "a", s = 1), label = backend)
    # n() and is.na() do not need numbers.
    expect_identical(csv_summarise(bad, "k", n = n(), m = sum(is.na(v)), backend = backend, threads = 1),
                     data.frame(k = c("a", "b", "c"), n = 1L, m = 0L), label = backend)
  }
})

test_that("the bundled sample: the example, on every backend", {
  files <- airontime_sample()
  min_distance <- 500
  ref <- csv_summarise(files, by = c("YEAR", "MONTH", "UNIQUE_CARRIER"),
                       flights = n(), distance = sum(DISTANCE),
                       mean_delay = mean(ARR_DELAY, na.rm = TRUE), worst = max(ARR_DELAY, na.rm = TRUE),
                       no_delay = sum(is.na(ARR_DELAY)),
                       where = CANCELLED == 0 & DISTANCE >= min_distance,
                       backend = "datatable", threads = 1)
  expect_identical(vapply(ref, typeof, ""), c(YEAR = "integer", MONTH = "integer", UNIQUE_CARRIER = "character",
                                              flights = "integer", distance = "double", mean_delay = "double",
                                              worst = "double", no_delay = "integer"))
  expect_identical(unique(ref$MONTH), 1:12)
  # The filter and the answer, as plain R.
  all <- do.call(rbind, lapply(files, utils::read.csv))
  kept <- all[all$CANCELLED == 0 & !is.na(all$DISTANCE) & all$DISTANCE >= min_distance, ]
  expect_identical(sum(ref$flights), nrow(kept))
  expect_equal(sum(ref$distance), sum(kept$DISTANCE))
  for (backend in local_backends()) {
    got <- csv_summarise(files, by = c("YEAR", "MONTH", "UNIQUE_CARRIER"),
                         flights = n(), distance = sum(DISTANCE),
                         mean_delay = mean(ARR_DELAY, na.rm = TRUE), worst = max(ARR_DELAY, na.rm = TRUE),
                         no_delay = sum(is.na(ARR_DELAY)),
                         where = CANCELLED == 0 & DISTANCE >= min_distance,
                         backend = backend, threads = 2)
    expect_summary_equal(got, ref, approx = c("distance", "mean_delay"), label = backend)
  }
})

test_that("csv_group_sum() takes several keys and values, typed like csv_summarise()", {
  files <- airontime_sample()[1:3]
  for (backend in local_backends()) {
    got <- csv_group_sum(files, c("MONTH", "UNIQUE_CARRIER"), c("DISTANCE", "ARR_DELAY"),
                         backend = backend, threads = 2)
    expect_named(got, c("MONTH", "UNIQUE_CARRIER", "sum_DISTANCE", "sum_ARR_DELAY", "n",
                        "missing_DISTANCE", "missing_ARR_DELAY"))
    expect_type(got$MONTH, "integer")
    for (col in names(got)[-(1:2)]) expect_type(got[[col]], "double")
    ref <- csv_summarise(files, c("MONTH", "UNIQUE_CARRIER"), sum_DISTANCE = sum(DISTANCE, na.rm = TRUE),
                         sum_ARR_DELAY = sum(ARR_DELAY, na.rm = TRUE), n = n(),
                         missing_DISTANCE = sum(is.na(DISTANCE)), missing_ARR_DELAY = sum(is.na(ARR_DELAY)),
                         backend = "datatable", threads = 1)
    for (col in c("n", "missing_DISTANCE", "missing_ARR_DELAY")) ref[[col]] <- as.double(ref[[col]])
    expect_summary_equal(got, ref, approx = c("sum_DISTANCE", "sum_ARR_DELAY"), label = backend)
    # A numeric key sorts numerically.
    got <- csv_group_sum(airontime_sample(), "MONTH", "DISTANCE", backend = backend, threads = 2)
    expect_identical(got$MONTH, 1:12, label = backend)
  }
  # A key named like a result column: fine where every column is renamed.
  path <- local_csv(c("n,d
", "A,1
", "A,2
"))
  for (backend in local_backends()) {
    expect_identical(airline_distances(path, backend = backend, threads = 2, carrier = "n", distance = "d"),
                     data.frame(carrier = "A", distance = 3, flights = 2, missing = 0), label = backend)
  }
  expect_error(csv_group_sum(path, "n", "d", backend = "base"), class = "parairline_input_error")
})

test_that("progress = TRUE gives the same answer", {
  files <- airontime_sample()[1:2]
  for (backend in c("datatable", "base")) {
    expect_identical(
      suppressMessages(csv_summarise(files, "UNIQUE_CARRIER", n(), backend = backend, threads = 1,
                                     progress = TRUE)),
      csv_summarise(files, "UNIQUE_CARRIER", n(), backend = backend, threads = 1)
    )
  }
})

test_that("a filter comparing text with a number is a parse error on every backend", {
  # fread would read the column as text and compare strings ("0.00" == "0" is
  # FALSE): no answer is right, so it is an error naming the file and line.
  path <- local_csv(c("k,c\n", "a,0.00\n", "b,x\n", "c,\n"))
  for (backend in local_backends()) {
    err <- tryCatch(csv_summarise(path, "k", n = n(), where = c == 0, backend = backend, threads = 1),
                    error = identity)
    expect_s3_class(err, "parairline_parse_error")
    expect_identical(err$file, path, label = backend)
    expect_identical(err$text, "x", label = backend)
  }
  # Compared with a string, the same column is text: bytes, no error.
  for (backend in local_backends()) {
    expect_identical(csv_summarise(path, "k", n = n(), where = c == "x", backend = backend, threads = 1),
                     data.frame(k = "b", n = 1L), label = backend)
  }
  line <- tryCatch(csv_summarise(path, "k", n = n(), where = c == 0, threads = 1), error = identity)$line
  expect_identical(line, 3)
})

test_that("keys of up to 8 bytes that differ only in length or last byte stay apart", {
  # "ABCDEFG" and "ABCDEFGx" once hashed alike and were compared by hash alone.
  path <- local_csv(c("k,v\n", "ABCDEFG,1\n", "ABCDEFGx,2\n", "ab,4\n", "abc,8\n", "ABCDEFGy,16\n"))
  want <- data.frame(k = c("ABCDEFG", "ABCDEFGx", "ABCDEFGy", "ab", "abc"), s = c(1, 2, 16, 4, 8))
  for (backend in local_backends()) {
    expect_identical(csv_summarise(path, "k", s = sum(v), backend = backend, threads = 1), want, label = backend)
  }
})

test_that("NA %in% s is FALSE, as in R", {
  path <- local_csv(c("k,x\n", "a,1\n", "b,\n", "c,3\n"))
  for (backend in local_backends()) {
    expect_identical(csv_summarise(path, "k", n = n(), where = !(x %in% c(1, 2)), backend = backend, threads = 1),
                     data.frame(k = c("b", "c"), n = 1L), label = backend)
  }
})
