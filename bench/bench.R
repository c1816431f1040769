# `make bench`: the airline exercise at full size, every tool measured side
# by side in one R session (these machines are shared and noisy, so ratios
# measured together are what count), plus the peak memory of a separate R
# process per tool.
#
#   Rscript bench/bench.R [DIR] [REPS]
#
# DIR holds the generated data (default: a temporary directory, deleted at
# the end; set PARAIRLINE_BENCH_DIR or pass DIR to keep and reuse it).

suppressPackageStartupMessages({
  library(parairline)
  library(data.table)
})

args <- commandArgs(trailingOnly = TRUE)
dir <- if (length(args) >= 1) args[1] else Sys.getenv("PARAIRLINE_BENCH_DIR", "")
keep <- nzchar(dir)
if (!keep) dir <- file.path(tempdir(), "parairline-bench")
reps <- if (length(args) >= 2) as.integer(args[2]) else 3L
rows <- as.numeric(Sys.getenv("PARAIRLINE_BENCH_ROWS", "5e5"))
dir.create(dir, recursive = TRUE, showWarnings = FALSE)

# --- data ---------------------------------------------------------------
monthly <- file.path(dir, sprintf("airOT1990%02d.csv", 1:12))
expected_path <- file.path(dir, "expected.rds")
if (!all(file.exists(monthly)) || !file.exists(expected_path)) {
  cat("Generating 12 x", format(rows, big.mark = ","), "rows with airontime_simulate() ...\n")
  t <- system.time(sim <- airontime_simulate(dir, years = 1990, months = 1:12, rows_per_file = rows))
  cat(sprintf("  %.1f s\n", t[["elapsed"]]))
  saveRDS(sim$totals, expected_path)
}
expected <- readRDS(expected_path)
single <- file.path(dir, "airOT1990-all.csv")
if (!file.exists(single)) {
  # One big file: the header once, then every month's rows.
  file.copy(monthly[1], single)
  out <- file(single, "ab")
  for (f in monthly[-1]) {
    con <- file(f, "rb")
    invisible(readLines(con, n = 1))
    while (length(chunk <- readBin(con, "raw", 64 * 1024^2)) > 0) writeBin(chunk, out)
    close(con)
  }
  close(out)
}
mb <- function(files) sum(file.size(files)) / 1e6
datasets <- list("12 files" = monthly, "1 file" = single)

# --- tools --------------------------------------------------------------
dt_sum <- function(files, threads) {
  old <- setDTthreads(threads)
  on.exit(setDTthreads(old))
  parts <- lapply(files, function(f) {
    fread(f, select = c("UNIQUE_CARRIER", "DISTANCE"), showProgress = FALSE)[
      , list(distance = sum(DISTANCE, na.rm = TRUE), flights = .N), by = "UNIQUE_CARRIER"]
  })
  rbindlist(parts)[, list(distance = sum(distance), flights = sum(flights)), by = "UNIQUE_CARRIER"]
}
have_duckdb <- requireNamespace("duckdb", quietly = TRUE) && requireNamespace("DBI", quietly = TRUE)
duck_sum <- function(files, threads) {
  con <- DBI::dbConnect(duckdb::duckdb())
  on.exit(DBI::dbDisconnect(con, shutdown = TRUE))
  DBI::dbExecute(con, sprintf("SET threads = %d", threads))
  list_sql <- paste0("[", paste0("'", files, "'", collapse = ", "), "]")
  DBI::dbGetQuery(con, sprintf(
    "SELECT UNIQUE_CARRIER, SUM(DISTANCE) AS distance, COUNT(*) AS flights
     FROM read_csv(%s, header = true, columns = %s) GROUP BY UNIQUE_CARRIER", list_sql,
    "{'UNIQUE_CARRIER': 'VARCHAR', 'DISTANCE': 'DOUBLE'}"))
}
tools <- list(
  "data.table" = dt_sum,
  "parairline tbb" = function(files, threads) airline_distances(files, backend = "tbb", threads = threads),
  "parairline fork" = function(files, threads) airline_distances(files, backend = "fork", threads = threads)
)
if (.Platform$OS.type == "windows") tools[["parairline fork"]] <- NULL
if (have_duckdb) tools[["duckdb"]] <- duck_sum

# --- timings, side by side in this session -------------------------------
median_time <- function(fun, files, threads) {
  times <- vapply(seq_len(reps), function(i) {
    gc()
    system.time(fun(files, threads))[["elapsed"]]
  }, double(1))
  stats::median(times)
}
fun_ok <- function(fun) {
  tryCatch({
    fun(monthly[1], 1)
    TRUE
  }, parairline_input_error = function(e) FALSE)
}
tools <- tools[vapply(tools, fun_ok, logical(1))]

# Correctness first: exact totals from the C++ backends.
for (name in grep("^parairline", names(tools), value = TRUE)) {
  for (d in names(datasets)) {
    got <- tools[[name]](datasets[[d]], 2)
    if (!identical(got, expected)) stop(name, " on ", d, " differs from the simulator's exact totals")
  }
}

rows_out <- list()
for (d in names(datasets)) {
  files <- datasets[[d]]
  for (threads in 1:2) {
    for (name in names(tools)) {
      secs <- median_time(tools[[name]], files, threads)
      rows_out[[length(rows_out) + 1]] <- data.frame(
        data = d, tool = name, threads = threads, seconds = secs, mb_per_s = mb(files) / secs
      )
    }
  }
}
res <- do.call(rbind, rows_out)
ref <- res[res$tool == "data.table", c("data", "threads", "seconds")]
names(ref)[3] <- "dt_seconds"
res <- merge(res, ref, by = c("data", "threads"), sort = FALSE)
res$x_vs_data.table <- res$dt_seconds / res$seconds
res$dt_seconds <- NULL

# --- peak memory of a separate R process per tool --------------------------
peak_rss_mb <- function(expr) {
  if (!file.exists("/usr/bin/time")) return(NA_real_)
  script <- tempfile(fileext = ".R")
  writeLines(c("suppressPackageStartupMessages({library(parairline); library(data.table)})", expr), script)
  out <- suppressWarnings(system2("/usr/bin/time", c("-v", file.path(R.home("bin"), "Rscript"), script),
                                  stdout = TRUE, stderr = TRUE))
  line <- grep("Maximum resident set size", out, value = TRUE)
  if (!length(line)) return(NA_real_)
  as.numeric(sub(".*: *", "", line)) / 1024
}
quote_files <- function(files) paste0("c(", paste0("'", files, "'", collapse = ", "), ")")
rss <- data.frame(data = character(), tool = character(), peak_rss_mb = double())
for (d in names(datasets)) {
  f <- quote_files(datasets[[d]])
  rss[nrow(rss) + 1, ] <- list(d, "R + packages only", peak_rss_mb("invisible(NULL)"))
  rss[nrow(rss) + 1, ] <- list(d, "data.table", peak_rss_mb(sprintf(
    "setDTthreads(2); invisible(rbindlist(lapply(%s, function(f) fread(f, select = c('UNIQUE_CARRIER', 'DISTANCE'))[, list(d = sum(DISTANCE, na.rm = TRUE)), by = 'UNIQUE_CARRIER'])))", f)))
  for (b in intersect(c("tbb", "fork"), sub("parairline ", "", names(tools)))) {
    rss[nrow(rss) + 1, ] <- list(d, paste("parairline", b), peak_rss_mb(sprintf(
      "invisible(airline_distances(%s, backend = '%s', threads = 2))", f, b)))
  }
}

# --- report ---------------------------------------------------------------
cpu <- tryCatch({
  x <- grep("^model name", readLines("/proc/cpuinfo"), value = TRUE)[1]
  trimws(sub(".*:", "", x))
}, error = function(e) "unknown CPU")
cat(sprintf("\nparairline %s benchmark, %s, %s, %d cores, R %s\n", packageVersion("parairline"),
            format(Sys.Date()), cpu, parallel::detectCores(), getRversion()))
cat(sprintf("Data: 12 monthly AirOnTime files of %s rows (%.0f MB) and the same rows in one file; median of %d runs.\n\n",
            format(rows, big.mark = ","), mb(monthly), reps))
res$seconds <- round(res$seconds, 3)
res$mb_per_s <- round(res$mb_per_s)
res$x_vs_data.table <- round(res$x_vs_data.table, 2)
print(res[order(res$data, res$threads, res$tool), ], row.names = FALSE)
cat("\nSpeed-up from 1 to 2 threads:\n")
for (d in names(datasets)) for (name in names(tools)) {
  s <- res[res$data == d & res$tool == name, ]
  cat(sprintf("  %-8s %-16s %.2fx\n", d, name, s$seconds[s$threads == 1] / s$seconds[s$threads == 2]))
}
if (all(c("parairline fork", "parairline tbb") %in% names(tools))) {
  cat("\nfork / tbb time at 2 workers:\n")
  for (d in names(datasets)) {
    s <- res[res$data == d & res$threads == 2, ]
    cat(sprintf("  %-8s %.2f\n", d, s$seconds[s$tool == "parairline fork"] / s$seconds[s$tool == "parairline tbb"]))
  }
}
cat("\nPeak RSS of a separate R process summing the data (2 threads):\n")
rss$peak_rss_mb <- round(rss$peak_rss_mb)
print(rss, row.names = FALSE)
if (!keep) unlink(dir, recursive = TRUE)
