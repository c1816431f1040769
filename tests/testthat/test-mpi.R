# inst/mpi/auc.R, the lecture's AUC example as an SPMD R script, run as 2 MPI
# ranks where Open MPI and Rmpi are installed (make mpi-demo installs them).

test_that("2 MPI ranks reduce to the area auc() computes", {
  skip_on_cran()
  skip_if_not_installed("processx")
  # Not skip_if_not_installed(): loading Rmpi here would start MPI in this
  # process, and mpirun would inherit its environment.
  skip_if(!nzchar(system.file(package = "Rmpi")), "Rmpi is not installed")
  mpirun <- Sys.which("mpirun")
  skip_if(!nzchar(mpirun), "mpirun is not installed")
  script <- system.file("mpi", "auc.R", package = "parairline")
  skip_if(!nzchar(script), "parairline is not installed with inst/mpi")

  root <- if (identical(unname(Sys.info()[["effective_user"]]), "root")) "--allow-run-as-root"
  res <- processx::run(
    mpirun, c(root, "--oversubscribe", "-np", "2", file.path(R.home("bin"), "Rscript"), script, "2e5"),
    env = c("current", R_LIBS = paste(.libPaths(), collapse = .Platform$path.sep)),
    error_on_status = FALSE, timeout = 120
  )
  out <- strsplit(res$stdout, "\n")[[1]]
  expect_identical(res$status, 0L, info = paste(res$stdout, res$stderr))
  expect_length(grep("^rank [01] of 2 on ", out), 2L)
  area <- as.numeric(sub("^mpi: 2 ranks, area ([^,]+), equal to auc\\(\\): TRUE$", "\\1",
                         grep("^mpi: ", out, value = TRUE)))
  expect_length(area, 1L)
  expect_equal(area, auc(n = 2e5, threads = 1), tolerance = 1e-9)
})
