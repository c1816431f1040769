# Leak checks shared by the fork backend and demo tests: no child process,
# zombie or file descriptor may outlive a call.

# Pids of the live or zombie children of this R process, or NULL without /proc.
child_pids <- function() {
  if (!dir.exists("/proc/self/fd")) return(NULL)
  me <- Sys.getpid()
  stats <- Sys.glob("/proc/[0-9]*/stat")
  ppid <- vapply(stats, function(f) {
    line <- tryCatch(suppressWarnings(readLines(f, n = 1L, warn = FALSE)),
                     error = function(e) "")
    if (length(line) == 0L || !nzchar(line)) return(NA_integer_)
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    rest <- strsplit(sub("^.*\\) ", "", line), " ", fixed = TRUE)[[1]]
    as.integer(rest[2])
  }, integer(1))
  as.integer(sub("^/proc/([0-9]+)/stat$", "\\1", stats[!is.na(ppid) & ppid == me]))
}

open_fds <- function() length(list.files("/proc/self/fd"))

# Runs code, then checks (where /proc exists) that it left no child process,
# zombie or open file descriptor behind.
expect_no_leftovers <- function(code) {
  if (!dir.exists("/proc/self/fd")) return(invisible(force(code)))
  children <- child_pids()
  fds <- open_fds()
  force(code)
  expect_true(all(child_pids() %in% children))
  expect_identical(open_fds(), fds)
}
