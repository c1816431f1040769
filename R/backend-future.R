# The "future" backend: the C++ core on the workers of the user's
# future::plan(). Here we plan byte-range tasks, hand contiguous groups of them
# to futures, and merge what the workers send back: wire frames holding the
# exact accumulators, never rounded doubles, so the answer is bitwise that of
# the "tbb" backend. The package never changes the user's plan.

# Up to 4 groups per worker, so a slow worker or file does not hold up the
# end of the run, but extra groups only while each keeps 64 MB or more: a
# future costs tens of milliseconds of bookkeeping (50-70 ms on a
# multisession worker of the 2-core machine the vignette was written on),
# about what the core needs to scan 64 MB from memory on one thread.
future_groups_per_worker <- 4L
future_group_min_bytes <- 64 * 1024^2

summary_future <- function(files, query, threads, progress, call) {
  check_future_installed(call)
  job <- future_job(files, query, call)
  run_future_job(job, threads, progress, call)
}

check_future_installed <- function(call) {
  rlang::check_installed("future", version = "1.30.0",
                         reason = "to use `backend = \"future\"`.", call = call)
}

# Plans the tasks here, reading only the files' headers. Paths become
# absolute, as a worker's working directory is not ours.
future_job <- function(files, query, call) {
  given <- path.expand(files)
  paths <- absolute_paths(given)
  p <- cpp_plan(paths, query, chunk_bytes_option(call))
  if (!is.null(p$error)) abort_core_error(given_path(p$error, paths, given), call = call)
  c(p, list(paths = paths, given = given))
}

# `threads` NULL: each worker uses its own parallelly::availableCores().
run_future_job <- function(job, threads, progress, call,
                           n_groups = future_group_count(job$task_bytes)) {
  local_threads <- if (is.null(threads)) default_threads() else threads
  frames <- with_future_errors({
    run_future_groups(job, split_tasks(job$task_bytes, n_groups), threads, progress, call)
  }, call)
  res <- cpp_reduce_frames(job$plan, frames, tbb_threads_here(local_threads))
  if (!is.null(res$error)) abort_core_error(given_path(res$error, job$paths, job$given), call = call)
  if (length(res$bad_rows$file) > 0L) res$bad_rows$file <- given_names(res$bad_rows$file, job$paths, job$given)
  if (!is.null(names(res$seps))) names(res$seps) <- given_names(names(res$seps), job$paths, job$given)
  res
}

# Errors of the future framework itself (a worker that cannot be started or
# reached, globals over `future.globals.maxSize`) become worker errors; the
# package's own errors pass through.
with_future_errors <- function(code, call) {
  withCallingHandlers(code, error = function(e) {
    if (inherits(e, "parairline_error")) return()
    cli::cli_abort("The {.val future} backend could not run its futures.",
                   class = c("parairline_worker_error", "parairline_error"),
                   parent = e, call = call)
  })
}

future_group_count <- function(task_bytes) {
  n <- length(task_bytes)
  workers <- future::nbrOfWorkers()
  if (!is.finite(workers)) workers <- n
  workers <- max(1, workers)
  per_worker <- max(1, min(future_groups_per_worker,
                           floor(sum(task_bytes) / (workers * future_group_min_bytes))))
  as.integer(min(n, workers * per_worker))
}

# Splits 0-based task ids into at most `n_groups` contiguous runs of about
# equal bytes: a task joins the group whose share of the bytes holds its
# middle byte.
split_tasks <- function(task_bytes, n_groups) {
  n <- length(task_bytes)
  if (n == 0L) return(list())
  n_groups <- max(1L, min(n_groups, n))
  total <- sum(task_bytes)
  g <- if (total > 0) {
    pmin(floor((cumsum(task_bytes) - task_bytes / 2) / total * n_groups), n_groups - 1)
  } else {
    floor((seq_len(n) - 1) * n_groups / n)
  }
  unname(split(seq_len(n) - 1, g))
}

# Keeps one future per worker in flight, collecting results in any order and
# advancing the bar by each finished group's bytes. Futures are made one at a
# time as workers free up, so this loop never blocks in future() and can draw
# progress and notice Ctrl-C while groups run.
run_future_groups <- function(job, groups, threads, progress, call) {
  n <- length(groups)
  frames <- vector("list", n)
  if (n == 0L) return(frames)
  group_bytes <- vapply(groups, function(ids) sum(job$task_bytes[ids + 1]), 0)
  total <- sum(group_bytes)
  tick <- progress_bytes(progress)
  in_flight <- as.integer(min(n, future::nbrOfWorkers()))
  in_session <- inherits(future::plan("next"), "uniprocess")
  running <- list()
  next_group <- 1L
  done_bytes <- 0
  # Whatever ends the loop early (Ctrl-C, an error in one group) must not
  # leave the other groups running or queued: on a batch scheduler they would
  # hold their place in the queue and then run for nobody.
  on.exit(cancel_futures(running), add = TRUE)
  if (!is.null(tick)) tick(0, total)
  while (next_group <= n || length(running) > 0L) {
    while (length(running) < in_flight && next_group <= n) {
      # Recorded before it is started, so that a Ctrl-C during the start (a
      # batch job just submitted) leaves nothing the exit handler cannot
      # cancel; the start itself is not interrupted halfway. Starting does not
      # block: a future is only made when a worker is free. Under
      # plan(sequential) run() sums the whole group here, which must stay
      # interruptible.
      f <- launch_group(job, groups[[next_group]], threads)
      running[[as.character(next_group)]] <- f
      if (in_session) future::run(f) else suspendInterrupts(future::run(f))
      next_group <- next_group + 1L
    }
    finished <- names(running)[vapply(running, future::resolved, TRUE)]
    for (key in finished) {
      i <- as.integer(key)
      frames[[i]] <- collect_group(running[[key]], i, n, job, call)
      running[[key]] <- NULL
      done_bytes <- done_bytes + group_bytes[i]
      if (!is.null(tick)) tick(done_bytes, total)
    }
    if (length(finished) == 0L) Sys.sleep(0.02)
  }
  frames
}

# Cancels futures that are still out, as far as their kind of future allows.
# future (>= 1.40) has cancel(), which future.mirai and others implement.
# Older ones do not: for batchtools futures we kill the batch jobs ourselves
# (scancel on Slurm, through batchtools, which made them) and remove their
# registries; other futures are left to finish and their values dropped.
cancel_futures <- function(futures) {
  for (f in futures) try(cancel_future(f), silent = TRUE)
}

cancel_future <- function(f) {
  if (inherits(f, "BatchtoolsFuture")) {
    reg <- f$config$reg
    if (is.null(reg$file.dir)) return(invisible())
    # batchtools is loaded: it made this future.
    kill_jobs <- get("killJobs", envir = asNamespace("batchtools"))
    suppressMessages(kill_jobs(reg = reg))
    unlink(reg$file.dir, recursive = TRUE)
    return(invisible())
  }
  cancel <- get0("cancel", envir = asNamespace("future"), mode = "function", inherits = FALSE)
  if (!is.null(cancel)) cancel(f)
  invisible()
}

# The future's only globals are these values and `run_group`, a function of
# this namespace: it travels as a reference to the package, which the worker
# loads. It is made lazy: the caller starts it once it has recorded it.
launch_group <- function(job, ids, threads) {
  future::future(
    quote(run_group(plan_raw, ids, paths, threads)), substitute = FALSE,
    globals = list(run_group = run_group, plan_raw = job$plan, ids = ids,
                   paths = unique(job$paths[job$task_file[ids + 1]]), threads = threads),
    packages = "parairline", seed = NULL, lazy = TRUE, label = "parairline"
  )
}

# Runs on the worker. It does not raise the core's errors: it returns them,
# and the main R session raises them, as for every other backend.
run_group <- function(plan_raw, ids, paths, threads) {
  host <- Sys.info()[["nodename"]]
  unreadable <- paths[file.access(paths, 4L) != 0L]
  if (length(unreadable) > 0L) {
    return(list(error = core_error_record(
      "io", unreadable[1],
      message = paste0("Cannot read the file on worker host ", host,
                       "; the workers need a shared filesystem.")
    ), host = host))
  }
  if (is.null(threads)) threads <- default_threads()
  # Multicore workers are forked copies of the session.
  c(cpp_run_tasks(plan_raw, ids, tbb_threads_here(threads)), list(host = host))
}

collect_group <- function(f, i, n, job, call) {
  out <- tryCatch(future::value(f), error = function(e) {
    cli::cli_abort(c("A future worker failed while summing group {i} of {n}."),
                   class = c("parairline_worker_error", "parairline_error"),
                   parent = e, call = call)
  })
  if (!is.null(out$error)) abort_core_error(given_path(out$error, job$paths, job$given), call = call)
  out$frames
}

absolute_paths <- function(paths) {
  relative <- !grepl("^(/|\\\\|[A-Za-z]:[/\\\\])", paths)
  paths[relative] <- file.path(getwd(), paths[relative])
  paths
}

# Errors and reports name files as the user gave them, like the other
# backends: a path, or a zip member "path:member.csv".
given_path <- function(err, paths, given) {
  err$file <- given_names(err$file, paths, given)
  err
}

given_names <- function(names, paths, given) {
  vapply(names, function(name) {
    i <- match(name, paths)
    if (!is.na(i)) return(given[i])
    for (j in seq_along(paths)) {
      prefix <- paste0(paths[j], ":")
      if (startsWith(name, prefix)) return(paste0(given[j], ":", substring(name, nchar(prefix) + 1L)))
    }
    name
  }, "", USE.NAMES = FALSE)
}
