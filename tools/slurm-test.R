# The R half of `make slurm-test` (tools/slurm-test.sh starts the cluster and
# runs this in its shared directory). Usage:
#   Rscript tools/slurm-test.R slurm   the batchtools_slurm run, its failure and Ctrl-C
#   Rscript tools/slurm-test.R mirai   the same data under future.mirai
# Environment: PARAIRLINE_SLURM_DIR (the cluster's directory), R_LIBS (first:
# the library holding parairline, which the jobs use too).
# Prints what it does; the last line is `slurm-test: <mode> ok <jobs>`, read
# by the shell script. Exits non-zero on the first problem.

suppressPackageStartupMessages({
  library(parairline)
  library(future)
})
mode <- commandArgs(trailingOnly = TRUE)[1]
dir <- Sys.getenv("PARAIRLINE_SLURM_DIR")
stopifnot(nzchar(dir), mode %in% c("slurm", "mirai"))
shared <- file.path(dir, "shared")
private <- file.path(dir, "submit-only")
lib <- .libPaths()[1]
say <- function(...) cat(sprintf(...), "\n", sep = "")
check <- function(ok, what) {
  if (!isTRUE(ok)) {
    say("PROBLEM: %s", what)
    quit(status = 1)
  }
}
run <- function(cmd, args = character()) system2(cmd, args, stdout = TRUE, stderr = TRUE)
squeue <- function() run("squeue", c("--noheader", shQuote("--format=%i %j %T %R")))

# Six months, one file each, so at least six jobs; the data live on the
# cluster's "shared filesystem", the directory both sides see.
sim <- airontime_simulate(file.path(shared, "data"), years = 1990, months = 1:6,
                          rows_per_file = 20000, threads = 2)
files <- sim$files
tbb <- airline_distances(files, backend = "tbb", threads = 2)
check(identical(tbb, sim$totals), "tbb differs from the simulator's totals")
say("data: %d files, %.1f MB under %s", length(files), sum(file.size(files)) / 1e6, shared)

template <- system.file("templates", "slurm-parairline.tmpl", package = "parairline")
slurm_plan <- function() {
  plan(future.batchtools::batchtools_slurm, template = template, workers = 6,
       resources = list(ncpus = 1, memory = "500M", walltime = "00:05:00", r_libs = lib))
}

submitted_jobs <- function() {
  log <- readLines(file.path(dir, "log", "slurmctld.log"))
  length(grep("_slurm_rpc_submit_batch_job: JobId=", log, fixed = TRUE))
}

# Jobs as the controller remembers them (MinJobAge keeps finished ones).
job_table <- function(first) {
  lines <- run("scontrol", c("show", "job", "-o"))
  lines <- lines[grepl("^JobId=", lines)]
  get <- function(name) sub(paste0("^", name, "="), "", regmatches(lines, regexpr(paste0("\\b", name, "=[^ ]*"), lines)))
  jobs <- data.frame(job = as.integer(get("JobId")), state = get("JobState"),
                     node = get("NodeList"), cpus = as.integer(get("NumCPUs")),
                     submit = get("SubmitTime"), start = get("StartTime"), end = get("EndTime"))
  jobs <- jobs[jobs$job >= first, ]
  t <- function(x) as.POSIXct(x, format = "%Y-%m-%dT%H:%M:%S")
  jobs$queued_s <- as.numeric(t(jobs$start) - t(jobs$submit), units = "secs")
  jobs$ran_s <- as.numeric(t(jobs$end) - t(jobs$start), units = "secs")
  jobs$start <- substr(jobs$start, 12, 19)
  jobs[order(jobs$job), c("job", "state", "node", "cpus", "start", "queued_s", "ran_s")]
}

# The job registries future.batchtools leaves in ./.future: none, once every
# future is collected or cancelled. (Each R session keeps one directory there
# with its sessioninfo.txt.)
registries <- function() {
  left <- list.files(file.path(shared, ".future"), recursive = TRUE)
  left <- left[basename(left) != "sessioninfo.txt"]
  if (length(left)) writeLines(paste("  left:", head(left, 10)))
  left
}

if (mode == "mirai") {
  plan(future.mirai::mirai_multisession, workers = 2)
  say("plan: future.mirai::mirai_multisession, %d workers", nbrOfWorkers())
  t <- system.time(res <- airline_distances(files, backend = "future", threads = 1))[["elapsed"]]
  check(identical(res, tbb), "mirai result differs from tbb")
  say("mirai: %d files in %.2f s, identical to tbb: %s", length(files), t, identical(res, tbb))
  # What one future costs on warm workers: mirai's daemons against
  # multisession's background sessions.
  overhead_ms <- function() {
    value(future(NULL, seed = NULL))
    1000 * median(replicate(20, system.time(value(future(NULL, seed = NULL)))[["elapsed"]]))
  }
  o_mirai <- overhead_ms()
  plan(multisession, workers = 2)
  o_ms <- overhead_ms()
  say("one empty future: %.1f ms on mirai_multisession, %.1f ms on multisession (future %s, future.mirai %s)",
      o_mirai, o_ms, packageVersion("future"), packageVersion("future.mirai"))
  plan(sequential)
  say("slurm-test: mirai ok 0")
  quit(status = 0)
}

## 1. The run, in at least four jobs.
slurm_plan()
say("plan: batchtools_slurm, template %s, %d workers", basename(template), nbrOfWorkers())
first <- submitted_jobs() + 1L
t <- system.time(res <- airline_distances(files, backend = "future", progress = FALSE))[["elapsed"]]
n_jobs <- submitted_jobs() - first + 1L
say("airline_distances(backend = \"future\"): %d jobs, %.1f s", n_jobs, t)
print(head(res, 3))
check(n_jobs >= 4, sprintf("only %d jobs", n_jobs))
check(identical(res, tbb), "the Slurm result differs from tbb")
say("identical to backend = \"tbb\": TRUE")
jobs <- job_table(first)
print(jobs, row.names = FALSE)
check(all(jobs$state == "COMPLETED"), "a job did not complete")
check(all(jobs$node == "node1"), "a job ran off node1")
check(length(squeue()) == 0L, "jobs left in the queue after the run")
check(length(registries()) == 0L, "batchtools registries left after the run")

## 2. A file only the submitting side can read.
local_only <- file.path(private, "airOT199007.csv")
invisible(file.copy(files[1], local_only))
first <- submitted_jobs() + 1L
err <- tryCatch(airline_distances(c(files, local_only), backend = "future"), error = identity)
say("a job that cannot read its file:")
print(err)
check(inherits(err, "parairline_io_error"), paste("not a parairline_io_error:", toString(class(err))))
check(identical(err$file, local_only), "the error does not name the file")
check(grepl("slurm-node1", conditionMessage(err), fixed = TRUE), "the error does not name the job's host")
check(length(squeue()) == 0L, "jobs left in the queue after the failure")
check(length(registries()) == 0L, "batchtools registries left after the failure")
say("failing run: %d jobs", submitted_jobs() - first + 1L)

## 3. Ctrl-C while the jobs are pending: the node is drained, so all of them
## wait; an R session that is interrupted must leave an empty queue.
invisible(run("scontrol", c("update", "NodeName=node1", "State=DRAIN", "Reason=ctrl-c-test")))
script <- file.path(dir, "interrupted.R")
writeLines(c(
  sprintf("setwd(%s)", deparse(shared)),
  "library(parairline)",
  sprintf("future::plan(future.batchtools::batchtools_slurm, template = %s, workers = 6,", deparse(template)),
  sprintf("  resources = list(ncpus = 1, memory = '500M', walltime = '00:05:00', r_libs = %s))", deparse(lib)),
  sprintf("files <- %s", paste(deparse(files), collapse = "")),
  "airline_distances(files, backend = 'future')"
), script)
first <- submitted_jobs() + 1L
p <- processx::process$new(file.path(R.home("bin"), "Rscript"), script, wd = shared,
                           stdout = file.path(dir, "interrupted.out"), stderr = "2>&1")
pending <- character()
for (i in 1:300) {
  q <- squeue()
  pending <- q[grepl(" PENDING ", q)]
  if (length(pending) >= 4L || !p$is_alive()) break
  Sys.sleep(0.2)
}
say("before Ctrl-C, squeue:")
writeLines(paste0("  ", q))
check(length(pending) >= 4L, "the jobs never showed as pending")
invisible(p$interrupt())
p$wait(30000)
invisible(check(!p$is_alive(), "the interrupted R session did not end"))
say("the interrupted session printed:")
writeLines(paste0("  ", readLines(file.path(dir, "interrupted.out"))))
q <- squeue()
say("after Ctrl-C (R exited with status %s), squeue: %s", p$get_exit_status(),
    if (length(q)) paste(q, collapse = "; ") else "empty")
check(length(q) == 0L, "jobs left in the queue after Ctrl-C")
check(length(registries()) == 0L, "batchtools registries left after Ctrl-C")
invisible(run("scontrol", c("update", "NodeName=node1", "State=RESUME")))
n_cancelled <- submitted_jobs() - first + 1L
say("Ctrl-C: %d pending jobs cancelled, queue empty", n_cancelled)

plan(sequential)
say("slurm-test: slurm ok %d", n_jobs)
