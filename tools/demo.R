# `make demo`: the airline exercise on the bundled sample, with every backend
# that runs here, and how long each took.
library(parairline)
files <- airontime_sample()
cat(sprintf("%d files, %.1f MB in all (%s ...)\n\n", length(files),
            sum(file.size(files)) / 1e6, basename(files[1])))
threads <- min(2L, parallelly::availableCores())
backends <- c("tbb", "fork", "future", "datatable", "base")
if (.Platform$OS.type == "windows") backends <- setdiff(backends, "fork")
if (!requireNamespace("future", quietly = TRUE)) backends <- setdiff(backends, "future")
results <- list()
timings <- data.frame(backend = character(), threads = integer(), seconds = double())
for (b in backends) {
  # The first call loads packages and starts threads; time the second.
  try(airline_distances(files, backend = b, threads = threads), silent = TRUE)
  t <- system.time(r <- tryCatch(
    airline_distances(files, backend = b, threads = threads),
    parairline_input_error = function(e) NULL
  ))[["elapsed"]]
  if (is.null(r)) next
  results[[b]] <- r
  timings[nrow(timings) + 1, ] <- list(b, if (b == "base") 1L else threads, t)
}
cat("Total distance per carrier (backend = \"tbb\"):\n\n")
print(results[["tbb"]], row.names = FALSE)
cat("\nTimings on the sample:\n\n")
print(timings, row.names = FALSE)
same <- vapply(results, identical, logical(1), results[["tbb"]])
cat(sprintf("\nAll %d backends give identical results: %s\n", length(results), all(same)))
if (!all(same)) quit(status = 1)
