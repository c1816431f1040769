# The package's conditions: error records become one classed error each, and
# choices are matched by rlang::arg_match() with the package's classes.

test_that("every kind of error record gives its class and keeps its fields", {
  classes <- c(
    parse = "parairline_parse_error", io = "parairline_io_error",
    worker = "parairline_worker_error", system = "parairline_system_error",
    internal = "parairline_internal_error"
  )
  for (kind in names(classes)) {
    rec <- core_error_record(kind, "data.csv", message = "Went wrong {here}.", line = 3,
                             column = 2, text = "12a")
    err <- tryCatch(abort_core_error(rec, call = quote(csv_group_sum())), error = identity)
    expect_s3_class(err, classes[[kind]])
    expect_s3_class(err, "parairline_error")
    expect_identical(setdiff(grep("^parairline_", class(err), value = TRUE),
                             c(classes[[kind]], "parairline_error")), character(), label = kind)
    expect_identical(err$file, "data.csv")
    expect_identical(err$line, 3)
    expect_identical(err$column, 2)
    expect_identical(err$text, "12a")
    expect_identical(err$call, quote(csv_group_sum()))
    expect_match(conditionMessage(err), "Went wrong {here}.", fixed = TRUE)
    expect_match(conditionMessage(err), "data.csv:3", fixed = TRUE)
  }
  # A kind R does not know is a bug on the C++ side.
  err <- tryCatch(abort_core_error(core_error_record("novel", message = "m"), call = NULL),
                  error = identity)
  expect_s3_class(err, "parairline_internal_error")
  expect_s3_class(err, "parairline_error")
})

test_that("records built in R have the C++ core's shape", {
  f <- local_csv("", "empty.csv")
  from_cpp <- cpp_plan(f, sum_query("K", "V"), 1000)$error
  expect_type(from_cpp, "list")
  rec <- core_error_record("io", f, message = "m")
  expect_named(rec, names(from_cpp))
  expect_identical(vapply(rec, typeof, ""), vapply(from_cpp, typeof, ""))
  expect_identical(rec$line, NA_real_)
  expect_identical(rec$column, NA_real_)
  expect_identical(rec$text, "")
  expect_identical(core_error_record("io", message = "m")$file, "")
})

test_that("a record without a file names no file", {
  err <- tryCatch(abort_core_error(core_error_record("worker", message = "Worker 2 died."),
                                   call = NULL), error = identity)
  expect_identical(conditionMessage(err), "Worker 2 died.")
})

test_that("choices: the default vector gives its first value, bad ones are input errors", {
  pick <- function(mode = c("fast", "slow")) {
    arg_match_input(mode, c("fast", "slow"), call = rlang::current_env())
  }
  expect_identical(pick(), "fast")
  expect_identical(pick("slow"), "slow")
  for (bad in list("quick", NA, NA_character_, character(), 1, c("fast", "x"))) {
    err <- tryCatch(pick(bad), error = identity)
    label <- deparse(bad)
    expect_s3_class(err, "parairline_input_error")
    expect_s3_class(err, "parairline_error")
    expect_identical(err$call[[1]], quote(pick), label = label)
    expect_match(conditionMessage(err), "`mode`", fixed = TRUE, label = label)
  }
  expect_snapshot(error = TRUE, {
    pick("slw")
    pick(NA_character_)
    pick(character())
  })
})
