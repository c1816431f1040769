#' Threads versus processes for a CPU-bound loop
#'
#' The lecture's CPU-bound job, `tot <- 0; for (i in 0:(n - 1)) tot <- tot + i`,
#' compiled, run `jobs` times: one after the other, on a pool of threads, or
#' on a pool of forked processes. Idle workers take the next job, like
#' Python's `Pool.map`; forked workers send each job's total to the parent
#' through a pipe. It shows that in C++ threads speed up CPU-bound work just
#' as processes do, because there is no global interpreter lock (in Python
#' only the processes would), and that processes pay for starting up.
#'
#' Every addition is really done: the compiler is kept from replacing the loop
#' by the closed form `n * (n - 1) / 2`, so `seconds` grows in proportion to
#' `n * jobs`. Timings vary with the machine and its load.
#'
#' @param n Length of each job's loop, a whole number from 0 to 4e9.
#' @param jobs Number of jobs, a whole number from 0 to 1e5.
#' @param via `"serial"`, `"threads"` or `"processes"` (not on Windows).
#' @param workers Number of threads or processes, a whole number from 1 to
#'   256; `NULL` means [parallelly::availableCores()]. Ignored when
#'   `via = "serial"`.
#' @return A list: `total`, the sum over all jobs
#'   (`jobs * n * (n - 1) / 2`), as a double, which is exact whenever the
#'   total is below 2^53 (about 9e15; the defaults give 1.25e14);
#'   `total_exact`, the exact total as a string of decimal digits, computed
#'   with 128-bit integers; and `seconds`, the wall time.
#' @export
#' @examples
#' summer(n = 1e6, jobs = 4, via = "serial")
#' summer(n = 1e6, jobs = 4, via = "threads", workers = 2)
#' if (.Platform$OS.type != "windows") {
#'   summer(n = 1e6, jobs = 4, via = "processes", workers = 2)
#' }
summer <- function(n = 5e6, jobs = 10, via = c("serial", "threads", "processes"),
                   workers = NULL) {
  call <- rlang::current_env()
  n <- demo_check_count(n, "n", 0, 4e9, call = call)
  jobs <- demo_check_count(jobs, "jobs", 0, 1e5, call = call)
  via <- arg_match_input(via, c("serial", "threads", "processes"), call = call)
  workers <- demo_check_workers(workers, "workers", call = call)
  if (via == "processes") demo_check_fork(call = call)

  res <- cpp_demo_summer(n, jobs, via, workers)
  demo_stop_on_failure(res$status, "summer", call = call)
  list(
    total = as.numeric(res$total_exact),
    total_exact = res$total_exact,
    seconds = res$seconds
  )
}
