summary_tbb <- function(files, query, threads, progress, call) {
  res <- cpp_summarise_tbb(path.expand(files), query, tbb_threads_here(threads), chunk_bytes_option(call),
                           progress_bytes(progress))
  if (!is.null(res$error)) abort_core_error(res$error, call = call)
  res
}

# A progress callback for the C++ core: called from the main R thread with
# the bytes done and the total; draws a cli bar tied to the caller's frame.
progress_bytes <- function(progress, .envir = parent.frame()) {
  if (!progress) return(NULL)
  bar <- NULL
  function(done, total) {
    if (is.null(bar)) {
      bar <<- cli::cli_progress_bar(
        total = total, .envir = .envir,
        format = paste("Summing {cli::pb_current_bytes}/{cli::pb_total_bytes}",
                       "{cli::pb_bar} {cli::pb_percent} | {cli::pb_rate_bytes} | ETA {cli::pb_eta}")
      )
    }
    cli::cli_progress_update(id = bar, set = done, .envir = .envir)
    invisible(NULL)
  }
}
