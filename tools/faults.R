# `make faults`: fault injection into the fork backend's workers.
#
#   Rscript tools/faults.R [RUNS] [DIR]    (run by tools/faults.sh)
#
# On 12 simulated monthly files (1.3 GB), each run starts
# airline_distances(backend = "fork", threads = 2) while a shell in the
# background waits a random moment, sends one worker one of SIGKILL, SIGSEGV,
# SIGBUS, SIGABRT or SIGTERM and, in some runs, stops the other with
# SIGSTOP. Every run must end with a parairline_worker_error within 1 s of
# the fault, the session's tempdir() and a file in it must survive, and no
# child, zombie, descriptor or shared mapping may be left. Then Ctrl-C while
# an error's line is located in a large .gz file must return within 1 s.
# Prints the counts and the worst latencies; exits non-zero on any failure.

suppressPackageStartupMessages(library(parairline))

args <- commandArgs(trailingOnly = TRUE)
runs <- if (length(args) >= 1) as.integer(args[1]) else 200L
dir <- if (length(args) >= 2) args[2] else Sys.getenv("PARAIRLINE_FAULTS_DIR", "")
keep <- nzchar(dir)
if (!keep) dir <- file.path(tempdir(), "parairline-faults")
dir.create(dir, recursive = TRUE, showWarnings = FALSE)
say <- function(...) cat(sprintf(...), "\n", sep = "")

files <- file.path(dir, sprintf("airOT1990%02d.csv", 1:12))
if (!all(file.exists(files))) {
  say("Generating 12 x 500,000 rows in %s ...", dir)
  airontime_simulate(dir, years = 1990, months = 1:12, rows_per_file = 5e5, threads = 2)
}
say("Data: %.0f MB in %d files", sum(file.size(files)) / 1e6, length(files))

# --- what must survive and what must not be left -------------------------
marker <- tempfile("survives-", fileext = ".txt")
writeLines("the session's own file", marker)
fds <- function() length(dir("/proc/self/fd"))
shared_maps <- function() sum(grepl("/dev/zero|SYSV", readLines("/proc/self/maps")))
# Our children, zombies included, read from /proc (no helper process of our
# own to confuse the count).
children <- function() {
  stat <- file.path(dir("/proc", pattern = "^[0-9]+$", full.names = TRUE), "stat")
  ppid <- vapply(stat, function(f) {
    s <- tryCatch(suppressWarnings(readLines(f, warn = FALSE)), error = function(e) "")
    fields <- strsplit(sub("^.*\\) ", "", s[1]), " ", fixed = TRUE)[[1]]
    if (length(fields) >= 2) fields[2] else ""
  }, "")
  basename(dirname(stat[ppid == as.character(Sys.getpid())]))
}
base_fds <- fds()
base_maps <- shared_maps()

now <- function() as.numeric(Sys.time())
stamp_file <- file.path(dir, "fault-stamp")

# A background shell (not our child once its parent sh exits) that waits
# `delay` s, picks one of our children at random, sends it `sig`, optionally
# SIGSTOPs another, and writes the moment of the fault to `stamp_file`.
inject <- function(delay, sig, stop_other) {
  unlink(stamp_file)
  script <- sprintf(paste(
    "sleep %.3f;",
    "kids=$(pgrep -P %d | shuf);",
    "victim=$(echo $kids | cut -d' ' -f1); other=$(echo $kids | cut -d' ' -f2);",
    "[ -n \"$victim\" ] || { echo none > %s.tmp; mv %s.tmp %s; exit 0; };",
    "t=$(date +%%s.%%N); kill -%s $victim;",
    "%s",
    "echo \"$t $victim\" > %s.tmp; mv %s.tmp %s;",
    # A bound for this script, not for the package: a build that waits for
    # the stopped worker gets it back after 5 s, and the latency shows it.
    "%s"),
    delay, Sys.getpid(), stamp_file, stamp_file, stamp_file, sig,
    if (stop_other) "[ -n \"$other\" ] && [ \"$other\" != \"$victim\" ] && kill -STOP $other;" else "",
    stamp_file, stamp_file, stamp_file,
    if (stop_other) "sleep 5; [ -n \"$other\" ] && kill -CONT $other;" else "")
  system2("sh", c("-c", shQuote(paste0("(", script, ") </dev/null >/dev/null 2>&1 &"))), wait = TRUE)
}

wait_stamp <- function() {
  for (i in 1:200) {
    if (file.exists(stamp_file)) return(readLines(stamp_file))
    Sys.sleep(0.02)
  }
  NA_character_
}

# --- calibrate --------------------------------------------------------------
clean <- system.time(want <- airline_distances(files, backend = "fork", threads = 2, progress = FALSE))
span <- clean[["elapsed"]]
say("A clean run: %.2f s", span)

# --- fault runs -------------------------------------------------------------
signals <- c("KILL", "SEGV", "BUS", "ABRT", "TERM")
set.seed(as.integer(Sys.getenv("PARAIRLINE_FAULTS_SEED", "1")))
counts <- setNames(integer(length(signals)), signals)
stopped_runs <- 0L
late <- 0L
worst <- 0
problems <- character()
faulted <- 0L
attempts <- 0L
while (faulted < runs && attempts < 3 * runs) {
  attempts <- attempts + 1L
  sig <- sample(signals, 1)
  stop_other <- runif(1) < 0.3
  delay <- runif(1, 0.05, 0.8 * span)
  inject(delay, sig, stop_other)
  res <- tryCatch(airline_distances(files, backend = "fork", threads = 2, progress = FALSE),
                  error = function(e) e)
  caught <- now()
  stamp <- wait_stamp()
  fault_at <- suppressWarnings(as.numeric(strsplit(stamp[1], " ")[[1]][1]))
  if (!inherits(res, "error")) {
    # The fault came after the run, or found no worker: not a fault run.
    if (!identical(res, want)) problems <- c(problems, sprintf("run %d: a wrong answer without an error", attempts))
    late <- late + 1L
    next
  }
  faulted <- faulted + 1L
  counts[sig] <- counts[sig] + 1L
  stopped_runs <- stopped_runs + stop_other
  latency <- caught - fault_at
  if (!inherits(res, "parairline_worker_error")) {
    problems <- c(problems, sprintf("run %d (SIG%s): %s", attempts, sig, paste(class(res), collapse = "/")))
  } else if (!is.finite(latency) || latency > 1) {
    problems <- c(problems, sprintf("run %d (SIG%s%s): error %.3f s after the fault", attempts, sig,
                                    if (stop_other) " + SIGSTOP" else "", latency))
  }
  if (is.finite(latency)) worst <- max(worst, latency)
  left <- children()
  if (length(left) > 0) problems <- c(problems, sprintf("run %d: children left: %s", attempts, toString(left)))
  if (fds() != base_fds) problems <- c(problems, sprintf("run %d: %d descriptors, %d before", attempts, fds(), base_fds))
  if (shared_maps() != base_maps) problems <- c(problems, sprintf("run %d: shared mappings left", attempts))
  if (!dir.exists(tempdir()) || !file.exists(marker)) {
    problems <- c(problems, sprintf("run %d (SIG%s): the session's tempdir or its file is gone", attempts, sig))
    dir.create(tempdir(), showWarnings = FALSE)
  }
}
say("Fault runs: %d (%s), %d with the other worker stopped; %d runs ended before the fault",
    faulted, paste(sprintf("SIG%s %d", names(counts), counts), collapse = ", "), stopped_runs, late)
say("Worst latency from the fault to the error: %.3f s", worst)
if (faulted < runs) problems <- c(problems, sprintf("only %d fault runs in %d attempts", faulted, attempts))

# --- Ctrl-C while an error's line is located in a large .gz ------------------
gz <- file.path(dir, "year-bad-last.csv.gz")
if (!file.exists(gz)) {
  say("Writing %s (the year in one gzip file, a bad row at the end) ...", basename(gz))
  con <- gzfile(gz, "wb", compression = 1)
  for (i in seq_along(files)) {
    lines <- readLines(files[i])
    writeLines(if (i == 1) lines else lines[-1], con)
  }
  header <- strsplit(readLines(files[1], n = 1), ",", fixed = TRUE)[[1]]
  bad <- character(length(header) + 1L)  # the trailing comma: one more field
  bad[match("\"DISTANCE\"", header)] <- "oops"
  writeLines(paste(bad, collapse = ","), con)
  close(con)
}
full <- system.time(err <- tryCatch(airline_distances(gz, threads = 2, progress = FALSE), error = identity))
located <- inherits(err, "parairline_parse_error") && isTRUE(err$line > 1e6)
say("The .gz run (scan, then locate line %s): %.2f s", format(err$line, big.mark = ","), full[["elapsed"]])
if (!located) problems <- c(problems, paste("the .gz error was not located:", conditionMessage(err)))
interrupt_latency <- NA_real_
if (located) {
  # The scan and the locate each decompress the whole file: past 3/4 of the
  # time, the line is being located.
  at <- 0.75 * full[["elapsed"]]
  system(sprintf("(sleep %.3f; date +%%s.%%N > %s; kill -INT %d) >/dev/null 2>&1 &", at, stamp_file, Sys.getpid()))
  unlink(stamp_file)
  got <- tryCatch(airline_distances(gz, threads = 2, progress = FALSE),
                  interrupt = function(e) "interrupted", error = identity)
  caught <- now()
  sent <- as.numeric(wait_stamp()[1])
  interrupt_latency <- caught - sent
  say("Ctrl-C while locating the line: %s, %.3f s after SIGINT",
      if (identical(got, "interrupted")) "interrupted" else class(got)[1], interrupt_latency)
  if (!identical(got, "interrupted") || !(interrupt_latency <= 1)) {
    problems <- c(problems, "Ctrl-C while locating the line did not return within 1 s")
  }
}

if (!keep) unlink(dir, recursive = TRUE)
for (p in problems) say("PROBLEM: %s", p)
say("faults: %d runs, worst %.3f s, Ctrl-C while locating %.3f s; %d passed, %d failed",
    faulted, worst, interrupt_latency, as.integer(length(problems) == 0), as.integer(length(problems) > 0))
quit(status = if (length(problems) == 0) 0 else 1)
