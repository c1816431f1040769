#' @rdname csv_group_sum
#' @name csv_group_sum
#' @section Fork backend:
#' `backend = "fork"` runs the C++ core in `threads` worker processes forked
#' from the R session. Each worker takes the next byte-range chunk from a
#' queue in shared memory and sends every chunk's partial result through its
#' own pipe as a checksummed message; the session merges them exactly, so the
#' result is bitwise identical to `backend = "tbb"`. Chunks that start inside
#' a quoted field, where a worker's guess about the quoting was wrong, are
#' scanned again by the session itself on `threads` TBB threads, as the TBB
#' backend does.
#'
#' Fork safety: a forked child holds only a copy of the thread that forked it,
#' so TBB threads the session started earlier (in a call with
#' `backend = "tbb"`, or for the re-scans above) do not exist in the
#' children. The workers therefore run the core single-threaded, with no TBB,
#' no OpenMP and no R: they never touch the R API or print, and leave with
#' `_exit()`. Forking a GUI session such as
#' RStudio is unsafe (the same caveat as [parallel::mclapply()]), so there the
#' fork backend warns once per session (see [parallelly::supportsMulticore()]).
#' On Windows, which has no `fork()`, `backend = "fork"` is an error: use
#' `backend = "tbb"`.
#'
#' A worker that dies (a signal, a non-zero exit status, or a truncated or
#' damaged message) gives an error of class `parairline_worker_error` saying
#' which worker and how it ended; bad input gives the same error as the TBB
#' backend. On Ctrl-C the workers are sent `SIGTERM`, then `SIGKILL` after a
#' short grace period. However the call ends, every worker has been waited
#' for: no child process, pipe or shared mapping outlives it.
NULL

summary_fork <- function(files, query, threads, progress, call) {
  if (.Platform$OS.type == "windows") {
    abort_input(c(
      "The {.val fork} backend needs {.code fork()}, which Windows does not have.",
      "i" = "Use {.code backend = \"tbb\"} to run on threads instead."
    ), call = call)
  }
  warn_if_fork_unsafe(call)
  res <- cpp_summarise_fork(path.expand(files), query, threads, tbb_threads_here(threads), chunk_bytes_option(call),
                            progress_bytes(progress))
  if (!is.null(res$error)) abort_core_error(res$error, call = call)
  res
}

# Forking a GUI front end (RStudio) can crash or corrupt it; parallelly knows
# the cases and the settings that disable forking.
warn_if_fork_unsafe <- function(call) {
  if (Sys.getenv("RSTUDIO") != "1" && parallelly::supportsMulticore()) return(invisible())
  cli::cli_warn(c(
    "Forking this R session may be unsafe (RStudio or another GUI, or forking is disabled).",
    "i" = "Prefer {.code backend = \"tbb\"} here; {.val fork} is meant for R in a terminal."
  ), class = "parairline_fork_warning", call = call,
  .frequency = "once", .frequency_id = "parairline_fork_unsafe")
}
