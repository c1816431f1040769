# What travels between processes (plans, result frames) is checked on
# arrival: damage is a classed worker error, never a crash or a wrong sum.

test_that("damaged plans and result frames are classed worker errors", {
  f <- local_csv("K,V\nA,1\nB,2\n")
  p <- cpp_plan(f, sum_query("K", "V"), 1000)
  ok <- cpp_run_tasks(p$plan, 0, 1L)
  expect_null(ok$error)
  expect_identical(cpp_reduce_frames(p$plan, list(ok$frames), 1L)$columns[[1]], c(1, 2))

  flipped <- ok$frames
  flipped[30] <- as.raw(bitwXor(as.integer(flipped[30]), 1L))
  cases <- list(
    "a flipped byte" = cpp_reduce_frames(p$plan, list(flipped), 1L),
    "a cut frame" = cpp_reduce_frames(p$plan, list(ok$frames[1:20]), 1L),
    "a missing task" = cpp_reduce_frames(p$plan, list(), 1L),
    "a task sent twice" = cpp_reduce_frames(p$plan, list(ok$frames, ok$frames), 1L),
    "a damaged plan" = cpp_run_tasks(as.raw(1:40), 0, 1L),
    "a task not in the plan" = cpp_run_tasks(p$plan, 5, 1L)
  )
  for (what in names(cases)) {
    res <- cases[[what]]
    expect_identical(res$error$kind, "worker", label = what)
    err <- tryCatch(abort_core_error(res$error), error = identity)
    expect_s3_class(err, "parairline_worker_error")
    expect_s3_class(err, "parairline_error")
  }
})
