# The teaching demos. Only what is always true is asserted: exact counts for
# atomic and mutex, at most the expected count for the racy one, never that a
# race or a speed-up happened. At most 2 workers.

test_that("atomic and mutex counters are exact on threads", {
  for (method in c("atomic", "mutex")) {
    res <- race_counter(workers = 2, increments = 1e5, method = method, via = "threads")
    expect_identical(res$expected, 2e5)
    expect_identical(res$observed, 2e5)
    expect_identical(res$lost, 0)
    expect_type(res$seconds, "double")
  }
})

test_that("atomic and mutex counters are exact on processes", {
  skip_on_os("windows")
  for (method in c("atomic", "mutex")) {
    res <- race_counter(workers = 2, increments = 1e5, method = method, via = "processes")
    expect_identical(res$observed, 2e5)
    expect_identical(res$lost, 0)
  }
})

test_that("the unsafe counter never over-counts", {
  vias <- if (.Platform$OS.type == "windows") "threads" else c("threads", "processes")
  for (via in vias) {
    res <- race_counter(workers = 2, increments = 1e5, method = "unsafe", via = via)
    expect_identical(res$expected, 2e5)
    expect_lte(res$observed, res$expected)
    expect_gte(res$observed, 1)
    expect_identical(res$lost, res$expected - res$observed)
  }
})

test_that("race_counter handles zero increments and one worker", {
  expect_identical(race_counter(workers = 1, increments = 0)$observed, 0)
  expect_identical(race_counter(workers = 1, increments = 10, method = "unsafe")$lost, 0)
})

test_that("summer totals match the closed form on every path", {
  vias <- if (.Platform$OS.type == "windows") c("serial", "threads") else
    c("serial", "threads", "processes")
  for (via in vias) {
    for (n in c(0, 1, 1000, 12345)) {
      res <- summer(n = n, jobs = 3, via = via, workers = 2)
      expect_identical(res$total, 3 * n * (n - 1) / 2)
      expect_identical(res$total_exact, format(3 * n * (n - 1) / 2, scientific = FALSE))
    }
    expect_identical(summer(n = 10, jobs = 0, via = via, workers = 2)$total, 0)
  }
})

test_that("auc matches the serial R computation", {
  n <- 20
  width <- 3 / n
  x <- (0:(n - 1)) * width
  expect_lt(abs(auc(n = 20, threads = 2) - sum(0.7 * x^3 - 2 * x^2 + 4) * width), 1e-12)
  width <- 2 / 7
  x <- -1 + (0:6) * width
  expect_lt(abs(auc(n = 7, threads = 1, a = -1, b = 1) - sum(0.7 * x^3 - 2 * x^2 + 4) * width), 1e-12)
})

test_that("auc is identical for 1 and 2 threads", {
  for (n in c(1, 20, 1e5 + 3)) {
    expect_identical(auc(n = n, threads = 1), auc(n = n, threads = 2))
  }
})

test_that("auc converges to the exact integral", {
  expect_lt(abs(auc(n = 1e7, threads = 2) - 8.175), 1e-5)
})

test_that("negate_shared is -x", {
  skip_on_os("windows")
  x1001 <- c(NA, NaN, Inf, -Inf, 0, -0, seq(-1, 1, length.out = 995))
  for (workers in 1:3) {
    for (x in list(numeric(0), 1.5, NA_real_, NaN, c(a = 1, b = NA, c = -Inf), x1001)) {
      expect_identical(negate_shared(x, workers = workers), -x)
    }
  }
  expect_identical(negate_shared(1:3, workers = 2), c(-1, -2, -3))
})

test_that("process demos leave no children or file descriptors behind", {
  skip_on_os("windows")
  expect_no_leftovers({
    for (i in 1:20) {
      race_counter(workers = 2, increments = 100, method = "mutex", via = "processes")
      summer(n = 1000, jobs = 3, via = "processes", workers = 2)
      negate_shared(c(1, 2, 3), workers = 2)
    }
  })
})

test_that("a crashed worker gives a worker error and no leftovers", {
  skip_on_os("windows")
  old <- Sys.getenv("PARAIRLINE_TEST_CRASH_WORKER", unset = NA)
  on.exit(if (is.na(old)) Sys.unsetenv("PARAIRLINE_TEST_CRASH_WORKER") else
    Sys.setenv(PARAIRLINE_TEST_CRASH_WORKER = old), add = TRUE)

  Sys.setenv(PARAIRLINE_TEST_CRASH_WORKER = "2")
  expect_no_leftovers({
    expect_error(negate_shared(as.double(1:10), workers = 2),
                 "[Ww]orker 2 \\(pid [0-9]+\\) was killed by signal 9",
                 class = "parairline_worker_error")
    expect_error(summer(n = 1000, jobs = 4, via = "processes", workers = 2),
                 "[Ww]orker 2 .*killed", class = "parairline_worker_error")
    expect_error(race_counter(workers = 2, increments = 10, via = "processes"),
                 class = "parairline_worker_error")
  })

  Sys.setenv(PARAIRLINE_TEST_CRASH_WORKER = "1:exit")
  expect_no_leftovers({
    expect_error(negate_shared(as.double(1:10), workers = 2),
                 "[Ww]orker 1 \\(pid [0-9]+\\) exited with status 3",
                 class = "parairline_worker_error")
  })

  Sys.unsetenv("PARAIRLINE_TEST_CRASH_WORKER")
  expect_identical(negate_shared(c(1, 2), workers = 2), c(-1, -2))
})

test_that("demo arguments are checked", {
  expect_error(race_counter(workers = 0), class = "parairline_input_error")
  expect_error(race_counter(workers = 1.5), class = "parairline_input_error")
  expect_error(race_counter(increments = -1), class = "parairline_input_error")
  expect_error(race_counter(method = "atomc"), class = "parairline_input_error")
  expect_error(race_counter(via = NA), class = "parairline_input_error")
  expect_error(summer(n = NA), class = "parairline_input_error")
  expect_error(summer(jobs = "10"), class = "parairline_input_error")
  expect_error(summer(via = "gpu"), class = "parairline_input_error")
  expect_error(auc(n = 0), class = "parairline_input_error")
  expect_error(auc(threads = 300), class = "parairline_input_error")
  expect_error(auc(a = Inf), class = "parairline_input_error")
  expect_error(negate_shared("a"), class = "parairline_input_error")
  expect_error(negate_shared(1, workers = NA), class = "parairline_input_error")
})

test_that("argument errors are clear", {
  expect_snapshot(error = TRUE, {
    race_counter(workers = 0)
    summer(via = "gpu")
    race_counter(method = "atomc")
  })
})

test_that("choices default to their first value and name the demo in errors", {
  expect_identical(race_counter(workers = 1, increments = 10)$observed, 10)
  expect_identical(summer(n = 10, jobs = 1, workers = 1)$total, 45)
  for (code in list(quote(race_counter(method = "atomc")), quote(race_counter(via = NA_character_)),
                    quote(summer(via = character())), quote(summer(via = c("serial", "gpu"))))) {
    err <- tryCatch(eval(code), error = identity)
    label <- deparse(code)
    expect_s3_class(err, "parairline_input_error")
    expect_s3_class(err, "parairline_error")
    expect_identical(err$call[[1]], code[[1]], label = label)
  }
})

test_that("failure texts from C++ are shown verbatim, braces included", {
  status <- list(error = c("worker 1 said {x}", "a } then {{y}} then {"), error_kind = "worker")
  err <- tryCatch(demo_stop_on_failure(status, "summer", call = quote(summer())), error = identity)
  expect_s3_class(err, "parairline_worker_error")
  expect_s3_class(err, "parairline_error")
  expect_match(conditionMessage(err), "Worker 1 said {x}.", fixed = TRUE)
  expect_match(conditionMessage(err), "A } then {{y}} then {.", fixed = TRUE)
  status$error_kind <- "system"
  err <- tryCatch(demo_stop_on_failure(status, "summer", call = quote(summer())), error = identity)
  expect_s3_class(err, "parairline_system_error")
  expect_match(conditionMessage(err), "Worker 1 said {x}.", fixed = TRUE)
  expect_snapshot(error = TRUE, {
    demo_stop_on_failure(list(error = "worker 2 said {x}", error_kind = "worker"), "race_counter",
                         call = quote(race_counter()))
    demo_stop_on_failure(list(error = c("no {threads}", "}{"), error_kind = "system"), "auc",
                         call = quote(auc()))
  })
  expect_null(demo_stop_on_failure(list(error = character(), error_kind = ""), "auc", call = NULL))
})

test_that("processes are refused on Windows", {
  skip_on_os(c("mac", "linux", "solaris"))
  expect_error(race_counter(via = "processes"), class = "parairline_input_error")
  expect_error(negate_shared(1), class = "parairline_input_error")
})
