# `make bench` (part 3): csv_summarise() at full size, side by side with
# data.table in one R session (ratios are what count on a shared machine),
# plus the peak memory of a separate R process per query.
#
#   Rscript bench/summarise.R [DIR] [REPS]
#
# DIR holds the 12 monthly files bench/bench.R generates (default: a
# temporary directory, generated here and deleted at the end; set
# PARAIRLINE_BENCH_DIR to reuse it) and a 5M-row file with 1M distinct keys.

suppressPackageStartupMessages({
  library(parairline)
  library(data.table)
})

# bench/common.R, beside this script (run as Rscript bench/<name>.R).
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(), value = TRUE)[1])), "common.R"))
bench_setup(3L)  # dir, keep, reps, monthly
threads <- 2L
many <- file.path(dir, "many-groups.csv")
if (!file.exists(many)) {
  # 5M rows, keys drawn from 1M ids (about 993,000 occur), one value column.
  set.seed(1)
  n <- 5e6
  fwrite(data.table(id = sprintf("ID%07d", sample.int(1e6, n, replace = TRUE)),
                    v = round(stats::runif(n, -1000, 1000), 2)), many)
}
mb <- function(files) sum(file.size(files)) / 1e6

# --- the queries, in parairline and in data.table --------------------------
queries <- list(
  "one key: sum DISTANCE by UNIQUE_CARRIER" = list(
    files = monthly,
    parairline = function() csv_summarise(monthly, by = "UNIQUE_CARRIER", flights = n(),
                                          distance = sum(DISTANCE, na.rm = TRUE), threads = threads),
    airline_distances = function() airline_distances(monthly, threads = threads),
    datatable = function() rbindlist(lapply(monthly, function(f) {
      fread(f, select = c("UNIQUE_CARRIER", "DISTANCE"), showProgress = FALSE)[
        , list(flights = .N, distance = sum(DISTANCE, na.rm = TRUE)), keyby = "UNIQUE_CARRIER"]
    }))[, list(flights = sum(flights), distance = sum(distance)), keyby = "UNIQUE_CARRIER"]
  ),
  "3 keys x n/sum/mean/min/max of 2 columns, CANCELLED == 0" = list(
    files = monthly,
    parairline = function() csv_summarise(monthly, by = c("YEAR", "MONTH", "UNIQUE_CARRIER"),
      flights = n(),
      distance = sum(DISTANCE), mean_distance = mean(DISTANCE),
      min_distance = min(DISTANCE), max_distance = max(DISTANCE),
      delay = sum(ARR_DELAY, na.rm = TRUE), mean_delay = mean(ARR_DELAY, na.rm = TRUE),
      min_delay = min(ARR_DELAY, na.rm = TRUE), max_delay = max(ARR_DELAY, na.rm = TRUE),
      where = CANCELLED == 0, threads = threads),
    datatable = function() {
      dt <- rbindlist(lapply(monthly, fread, showProgress = FALSE,
        select = c("YEAR", "MONTH", "UNIQUE_CARRIER", "DISTANCE", "ARR_DELAY", "CANCELLED")))
      dt[CANCELLED == 0, list(flights = .N,
        distance = sum(DISTANCE), mean_distance = mean(DISTANCE),
        min_distance = min(DISTANCE), max_distance = max(DISTANCE),
        delay = sum(ARR_DELAY, na.rm = TRUE), mean_delay = mean(ARR_DELAY, na.rm = TRUE),
        min_delay = min(ARR_DELAY, na.rm = TRUE), max_delay = max(ARR_DELAY, na.rm = TRUE)),
        keyby = c("YEAR", "MONTH", "UNIQUE_CARRIER")]
    }
  ),
  "millions of groups: by TAIL_NUM and FL_DATE" = list(
    files = monthly,
    parairline = function() csv_summarise(monthly, by = c("TAIL_NUM", "FL_DATE"), flights = n(),
                                          distance = sum(DISTANCE), threads = threads),
    datatable = function() {
      dt <- rbindlist(lapply(monthly, fread, showProgress = FALSE,
                             select = c("TAIL_NUM", "FL_DATE", "DISTANCE"), colClasses = list(character = "FL_DATE")))
      dt[, list(flights = .N, distance = sum(DISTANCE)), keyby = c("TAIL_NUM", "FL_DATE")]
    }
  ),
  "small file, many groups: 5M rows, 1M keys" = list(
    files = many,
    parairline = function() csv_summarise(many, by = "id", n = n(), s = sum(v), threads = threads),
    datatable = function() fread(many, showProgress = FALSE)[, list(n = .N, s = sum(v)), keyby = "id"]
  )
)

# Each repetition runs every tool of a query once, in turn, and the one-key
# sum beside them, so a slow spell of the shared machine hits all alike:
# "x one-key sum" is the median of the ratios within a repetition. The
# order rotates from one repetition to the next: the tool that runs right
# after data.table's hundreds of MB are freed is slower.
time_once <- function(fun) {
  gc()
  system.time(fun())[["elapsed"]]
}
one_key_sum <- queries[[1]]$parairline

old <- setDTthreads(threads)
rows <- list()
for (q in names(queries)) {
  spec <- queries[[q]]
  groups <- nrow(spec$parairline())
  tools <- setdiff(names(spec), "files")
  secs <- matrix(NA_real_, reps, length(tools) + 1L, dimnames = list(NULL, c(tools, ".one_key")))
  for (r in seq_len(reps)) {
    in_turn <- tools[(seq_along(tools) + r - 2L) %% length(tools) + 1L]
    for (tool in in_turn) secs[r, tool] <- time_once(spec[[tool]])
    secs[r, ".one_key"] <- if (q == names(queries)[1]) secs[r, "parairline"] else time_once(one_key_sum)
  }
  for (tool in tools) {
    med <- stats::median(secs[, tool])
    rows[[length(rows) + 1L]] <- data.frame(query = q, tool = tool, groups = groups,
      seconds = round(med, 3), mb_per_s = round(mb(spec$files) / med),
      x_one_key_sum = round(stats::median(secs[, tool] / secs[, ".one_key"]), 2))
  }
}
setDTthreads(old)
res <- do.call(rbind, rows)
dt_secs <- stats::setNames(res$seconds[res$tool == "datatable"], res$query[res$tool == "datatable"])
res$datatable_over_this <- round(dt_secs[res$query] / res$seconds, 2)

# --- peak memory of a separate R process per query ------------------------
peak_rss_mb <- function(query, tool) {
  if (!file.exists("/usr/bin/time")) return(NA_real_)
  script <- tempfile(fileext = ".R")
  on.exit(unlink(script))
  fun <- deparse(queries[[query]][[tool]])
  writeLines(c("suppressPackageStartupMessages({library(parairline); library(data.table)})",
               sprintf("monthly <- %s; many <- %s; threads <- %dL; setDTthreads(threads)",
                       paste(deparse(monthly), collapse = ""), deparse(many), threads),
               "f <- ", fun, "invisible(f())"), script)
  out <- suppressWarnings(system2("/usr/bin/time", c("-v", file.path(R.home("bin"), "Rscript"), script),
                                  stdout = TRUE, stderr = TRUE))
  line <- grep("Maximum resident set size", out, value = TRUE)
  if (!length(line)) return(NA_real_)
  round(as.numeric(sub(".*: *", "", line)) / 1024)
}
res$peak_rss_mb <- mapply(peak_rss_mb, res$query, res$tool)

cpu <- tryCatch(trimws(sub(".*:", "", grep("^model name", readLines("/proc/cpuinfo"), value = TRUE)[1])),
                error = function(e) "unknown CPU")
cat(sprintf("\ncsv_summarise() benchmark, parairline %s, %s, %s, %d cores, R %s, %d threads, median of %d\n",
            packageVersion("parairline"), format(Sys.Date()), cpu, parallel::detectCores(), getRversion(),
            threads, reps))
cat(sprintf("Data: 12 monthly AirOnTime files (%.0f MB); a 5M-row file with 1M keys (%.0f MB).\n\n",
            mb(monthly), mb(many)))
print(res, row.names = FALSE)
if (!keep) unlink(dir, recursive = TRUE)
